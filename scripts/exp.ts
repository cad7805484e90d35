/**
 * npm run exp -- <experiment> [--profile smoke|quick|paper] [--seeds N] [--jobs N | --shard i/n | --summarise]
 *                             [--workers N] [--force] [--set key.path=value ...] [--runs-dir DIR] [--list]
 * Runs (or re-uses) an experiment, shows progress with an ETA on stderr, prints the path of summary.json on stdout.
 * --shard i/n computes only seeds i+1, i+1+n, ... (i from 0, as Slurm array and Kubernetes indexed jobs count)
 * into a run store that other shards may share over NFS; the shard that finds every seed done writes the summary,
 * or --summarise does it afterwards.
 */
import { getExperiment, ALIASES, EXPERIMENTS } from '../lib/experiments/registry';
import { resolveExperimentConfig, runDirectory, runExperiment, shardSeeds } from '../lib/experiments/runner';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendLine, initBackend } from '../lib/backend';
import { PROFILES, type ProfileName } from '../lib/experiments/types';
import { parseOverrides } from '../lib/config';
import { terminalRenderer, formatSeconds } from '../lib/runs/progress';
import { headlines } from '../lib/report/headlines';
import { formatCi } from '../lib/report/format';
import { resolveWorkers, setDefaultPool } from '../lib/train/data-parallel';

const USAGE = `usage: npm run exp -- <experiment> [--profile ${PROFILES.join('|')}] [--seeds N] [--jobs N | --shard i/n | --summarise]
                             [--workers N] [--rebuild-bases] [--force] [--set key=value ...] [--runs-dir DIR] [--check]
       npm run exp -- --list`;

const HELP = `Experiments (profiles):
${Object.values(EXPERIMENTS)
  .map((e) => `  ${e.name.padEnd(12)} ${Object.keys(e.profiles).join(', ').padEnd(22)} ${e.description}`)
  .join('\n')}
Profiles: smoke = seconds (CI); quick = seconds to minutes per seed with the shipped bases (all six notebooks,
2 seeds: 30 min here, native; \`npm run reproduce -- --help\` has the time per notebook); paper = the paper's
settings (hours: alignment 53-59 min per seed on wasm); full = the in-project LM's full pretraining (15 min native).
RESULTS.md gives each stored run's measured time per seed.
--jobs N runs N seeds at once in N processes; --workers N splits each training step's micro-batches over N threads
(bit-identical results; default: the cores divided by --jobs, so the two never oversubscribe the machine). Workers
only help a step that has at least two micro-batches: see train.microBatchSize (docs/performance.md).

Examples:
  npm run exp -- toy-copy --profile quick --seeds 3
  npm run exp -- persona --profile quick --seeds 3 --jobs 2 --set base=pretrained:full
  npm run exp -- token-cues --profile quick --set data.trait=openness --set train.microBatchSize=8
  npm run exp -- alignment --profile quick --seeds 3 --jobs 2
  npm run exp -- token-cues --profile paper --seeds 16 --shard 0/8 --runs-dir /shared/runs   # one shard of a sweep`;

function parseArgs(argv: string[]) {
  const out = {
    experiment: '',
    profile: 'quick' as ProfileName,
    seeds: 1,
    jobs: 1,
    workers: undefined as number | undefined,
    force: false,
    sets: [] as string[],
    runsDir: undefined as string | undefined,
    list: false,
    worker: '',
    shard: null as null | { index: number; count: number },
    summarise: false,
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (a === '--profile') out.profile = value() as ProfileName;
    else if (a === '--seeds') out.seeds = Number(value());
    else if (a === '--jobs') out.jobs = Number(value());
    else if (a === '--workers') out.workers = Number(value());
    else if (a === '--rebuild-bases')
      process.env.IMRM_REBUILD_BASES = '1'; // children inherit it
    else if (a === '--worker-seeds') out.worker = value();
    else if (a === '--force') out.force = true;
    else if (a === '--set') out.sets.push(value());
    else if (a === '--runs-dir') out.runsDir = value();
    else if (a === '--list') out.list = true;
    else if (a === '--check') out.check = true;
    else if (a === '--shard') {
      const m = /^(\d+)\/(\d+)$/.exec(value());
      if (!m) throw new Error(`--shard expects i/n (e.g. 0/4), got '${argv[i]}'`);
      out.shard = { index: Number(m[1]), count: Number(m[2]) };
    } else if (a === '--summarise' || a === '--summarize') out.summarise = true;
    else if (a === '--help' || a === '-h') {
      console.log(`${USAGE}\n\n${HELP}`);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else if (!out.experiment) out.experiment = a;
    else throw new Error(`unexpected argument '${a}'\n${USAGE}`);
  }
  if (!PROFILES.includes(out.profile)) throw new Error(`--profile must be one of ${PROFILES.join(', ')}, got '${out.profile}'`);
  if (!Number.isInteger(out.seeds) || out.seeds < 1) throw new Error(`--seeds must be a positive integer`);
  if (!Number.isInteger(out.jobs) || out.jobs < 1) throw new Error(`--jobs must be a positive integer`);
  const workers = resolveWorkers(out.workers, out.jobs);
  if ([out.jobs > 1, out.shard !== null, out.summarise].filter(Boolean).length > 1)
    throw new Error(`--jobs, --shard and --summarise exclude each other\n${USAGE}`);
  if (out.force && (out.shard || out.summarise))
    throw new Error("--force would delete the other shards' seeds: remove the run folder once, before the shards start");
  if (out.shard) shardSeeds(out.seeds, out.shard.index, out.shard.count); // checks i/n
  return { ...out, workers };
}

/**
 * Seeds in parallel processes (the wasm backend uses one core per process): the seeds not yet cached are dealt
 * round-robin to `jobs` workers; the parent then builds the summary from the cache.
 */
async function runWorkers(exp: ReturnType<typeof getExperiment>, args: ReturnType<typeof parseArgs>, overrides: Record<string, unknown>) {
  const dir = await runDirectory(exp, { profile: args.profile, overrides, root: args.runsDir });
  if (args.force) fs.rmSync(dir, { recursive: true, force: true });
  const pending = Array.from({ length: args.seeds }, (_, i) => i + 1).filter((s) => !fs.existsSync(path.join(dir, `seed-${s}`, 'result.json')));
  const groups = Array.from({ length: Math.min(args.jobs, pending.length) }, (_, j) => pending.filter((_, i) => i % args.jobs === j));
  const passthrough = [
    '--profile',
    args.profile,
    '--seeds',
    String(args.seeds),
    '--workers',
    String(args.workers),
    ...args.sets.flatMap((s) => ['--set', s]),
    ...(args.runsDir ? ['--runs-dir', args.runsDir] : []),
  ];
  const codes = await Promise.all(
    groups.map(
      (seeds) =>
        new Promise<number>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', __filename, exp.name, ...passthrough, '--worker-seeds', seeds.join(',')], {
            stdio: ['ignore', 'ignore', 'inherit'],
          });
          child.on('exit', (code) => resolve(code ?? 1));
        }),
    ),
  );
  if (codes.some((c) => c !== 0)) throw new Error(`a worker failed (exit codes ${codes.join(', ')}); finished seeds are cached: run again to resume`);
}

