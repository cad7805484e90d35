/**
 * npm run alignment-bases -- [--profile smoke|quick|paper] [--variant aligned|crossed|absent ...] [--set key=value ...]
 *                             [--workers N]
 * Trains (or finds) the alignment experiment's bases — the same cached pretrain runs `npm run exp -- alignment`
 * uses — one after the other in this process; start one process per variant to train them in parallel.
 * Prints each base's folder, its training time and its validation perplexity.
 */
import { initBackend } from '../lib/backend';
import { parseOverrides } from '../lib/config';
import { ALIGNMENT_VARIANT_NAMES, type AlignmentVariant } from '../lib/data/answered-statements';
import { alignment, baseOverrides } from '../lib/experiments/alignment';
import { resolveExperimentConfig, runExperiment } from '../lib/experiments/runner';
import { pretrain } from '../lib/experiments/pretrain';
import type { ProfileName } from '../lib/experiments/types';
import { formatSeconds, terminalRenderer } from '../lib/runs/progress';
import { workersFromArgv } from '../lib/train/data-parallel';

async function main() {
  const argv = process.argv.slice(2);
  const values = (flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
  const c = resolveExperimentConfig(alignment, (values('--profile')[0] ?? 'quick') as ProfileName, parseOverrides(values('--set')));
  const variants = (values('--variant').length ? values('--variant') : c.variants) as AlignmentVariant[];
  for (const v of variants)
    if (!ALIGNMENT_VARIANT_NAMES.includes(v)) throw new Error(`--variant must be one of ${ALIGNMENT_VARIANT_NAMES.join(', ')}, got '${v}'`);
  const backend = await initBackend();
  const workers = workersFromArgv(argv);
  for (const v of variants) {
    console.error(`base ${v}: pretrain profile ${c.base.profile} on ${backend.backend}, ${workers} worker(s)`);
    const run = await runExperiment(pretrain, { profile: c.base.profile, seeds: 1, overrides: baseOverrides(c, v), progress: terminalRenderer() });
    const r = run.summary.results.lm;
    console.log(
      `${v}\t${run.dir}\ttrained in ${formatSeconds(run.summary.seedSeconds[0])}\tvalidation perplexity ${r.validation.perplexity.mean.toFixed(1)} (brown ${r['validation-brown'].perplexity.mean.toFixed(1)}, persona ${r['validation-persona'].perplexity.mean.toFixed(1)})`,
    );
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
