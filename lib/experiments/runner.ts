/**
 * Runs an experiment over seeds 1..N as a cached run:
 *   runs/<experiment>/<id>/   id = sha256 of the run identity {experiment, version, config, data, backend}
 *     config.json   the identity and the profile
 *     seed-<s>/     per-seed artefacts (checkpoints, scores) and result.json (metrics, records, seconds, provenance)
 *     metrics.jsonl every record of every seed, with its seed
 *     summary.json  per group, split and metric: mean, std, 95% CI and per-seed values, and each seed's provenance
 * A seed whose result.json exists is re-used: an identical request costs nothing and an interrupted one resumes.
 * The identity names no code: a change that moves an experiment's numbers must bump its `version` (the pinned
 * smoke outputs in tests/pins enforce it); which code made a result is recorded as its provenance.
 * Seeds are computed under a lock (lib/runs/lock.ts), so processes on several hosts may share one run store.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artefactBackends, engineId, explainBackendError, initBackend } from '../backend';
import { mergeConfig } from '../config';
import { hashOf } from '../runs/hash';
import { type Provenance, provenance } from '../runs/env';
import { aggregate } from '../runs/stats';
import { Progress, type ProgressRenderer } from '../runs/progress';
import { UnreadableFileError, buildOnce, moveAside, readJsonFile, writeFileAtomic } from '../runs/lock';
import { installShipped, isShipped } from '../runs/shipped';
import { type Aggregated, type Experiment, type MetricTable, type MetricTree, PROFILES, type ProfileName, type SeedResult } from './types';

export interface RunOptions {
  profile: ProfileName;
  seeds: number;
  /** User overrides on top of the profile (e.g. from --set key=value). */
  overrides?: unknown;
  force?: boolean;
  /** Root of the run store; default runs/ in the working folder (or IMRM_RUNS_DIR). */
  root?: string;
  progress?: ProgressRenderer;
  /**
   * The engine whose run this is (default: the one running). Only a base made by another engine is asked for so
   * (`ensureArtefactRun`): such a run is found in the store or installed from data/bases, never computed here.
   */
  backend?: string;
  /** Compute only these seeds (a shard or a worker of a parallel run); default 1..seeds. */
  seedList?: number[];
  /**
   * Write metrics.jsonl and summary.json once every seed 1..seeds has a result (default true); with seedList, a
   * shard that finds the others done writes it. false: never (a worker whose parent summarises).
   */
  writeSummary?: boolean;
}

export interface Summary<M extends MetricTree = MetricTable> {
  experiment: string;
  /** The experiment's version when the seeds were computed (part of the identity). */
  version: number;
  hash: string;
  profile: ProfileName;
  seeds: number[];
  backend: string;
  createdAt: string;
  /** Wall-clock seconds of this call (small when seeds came from the cache). */
  seconds: number;
  /** Seconds each seed took when it was computed (in seed order). */
  seedSeconds: number[];
  /** What computed each seed (in seed order): git commit, dirty flag, code hash, backend, packages, host, date. */
  provenance: Provenance[];
  config: unknown;
  /** The experiment's metrics tree with every number aggregated over seeds. */
  results: Aggregated<M>;
}

export interface RunOutput<C, M extends MetricTree = MetricTable> {
  dir: string;
  summaryPath: string;
  /** null when seeds of other shards are still missing (see `missingSeeds`). */
  summary: Summary<M>;
  config: C;
  /** Seeds taken from the cache rather than computed. */
  reusedSeeds: number[];
  /** Seeds of 1..N without a result yet (other shards' work); empty when the summary was written. */
  missingSeeds: number[];
}

/** What a run is: equal identities give equal numbers. */
export interface RunIdentity {
  experiment: string;
  version: number;
  config: unknown;
  data: unknown;
  backend: string;
}

/** The run's identity, id, folder and resolved config (nothing is run). */
export async function resolveRun<C extends object, M extends MetricTree>(
  exp: Experiment<C, M>,
  opts: Pick<RunOptions, 'profile' | 'overrides' | 'root' | 'backend'>,
): Promise<{ config: C; identity: RunIdentity; hash: string; dir: string }> {
  const backend = await initBackend();
  const config = resolveExperimentConfig(exp, opts.profile, opts.overrides);
  const data = await exp.dataIdentity(config, { root: path.resolve(runsRoot(opts.root)) });
  const identity: RunIdentity = { experiment: exp.name, version: exp.version, config, data, backend: opts.backend ?? engineId(backend) };
  const hash = hashOf(identity).slice(0, 16);
  return { config, identity, hash, dir: path.join(runsRoot(opts.root), exp.name, hash) };
}

