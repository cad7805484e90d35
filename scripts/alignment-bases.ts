/**
 * npm run alignment-bases -- [--profile smoke|quick|paper] [--base LABEL ...] [--set key=value ...] [--workers N] [--measure]
 * Trains (or finds) the alignment experiment's family of bases — the same cached pretrain runs `npm run exp --
 * alignment` uses — one after the other in this process; start one process per base (or per group of bases) to
 * train them in parallel. A base label is p<percent>-s<seed> (dose and pretraining seed) or absent-s<seed>.
 * Prints each base's folder, its training time and its validation perplexity; with --measure, also its alignment
 * scores (hidden states, unembedding rows) for every measured trait and word set: the manipulation check, before any
 * reward model is trained.
 */
import { initBackend } from '../lib/backend';
import { parseOverrides } from '../lib/config';
import * as path from 'node:path';
import { alignment, baseAlignment, baseOverrides } from '../lib/experiments/alignment';
import { familyBases } from '../lib/experiments/alignment-family';
import { resolveExperimentConfig, runExperiment } from '../lib/experiments/runner';
import { pretrain } from '../lib/experiments/pretrain';
import type { ProfileName } from '../lib/experiments/types';
import { formatSeconds, terminalRenderer } from '../lib/runs/progress';
import { workersFromArgv } from '../lib/train/data-parallel';

async function main() {
  const argv = process.argv.slice(2);
  const values = (flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
  const c = resolveExperimentConfig(alignment, (values('--profile')[0] ?? 'quick') as ProfileName, parseOverrides(values('--set')));
  const family = familyBases(c.family);
  const asked = values('--base');
  const unknown = asked.filter((l) => !family.some((b) => b.label === l));
  if (unknown.length) throw new Error(`--base ${unknown.join(', ')}: not a base of the family (${family.map((b) => b.label).join(', ')})`);
  const bases = asked.length ? family.filter((b) => asked.includes(b.label)) : family;
  const backend = await initBackend();
  const workers = workersFromArgv(argv);
  for (const b of bases) {
    console.error(`base ${b.label}: pretrain profile ${c.base.profile} on ${backend.backend}, ${workers} worker(s)`);
    const run = await runExperiment(pretrain, { profile: c.base.profile, seeds: 1, overrides: baseOverrides(c, b), progress: terminalRenderer() });
    const r = run.summary.results.lm;
    console.log(
      `${b.label}\t${run.dir}\ttrained in ${formatSeconds(run.summary.seedSeconds[0])}\tvalidation perplexity ${r.validation.perplexity.mean.toFixed(1)} (brown ${r['validation-brown'].perplexity.mean.toFixed(1)}, persona ${r['validation-persona'].perplexity.mean.toFixed(1)})`,
    );
    if (!argv.includes('--measure')) continue;
    const scores = await baseAlignment(c, path.join(run.dir, 'seed-1', 'model'));
    for (const [trait, sets] of Object.entries(scores))
      for (const [set, a] of Object.entries(sets))
        console.log(`${b.label}\t${trait}\t${set}\thidden ${a.hidden.score.toFixed(3)}\tunembedding ${a.unembedding.score.toFixed(3)}`);
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