async function main() {
  const started = Date.now();
  const args = parseArgs(process.argv.slice(2));
  if (args.list || !args.experiment) {
    for (const e of Object.values(EXPERIMENTS)) console.log(`${e.name.padEnd(14)} ${e.description}`);
    for (const [alias, name] of Object.entries(ALIASES)) console.log(`${alias.padEnd(14)} = ${name}`);
    if (!args.list) console.error(`\n${USAGE}`);
    return;
  }
  const exp = getExperiment(args.experiment);
  const overrides = parseOverrides(args.sets);
  setDefaultPool(args.workers);
  // Nested runs found by name (pretrained:<profile> bases) use the same store.
  if (args.runsDir) process.env.IMRM_RUNS_DIR = args.runsDir;
  // Bad input first, as one error, before the backend says anything or anything is allocated.
  resolveExperimentConfig(exp, args.profile, overrides);
  if (args.check) {
    console.log(`${exp.name} ${args.profile}: arguments valid`); // --check: what a job scheduler's submit script asks
    return;
  }
  if (!args.worker) console.error(backendLine(await initBackend()));
  if (args.worker) {
    // A worker of a parallel run: compute the given seeds only; the parent writes the summary.
    await runExperiment(exp, {
      profile: args.profile,
      seeds: args.seeds,
      overrides,
      root: args.runsDir,
      progress: terminalRenderer(),
      seedList: args.worker.split(',').map(Number),
      writeSummary: false,
    });
    return;
  }
  if (args.jobs > 1) await runWorkers(exp, args, overrides);
  const out = await runExperiment(exp, {
    profile: args.profile,
    seeds: args.seeds,
    overrides,
    force: args.force && args.jobs === 1,
    root: args.runsDir,
    progress: terminalRenderer(),
    seedList: args.shard ? shardSeeds(args.seeds, args.shard.index, args.shard.count) : args.summarise ? [] : undefined,
  });
  if (out.missingSeeds.length > 0) {
    if (args.summarise) throw new Error(`cannot summarise ${out.dir}: seeds ${out.missingSeeds.join(', ')} have no result yet`);
    console.error(
      `${exp.name} ${args.profile}: shard ${args.shard?.index}/${args.shard?.count} done in ${formatSeconds((Date.now() - started) / 1000)}; seeds ${out.missingSeeds.join(', ')} are other shards' (the last shard, or --summarise, writes the summary)`,
    );
    console.log(out.dir);
    return;
  }
  const reused = out.reusedSeeds.length ? ` (re-used seeds ${out.reusedSeeds.join(', ')})` : '';
  const perSeed = out.summary.seedSeconds.map(formatSeconds).join(', ');
  console.error(
    `${exp.name} ${args.profile}: ${out.summary.seeds.length} seed(s) on ${out.summary.backend}, this command ${formatSeconds((Date.now() - started) / 1000)}${reused}; per seed when computed: ${perSeed}`,
  );
  for (const h of headlines(out.summary)) console.error(`  ${h.quantity}: ${formatCi(h.value)}${h.paper ? `  (paper: ${h.paper})` : ''}`);
  console.log(out.summaryPath);
}

main().catch((e) => {
  console.error(process.env.IMRM_DEBUG ? e : `error: ${(e as Error).message}`);
  process.exit(1);
});