/**
 * A base (a run other runs start from) is an artefact, like a downloaded checkpoint: the request's run made by this
 * engine if the store has it finished, else one made by another engine that may share it (`artefactBackends`) and
 * is finished in the store or shipped in data/bases, else this engine's, to be computed. The engine chosen is in
 * the returned identity, so the runs that start from the base can name it.
 */
export async function resolveArtefactRun<C extends object, M extends MetricTree>(
  exp: Experiment<C, M>,
  opts: Pick<RunOptions, 'profile' | 'overrides' | 'root'>,
): Promise<{ config: C; identity: RunIdentity; hash: string; dir: string; backend: string }> {
  await initBackend();
  const engines = artefactBackends();
  const candidates = await Promise.all(engines.map(async (backend) => ({ ...(await resolveRun(exp, { ...opts, backend })), backend })));
  const finished = candidates.find((c) => fs.existsSync(path.join(c.dir, 'summary.json')));
  return finished ?? candidates.find((c) => isShipped(exp.name, c.hash)) ?? candidates[0];
}

/** Runs (finds, installs or computes) the artefact run `resolveArtefactRun` picks; says which engine made it when not this one. */
export async function ensureArtefactRun<C extends object, M extends MetricTree>(
  exp: Experiment<C, M>,
  opts: RunOptions,
): Promise<RunOutput<C, M> & { backend: string }> {
  const chosen = await resolveArtefactRun(exp, opts);
  const run = await runExperiment(exp, { ...opts, backend: chosen.backend });
  if (chosen.backend !== engineId()) console.error(`${exp.name}/${chosen.hash}: a base made by the ${chosen.backend} engine, used by ${engineId()}`);
  return { ...run, backend: chosen.backend };
}

export function runsRoot(root?: string): string {
  return root ?? process.env.IMRM_RUNS_DIR ?? 'runs';
}

/** The run folder of a request (without running anything): where its seeds and summary are stored. */
export async function runDirectory<C extends object, M extends MetricTree>(
  exp: Experiment<C, M>,
  opts: Pick<RunOptions, 'profile' | 'overrides' | 'root'>,
): Promise<string> {
  return (await resolveRun(exp, opts)).dir;
}

