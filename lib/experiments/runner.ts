/**
 * Runs an experiment over seeds 1..N as a content-addressed run:
 *   runs/<experiment>/<hash>/   hash = sha256 of {experiment, config, data identity, code version, backend}
 *     config.json   the resolved config and the hash inputs
 *     env.json      node, tfjs, backend, git commit, code version, date (of the first computation)
 *     seed-<s>/     per-seed artefacts (checkpoints, scores) and result.json
 *     metrics.jsonl every record of every seed, with its seed
 *     summary.json  per group, split and metric: mean, std, 95% CI and per-seed values (schema in README)
 * A seed whose result.json exists is re-used, so an identical request costs nothing and an interrupted one
 * resumes; force deletes the run folder first.
 */
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../backend';
import { mergeConfig } from '../config';
import { canonicalJson, codeVersion, hashOf } from '../runs/hash';
import { envStamp } from '../runs/env';
import { Aggregate, aggregate } from '../runs/stats';
import { Progress, ProgressRenderer } from '../runs/progress';
import { writeFileAtomic } from '../runs/lock';
import { siblingsWithIdentity } from '../runs/siblings';
import { Experiment, MetricTable, PROFILES, ProfileName, SeedResult } from './types';

export interface RunOptions {
  profile: ProfileName;
  seeds: number;
  /** User overrides on top of the profile (e.g. from --set key=value). */
  overrides?: unknown;
  force?: boolean;
  /** Root of the run store; default runs/ in the working folder (or IMRM_RUNS_DIR). */
  root?: string;
  progress?: ProgressRenderer;
  /** Compute only these seeds (a worker of a parallel run); default 1..seeds. */
  seedList?: number[];
  /** Write metrics.jsonl and summary.json (workers of a parallel run do not). Default true. */
  writeSummary?: boolean;
  /**
   * When this code version has no run yet, re-use a finished run of the same config, data and backend made by
   * another version of the library code (the summary then says so in codeVersionNote). Default: the
   * environment variable IMRM_ACCEPT_CODE_CHANGE=1. Off, a code change recomputes.
   */
  acceptCodeChange?: boolean;
}

export interface Summary {
  experiment: string;
  hash: string;
  profile: ProfileName;
  seeds: number[];
  backend: string;
  codeVersion: string;
  createdAt: string;
  /** Set when the results were computed by another library code version (acceptCodeChange). */
  codeVersionNote?: string;
  /** Wall-clock seconds of this call (small when seeds came from the cache). */
  seconds: number;
  /** Seconds each seed took when it was computed (in seed order). */
  seedSeconds: number[];
  config: unknown;
  /** group -> split -> metric -> aggregate over seeds */
  results: Record<string, Record<string, Record<string, Aggregate>>>;
}

export interface RunOutput<C> {
  dir: string;
  summaryPath: string;
  summary: Summary;
  config: C;
  /** Seeds taken from the cache rather than computed. */
  reusedSeeds: number[];
}

export interface RunIdentity {
  experiment: string;
  config: unknown;
  data: unknown;
  code: string;
  backend: string;
}

/** What a run's hash covers, its folder, and the resolved config (nothing is run). */
export async function resolveRun<C extends object>(exp: Experiment<C>, opts: Pick<RunOptions, 'profile' | 'overrides' | 'root'>): Promise<{ config: C; identity: RunIdentity; hash: string; dir: string }> {
  const backend = await initBackend();
  const config = resolveExperimentConfig(exp, opts.profile, opts.overrides);
  const identity: RunIdentity = { experiment: exp.name, config, data: await exp.dataIdentity(config), code: codeVersion(exp.sourceFile), backend: backend.backend };
  const hash = hashOf(identity).slice(0, 16);
  return { config, identity, hash, dir: path.join(opts.root ?? process.env.IMRM_RUNS_DIR ?? 'runs', exp.name, hash) };
}

/** The run folder of a request (without running anything): where its seeds and summary are stored. */
export async function runDirectory<C extends object>(exp: Experiment<C>, opts: Pick<RunOptions, 'profile' | 'overrides' | 'root'>): Promise<string> {
  return (await resolveRun(exp, opts)).dir;
}

/**
 * Sibling run folders with the same config, data and backend as `identity` but another code version, newest first
 * (by the modification time of `marker`, the file that shows the run is finished, e.g. summary.json).
 */
export function runsOfOtherCode(dir: string, identity: RunIdentity, marker: string, accept: (runDir: string) => boolean = () => true): Array<{ dir: string; code: string }> {
  return siblingsWithIdentity(dir, marker, [identity.config, identity.data, identity.backend],
    (d) => JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8')) as RunIdentity,
    (id, d) => (accept(d) ? [id.config, id.data, id.backend] : null))
    .map(({ dir: d, meta }) => ({ dir: d, code: meta.code }));
}

/**
 * Whether results made by another library code version may be re-used: the option when given, else
 * IMRM_ACCEPT_CODE_CHANGE=1 (set by --accept-code-change; seed workers and notebook kernels inherit it).
 */
export function acceptsCodeChange(option?: boolean): boolean {
  return option ?? process.env.IMRM_ACCEPT_CODE_CHANGE === '1';
}

