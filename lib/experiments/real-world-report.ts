/** The computed conclusion of the real-world run (notebook 04), from its typed summary and its paired comparisons. */
import { EVAL_SPLITS, EVAL_TYPES, SPLIT_GROUPS, type TrainSet } from '../data/real-world';
import { formatCi, rewardModelLabel } from '../runs/format';
import type { Aggregated } from './types';
import type { RealWorldMetrics } from './real-world';
import type { Comparison } from './real-world-analysis';
import { consistentWithChance } from '../runs/stats';

export interface RealWorldReading {
  results: Aggregated<RealWorldMetrics>;
  trainSets: TrainSet[];
  /** Paired bootstrap EX − IM per training set (empty when EX-RM or IM-RM is not in the run). */
  comparisons: Partial<Record<TrainSet, Comparison[]>>;
  /** Share of unequal-length RewardBench math pairs where the reward prefers the shorter response. */
  shorterShares: Array<{ trainSet: TrainSet; rm: string; share: number }>;
  setup: { base: string; maxLength: number; nTrain: number; epochs: number };
}

export function realWorldConclusion(x: RealWorldReading): string[] {
  const R = x.results;
  const lines: string[] = [];
  for (const t of x.trainSets) {
    const types = EVAL_TYPES.filter((e) => SPLIT_GROUPS[t][e].length > 0);
    const cmp = x.comparisons[t] ?? [];
    const parts = types.map((e) => {
      const c = cmp.find((q) => q.split === `avg ${e}`);
      const verdict = !c ? '' : c.ci95[0] > 0 ? 'EX-RM ahead' : c.ci95[1] < 0 ? 'IM-RM ahead' : 'no reliable difference';
      const ex = R.trained[t].ex.byType[e]?.accuracy;
      const im = R.trained[t].im.byType[e]?.accuracy;
      return `${e}: EX ${ex ? formatCi(ex) : '—'}, IM ${im ? formatCi(im) : '—'} (${verdict}${c ? `, paired EX − IM ${c.difference.toFixed(3)} [${c.ci95[0].toFixed(3)}, ${c.ci95[1].toFixed(3)}]` : ''})`;
    });
    lines.push(`**Trained on ${t}.** ${parts.join('; ')}.`);
    const id = (rm: string) => R.trained[t][rm].byType['in-distribution']?.accuracy;
    const bow = R.trained[t].bow.byType['in-distribution']?.accuracy.mean ?? Number.NaN;
    const longer = R.baselines.longer.byType[t]['in-distribution']?.accuracy.mean ?? Number.NaN;
    const atChance = ['ex', 'im'].filter((rm) => id(rm) && consistentWithChance(id(rm) as never));
    const notBetter = ['ex', 'im'].filter((rm) => (id(rm)?.mean ?? 0) <= Math.max(bow, longer) + 1e-9);
    lines.push(
      `In-distribution, the bag-of-words model reaches ${bow.toFixed(3)} and "prefer the longer response" ${longer.toFixed(3)}` +
        (atChance.length ? `; ${atChance.map(rewardModelLabel).join(' and ')} cannot be told apart from chance (0.5 inside the 95% CI).` : '.') +
        (notBetter.length ? ` ${notBetter.map((rm) => `${rewardModelLabel(rm)} does not beat the best trivial baseline.`).join(' ')}` : ''),
    );
  }
  const math = R.data.lengths['rewardbench-math'];
  const cut = R.data.truncation['rewardbench-math'];
  const im = x.shorterShares.filter((p) => p.rm === 'im');
  const imDirection =
    im.length === 0
      ? ''
      : im.every((p) => p.share < 0.5)
        ? ' Here the IM-RM prefers the *longer* response, the opposite of what the chosen responses need, so it lands below chance on this split.'
        : im.every((p) => p.share > 0.5)
          ? ' Here the IM-RM prefers the shorter response, which on this split looks like domain robustness without being one.'
          : '';
  lines.push(
    `Lengths: on RewardBench math the chosen response has a median of ${math.medianChosenOverRejected.mean.toFixed(2)}× the tokens of the rejected one (chosen longer in ${(100 * math.fractionChosenLonger.mean).toFixed(0)}% of pairs), ` +
      `so "prefer the shorter" scores ${R.baselines.shorter.splits['rewardbench-math'].accuracy.mean.toFixed(3)} there. A summed log-ratio (the IM-RM's reward) adds one term per token, so it can track length where an EX-RM's single hidden state need not. ` +
      `Measured share of pairs of unequal length where the reward prefers the shorter response (lengths before truncation): ${x.shorterShares.map((p) => `${rewardModelLabel(p.rm)} trained on ${p.trainSet} ${p.share.toFixed(2)}`).join(', ')}.${imDirection}` +
      ` ${cut.pairsTruncated.mean} of ${cut.pairs.mean} RewardBench math pairs were cut to the ${x.setup.maxLength}-token context, which caps how much length a reward can see.`,
  );
  const dropped = EVAL_SPLITS.reduce((a, s) => a + R.data.truncation[s].fractionTokensDropped.mean, 0) / EVAL_SPLITS.length;
  lines.push(
    "How far this reproduces the paper: the paper's models have 1B–8B parameters, read whole responses of up to 512 tokens of their own chat template, and were instruction-tuned. " +
      `This run uses ${x.setup.base} with ${x.setup.maxLength}-token sequences (share of evaluation tokens cut: ${(100 * dropped).toFixed(0)}% on average), ` +
      `${x.setup.nTrain || 'all'} training pairs per set and ${x.setup.epochs} epochs. Where both reward models sit near the trivial baselines, this section cannot test the paper's claim on such models; the numbers above say which case this run is.`,
  );
  return lines;
}