/** Seeds of 1..n that shard `index` of `count` computes: index, index + count, ... (0-based, as Slurm and Kubernetes count). */
export function shardSeeds(n: number, index: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`--shard i/n: n must be a positive integer, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new Error(`--shard i/n: i must be an integer in [0, ${count - 1}], got ${index}`);
  return Array.from({ length: n }, (_, k) => k + 1).filter((s) => (s - 1) % count === index);
}

export function resolveExperimentConfig<C extends object, M extends MetricTree>(exp: Experiment<C, M>, profile: ProfileName, overrides?: unknown): C {
  if (!PROFILES.includes(profile)) throw new Error(`unknown profile '${profile}' (use ${PROFILES.join(', ')})`);
  if (!(profile in exp.profiles)) throw new Error(`experiment ${exp.name} has no profile '${profile}' (it has ${Object.keys(exp.profiles).join(', ')})`);
  const withProfile = mergeConfig(exp.defaults, exp.profiles[profile], `experiment ${exp.name}, profile ${profile}`);
  const config = mergeConfig(withProfile, overrides ?? {}, `experiment ${exp.name}, overrides`);
  exp.validate(config);
  return config;
}

/** Aggregates every numeric leaf of the seeds' metric trees (all seeds must report the same tree). */
export function summarize<M extends MetricTree>(results: Array<{ seed: number; metrics: M }>): Aggregated<M> {
  const walk = (nodes: unknown[], where: string): unknown => {
    const first = nodes[0];
    if (typeof first === 'number') {
      return aggregate(
        nodes.map((v, i) => {
          if (typeof v !== 'number') throw new Error(`seed ${results[i].seed} has no number at ${where}`);
          return v;
        }),
      );
    }
    if (!first || typeof first !== 'object') throw new Error(`seed ${results[0].seed}: ${where || 'metrics'} is neither a number nor an object`);
    return Object.fromEntries(
      Object.keys(first).map((k) => [
        k,
        walk(
          nodes.map((n) => (n as Record<string, unknown> | undefined)?.[k]),
          where ? `${where}/${k}` : k,
        ),
      ]),
    );
  };
  return walk(
    results.map((r) => r.metrics),
    '',
  ) as Aggregated<M>;
}

function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 1));
}

/** What seed-<s>/result.json holds. */
export interface StoredSeedResult<M extends MetricTree = MetricTable> extends SeedResult<M> {
  seconds: number;
  provenance: Provenance;
}

function readSeedResult<M extends MetricTree>(dir: string, seed: number): StoredSeedResult<M> {
  return readJsonFile(path.join(dir, `seed-${seed}`, 'result.json'));
}

/**
 * Whether seed `s` has a readable result. One that exists but cannot be read (truncated by a crash, damaged) is
 * moved aside, with one line saying so, and the seed counts as not done: it is computed again.
 */
function seedDone(dir: string, s: number): boolean {
  const file = path.join(dir, `seed-${s}`, 'result.json');
  if (!fs.existsSync(file)) return false;
  try {
    readJsonFile(file);
    return true;
  } catch (e) {
    if (!(e instanceof UnreadableFileError)) throw e;
    console.error(`${e.message}: moved aside to ${path.basename(moveAside(file))}; seed ${s} is computed again`);
    return false;
  }
}

export async function runExperiment<C extends object, M extends MetricTree = MetricTable>(exp: Experiment<C, M>, opts: RunOptions): Promise<RunOutput<C, M>> {
  const started = Date.now();
  if (!Number.isInteger(opts.seeds) || opts.seeds < 1) throw new Error(`--seeds must be a positive integer, got ${opts.seeds}`);
  const { config, identity, hash, dir } = await resolveRun(exp, opts);
  if (opts.force) fs.rmSync(dir, { recursive: true, force: true });
  else if (!fs.existsSync(path.join(dir, 'summary.json'))) {
    const note = installShipped(exp.name, hash, dir); // bases committed under data/bases (lib/runs/shipped.ts)
    if (note) console.error(note);
  }
  const allSeeds = Array.from({ length: opts.seeds }, (_, i) => i + 1);
  const mine = opts.seedList ?? allSeeds;
  const done = (s: number) => seedDone(dir, s);
  const pending = mine.filter((s) => !done(s));
  if (pending.length > 0 && identity.backend !== engineId())
    throw new Error(`${exp.name}/${hash}: seeds ${pending.join(', ')} of a ${identity.backend} run cannot be computed on ${engineId()}`);
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, 'config.json'))) writeJson(path.join(dir, 'config.json'), { ...identity, profile: opts.profile });

  const progress = new Progress(pending.length * exp.workUnits(config), opts.progress);
  for (const seed of pending) {
    const seedDir = path.join(dir, `seed-${seed}`);
    fs.mkdirSync(seedDir, { recursive: true });
    // Under a lock: another process (a shard on another host) computing this seed is waited for, not repeated.
    await buildOnce(
      path.join(seedDir, 'result.json'),
      async (fence) => {
        progress.setLabel(`${exp.name} seed ${seed}`);
        const t0 = Date.now();
        let r: SeedResult<M>;
        try {
          r = await exp.runSeed(config, { seed, dir: seedDir, runsRoot: path.resolve(runsRoot(opts.root)), progress, force: !!opts.force });
        } catch (e) {
          throw explainBackendError(e, `${exp.name} seed ${seed}`);
        }
        const stored: StoredSeedResult<M> = { ...r, seconds: (Date.now() - t0) / 1000, provenance: provenance() };
        fence(); // still the lock's holder: commit
        writeJson(path.join(seedDir, 'result.json'), stored);
      },
      {
        onWait: (holder) =>
          progress.setLabel(`${exp.name} seed ${seed}: computed by ${holder ? `${holder.host} pid ${holder.pid}` : 'another process'}; waiting`),
      },
    );
  }
  progress.finish();
  const reusedSeeds = mine.filter((s) => !pending.includes(s));
  const missingSeeds = allSeeds.filter((s) => !done(s));
  const summaryPath = path.join(dir, 'summary.json');
  if (opts.writeSummary === false || missingSeeds.length > 0) {
    return { dir, summaryPath, summary: null as unknown as Summary<M>, config, reusedSeeds, missingSeeds };
  }
  const results = allSeeds.map((seed) => ({ seed, ...readSeedResult<M>(dir, seed) }));
  const lines = results.flatMap((r) => r.records.map((rec) => JSON.stringify({ seed: r.seed, ...rec })));
  writeFileAtomic(path.join(dir, 'metrics.jsonl'), lines.join('\n') + (lines.length ? '\n' : ''));
  const summary: Summary<M> = {
    experiment: exp.name,
    version: exp.version,
    hash,
    profile: opts.profile,
    seeds: allSeeds,
    backend: identity.backend,
    createdAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    seedSeconds: results.map((r) => r.seconds),
    provenance: results.map((r) => r.provenance),
    config,
    results: summarize(results),
  };
  writeJson(summaryPath, summary);
  return { dir, summaryPath, summary, config, reusedSeeds, missingSeeds: [] };
}
