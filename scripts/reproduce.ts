/**
 * npm run reproduce -- [--profile smoke|quick|paper] [--seeds N] [--jobs N] [--workers N] [--only NAME]
 * Runs the experiments every notebook declares (metadata imrm.experiments; cached runs are re-used), executes
 * every notebook in notebooks/ headlessly with the project kernel and the parameters injected, and writes
 * reports/<notebook>.html and reports/index.html (links, status, environment stamp). Exits 1 if a notebook fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { getExperiment } from '../lib/experiments/registry';
import { runExperiment } from '../lib/experiments/runner';
import { PROFILES, type ProfileName } from '../lib/experiments/types';
import { backendLine, initBackend } from '../lib/backend';
import { provenance } from '../lib/runs/env';
import { formatSeconds, terminalRenderer } from '../lib/runs/progress';
import { ensureJupyter, ensureNativeBuilt, executeNotebook, PROJECT_ROOT } from '../lib/report/jupyter';
import { type Notebook, declaredExperiments, injectParameters, readNotebook, writeNotebook } from '../lib/report/notebook';
import { type NotebookReport, indexHtml } from '../lib/report/index-page';
import { plotlyVersion } from '../lib/report/html';
import { commits } from '../lib/report/results-page';
import { defaultWorkers, resolveWorkers, setDefaultPool, withDefaultPool } from '../lib/train/data-parallel';
import { basesUsedBy } from '../lib/experiments/shipped-bases';
import { COSTS_MEASURED, notebookCostsMarkdown } from '../lib/report/notebook-costs';

const DEFAULT_SEEDS: Record<ProfileName, number> = { smoke: 2, quick: 2, paper: 3, full: 3 };

const REPRODUCE_HELP = `usage: npm run reproduce -- [--profile ${PROFILES.join('|')}] [--seeds N] [--jobs N] [--workers N] [--rebuild-bases] [--only NOTEBOOK]

Runs the experiments every notebook declares (cached runs are re-used), executes every notebook in notebooks/
headlessly with the profile injected, and writes reports/<notebook>.html and reports/index.html.
  --profile  quick (default: real, small runs, minutes per notebook with the shipped bases), smoke (seconds per
             notebook on tiny models: what CI runs), paper (hours); times per notebook below
  --seeds    seeds per experiment (default ${JSON.stringify(DEFAULT_SEEDS)})
  --jobs     compute each experiment's seeds in N processes (default: one per seed, at most one per core)
  --workers  threads per process that share each training step's micro-batches (bit-identical results;
             default: the cores divided by --jobs)
  --rebuild-bases  train the one-off bases instead of installing the copies shipped under data/bases (which are
             used only when their recorded identity, i.e. version, config, data and backend, is what the code builds)
  --only     one notebook, e.g. 05-controlled-token-cues

Time per notebook (${COSTS_MEASURED}):
${notebookCostsMarkdown()}

Examples:
  npm run reproduce                         # quick, 2 seeds, every notebook
  npm run reproduce -- --profile smoke
  npm run reproduce -- --profile quick --seeds 3 --jobs 2 --only 05-controlled-token-cues`;

function parseArgs(argv: string[]) {
  const out = { profile: 'quick' as ProfileName, seeds: 0, only: '', jobs: 0, workers: undefined as number | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--profile') out.profile = next() as ProfileName;
    else if (a === '--seeds') out.seeds = Number(next());
    else if (a === '--only') out.only = next();
    else if (a === '--jobs') out.jobs = Number(next());
    else if (a === '--workers') out.workers = Number(next());
    else if (a === '--rebuild-bases') process.env.IMRM_REBUILD_BASES = '1';
    else if (a === '--help' || a === '-h') {
      console.log(REPRODUCE_HELP);
      process.exit(0);
    } else
      throw new Error(
        `unknown argument '${a}' (usage: npm run reproduce -- [--profile ${PROFILES.join('|')}] [--seeds N] [--jobs N] [--workers N] [--rebuild-bases] [--only NAME]; --help)`,
      );
  }
  if (!PROFILES.includes(out.profile)) throw new Error(`--profile must be one of ${PROFILES.join(', ')}`);
  out.seeds = out.seeds || DEFAULT_SEEDS[out.profile];
  if (!Number.isInteger(out.seeds) || out.seeds < 1) throw new Error('--seeds must be a positive integer');
  out.jobs ||= Math.min(out.seeds, os.availableParallelism());
  if (!Number.isInteger(out.jobs) || out.jobs < 1) throw new Error('--jobs must be a positive integer');
  return { ...out, workers: resolveWorkers(out.workers, out.jobs) };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const python = ensureJupyter({ install: true });
  ensureNativeBuilt();
  console.error(backendLine(await initBackend()));
  setDefaultPool(args.workers);
  process.env.IMRM_WORKERS = String(args.workers); // notebook kernels train with as many workers
  const nbDir = path.join(PROJECT_ROOT, 'notebooks');
  const reportsDir = path.join(PROJECT_ROOT, 'reports');
  const workDir = path.join(reportsDir, '.work');
  fs.mkdirSync(workDir, { recursive: true });
  const names = fs
    .readdirSync(nbDir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()
    .filter((f) => !args.only || f.replace(/\.ipynb$/, '') === args.only);
  if (names.length === 0) throw new Error(`no notebook${args.only ? ` named '${args.only}'` : ''} in ${nbDir}`);

  // The one-off bases first, on every core: installed when shipped (data/bases), else trained; each says which.
  // Each notebook is read once; one that cannot be read fails in its own turn below, not here.
  const loaded = new Map<string, Notebook | Error>(
    names.map((f) => {
      try {
        return [f, readNotebook(path.join(nbDir, f))];
      } catch (e) {
        return [f, e as Error];
      }
    }),
  );
  const declared = [...loaded.values()].flatMap((nb) => (nb instanceof Error ? [] : declaredExperiments(nb)));
  for (const recipe of basesUsedBy(declared, args.profile)) {
    const base = await recipe.resolve();
    if (base.built) {
      console.error(`[bases] ${recipe.name}: found in the run store (${base.kind}/${base.hash})`);
      continue;
    }
    const t0 = Date.now();
    // Every core for the base; the notebooks' count is restored even if the build throws.
    await withDefaultPool(defaultWorkers(1), () => recipe.build(undefined, terminalRenderer()));
    console.error(`[bases] ${recipe.name}: ready in ${formatSeconds((Date.now() - t0) / 1000)} (${base.kind}/${base.hash})`);
  }

  const reports: NotebookReport[] = [];
  for (const file of names) {
    const name = file.replace(/\.ipynb$/, '');
    const t0 = Date.now();
    const report: NotebookReport = { name, html: `${name}.html`, ok: false, seconds: 0, runs: [] };
    try {
      const nb = loaded.get(file);
      if (!nb || nb instanceof Error) throw nb ?? new Error(`${file}: not read`);
      for (const e of declaredExperiments(nb)) {
        console.error(`[${name}] experiment ${e} (${args.profile}, ${args.seeds} seeds${args.jobs > 1 ? `, ${args.jobs} processes` : ''})`);
        if (args.jobs > 1) {
          // Seeds in parallel processes through the CLI; the call below then finds them cached.
          const r = spawnSync(
            process.execPath,
            [
              '--import',
              'tsx',
              path.join(PROJECT_ROOT, 'scripts', 'exp.ts'),
              e,
              '--profile',
              args.profile,
              '--seeds',
              String(args.seeds),
              '--jobs',
              String(args.jobs),
              '--workers',
              String(args.workers),
            ],
            { stdio: ['ignore', 'ignore', 'inherit'] },
          );
          if (r.status !== 0) throw new Error(`experiment ${e} failed (exit ${r.status})`);
        }
        const run = await runExperiment(getExperiment(e), { profile: args.profile, seeds: args.seeds, progress: terminalRenderer() });
        report.runs.push({
          experiment: e,
          dir: path.relative(reportsDir, run.dir),
          summary: path.relative(reportsDir, run.summaryPath),
          provenance: `version ${run.summary.version} · commit ${commits(run.summary)} · ${run.summary.backend}`,
        });
      }
      const injected = path.join(workDir, file);
      writeNotebook(injected, injectParameters(nb, { profile: args.profile, seeds: args.seeds }, file));
      console.error(`[${name}] executing`);
      executeNotebook(python, injected, path.join(workDir, `${name}.executed.ipynb`), path.join(reportsDir, `${name}.html`));
      report.ok = true;
    } catch (e) {
      report.error = (e as Error).message;
      console.error(`[${name}] FAILED\n${report.error}`);
    }
    report.seconds = (Date.now() - t0) / 1000;
    reports.push(report);
    console.error(`[${name}] ${report.ok ? 'ok' : 'failed'} in ${formatSeconds(report.seconds)}`);
  }
  const { packages, ...prov } = provenance();
  const stamp = { ...prov, ...packages, profile: args.profile, seeds: args.seeds, plotly: plotlyVersion() };
  const index = path.join(reportsDir, 'index.html');
  fs.writeFileSync(index, indexHtml(reports, stamp));
  const failed = reports.filter((r) => !r.ok);
  console.error(`${reports.length - failed.length}/${reports.length} notebooks ok in ${formatSeconds((Date.now() - started) / 1000)}`);
  console.log(index);
  if (failed.length) process.exit(1);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