export function resolveExperimentConfig<C extends object>(exp: Experiment<C>, profile: ProfileName, overrides?: unknown): C {
  if (!PROFILES.includes(profile)) throw new Error(`unknown profile '${profile}' (use ${PROFILES.join(', ')})`);
  if (!(profile in exp.profiles)) throw new Error(`experiment ${exp.name} has no profile '${profile}' (it has ${Object.keys(exp.profiles).join(', ')})`);
  const withProfile = mergeConfig(exp.defaults, exp.profiles[profile], `experiment ${exp.name}, profile ${profile}`);
  const config = mergeConfig(withProfile, overrides ?? {}, `experiment ${exp.name}, overrides`);
  exp.validate(config);
  return config;
}

export function summarize(results: Array<{ seed: number; metrics: MetricTable }>): Summary['results'] {
  const out: Summary['results'] = {};
  const first = results[0].metrics;
  for (const [group, splits] of Object.entries(first)) {
    out[group] = {};
    for (const [split, metrics] of Object.entries(splits)) {
      out[group][split] = {};
      for (const metric of Object.keys(metrics)) {
        out[group][split][metric] = aggregate(results.map((r) => {
          const v = r.metrics[group]?.[split]?.[metric];
          if (typeof v !== 'number') throw new Error(`seed ${r.seed} has no ${group}/${split}/${metric}`);
          return v;
        }));
      }
    }
  }
  return out;
}

function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 1));
}

export async function runExperiment<C extends object>(exp: Experiment<C>, opts: RunOptions): Promise<RunOutput<C>> {
  const started = Date.now();
  if (!Number.isInteger(opts.seeds) || opts.seeds < 1) throw new Error(`--seeds must be a positive integer, got ${opts.seeds}`);
  const { config, identity, hash, dir } = await resolveRun(exp, opts);
  if (opts.force) fs.rmSync(dir, { recursive: true, force: true });
  const accept = acceptsCodeChange(opts.acceptCodeChange);
  const seeds = opts.seedList ?? Array.from({ length: opts.seeds }, (_, i) => i + 1);
  // Another code version's run stands in only for seeds this code has not computed (--jobs workers compute the
  // seeds before the parent writes the summary: those must win).
  const pending = seeds.filter((s) => !fs.existsSync(path.join(dir, `seed-${s}`, 'result.json')));
  if (accept && !opts.force && pending.length > 0 && !fs.existsSync(path.join(dir, 'summary.json'))) {
    const sameSeeds = (d: string) => canonicalJson(JSON.parse(fs.readFileSync(path.join(d, 'summary.json'), 'utf8')).seeds) === canonicalJson(seeds);
    const other = runsOfOtherCode(dir, identity, 'summary.json', sameSeeds)[0]?.dir;
    if (other) {
      const summary: Summary = { ...JSON.parse(fs.readFileSync(path.join(other, 'summary.json'), 'utf8')), codeVersionNote: '' };
      summary.codeVersionNote = `computed by library code ${summary.codeVersion}; the current code is ${identity.code} (re-used: acceptCodeChange)`;
      console.error(`note: ${exp.name}: ${summary.codeVersionNote}`);
      return { dir: other, summaryPath: path.join(other, 'summary.json'), summary, config, reusedSeeds: seeds };
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path.join(dir, 'config.json'), { ...identity, profile: opts.profile });
  if (!fs.existsSync(path.join(dir, 'env.json'))) writeJson(path.join(dir, 'env.json'), envStamp());

  const progress = new Progress(pending.length * exp.workUnits(config), opts.progress);
  const results: Array<{ seed: number } & SeedResult> = [];
  for (const seed of seeds) {
    const seedDir = path.join(dir, `seed-${seed}`);
    const resultPath = path.join(seedDir, 'result.json');
    if (fs.existsSync(resultPath)) {
      results.push({ seed, ...JSON.parse(fs.readFileSync(resultPath, 'utf8')) });
      continue;
    }
    fs.mkdirSync(seedDir, { recursive: true });
    progress.setLabel(`${exp.name} seed ${seed}`);
    const t0 = Date.now();
    const r = { ...(await exp.runSeed(config, { seed, dir: seedDir, progress, force: !!opts.force })), seconds: 0 };
    r.seconds = (Date.now() - t0) / 1000;
    writeJson(resultPath, r);
    results.push({ seed, ...r });
  }
  progress.finish();
  if (opts.writeSummary === false) {
    return { dir, summaryPath: path.join(dir, 'summary.json'), summary: null as unknown as Summary, config, reusedSeeds: seeds.filter((s) => !pending.includes(s)) };
  }

  const lines = results.flatMap((r) => r.records.map((rec) => JSON.stringify({ seed: r.seed, ...rec })));
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join('\n') + (lines.length ? '\n' : ''));
  const summary: Summary = {
    experiment: exp.name,
    hash,
    profile: opts.profile,
    seeds,
    backend: identity.backend,
    codeVersion: identity.code,
    createdAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    seedSeconds: results.map((r) => (r as { seconds?: number }).seconds ?? 0),
    config,
    results: summarize(results),
  };
  const summaryPath = path.join(dir, 'summary.json');
  writeJson(summaryPath, summary);
  return { dir, summaryPath, summary, config, reusedSeeds: seeds.filter((s) => !pending.includes(s)) };
}
