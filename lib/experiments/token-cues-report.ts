/**
 * Readings of token-cue results that notebooks and RESULTS.md show: the footnote-3 comparison across bases and
 * the computed conclusion. Pure functions of typed summaries, tested with hand-made aggregates.
 */
import type { Aggregate } from '../runs/stats';
import { fitOfPoints, reliablyAbove, reliablyBelow } from '../runs/stats';
import { formatCi, rewardModelLabel } from '../runs/format';
import type { Aggregated } from './types';
import type { TokenCuesMetrics } from './token-cues';

export type TokenCuesResults = Aggregated<TokenCuesMetrics>;

export interface SeparatorPoint {
  base: string;
  seed: number;
  predicted: number;
  ex: number;
  im: number;
}

/** One point per (base, seed): the base's separator prediction and the measured test-paraphrased accuracies. */
export function separatorPoints(runs: Array<{ base: string; seeds: number[]; results: TokenCuesResults }>): SeparatorPoint[] {
  return runs.flatMap(({ base, seeds, results: r }) =>
    r.separator.predictedAccuracy.perSeed.map((predicted, i) => ({
      base,
      seed: seeds[i],
      predicted,
      ex: r.rewardModels.ex.splits['test-paraphrased'].accuracy.perSeed[i],
      im: r.rewardModels.im.splits['test-paraphrased'].accuracy.perSeed[i],
    })),
  );
}

/** Does the separator predict the measured accuracy? Pearson r and the mean absolute gap, per reward model. */
export function separatorFit(points: SeparatorPoint[]): { n: number; pearsonEx: number; pearsonIm: number; gapEx: number; gapIm: number } {
  const predicted = points.map((p) => p.predicted);
  const ex = fitOfPoints(
    predicted,
    points.map((p) => p.ex),
  );
  const im = fitOfPoints(
    predicted,
    points.map((p) => p.im),
  );
  return { n: points.length, pearsonEx: ex.pearson, pearsonIm: im.pearson, gapEx: ex.meanAbsGap, gapIm: im.meanAbsGap };
}

/**
 * The share of the IM-RM's shortfall below chance on paraphrases that the unseen answer word explains: the
 * same-prefix control cancels the prefix log-ratios, so (0.5 - samePrefix) / (0.5 - paraphrased), clipped to
 * [0, 1]; null when the IM-RM is not below chance.
 */
export function unseenWordShare(paraphrased: number, samePrefix: number): number | null {
  if (paraphrased >= 0.5) return null;
  return Math.max(0, Math.min(1, (0.5 - samePrefix) / (0.5 - paraphrased)));
}

/** The computed conclusion for one base, in Markdown (EX-RM and IM-RM are required in the results). */
export function tokenCuesConclusion(base: string, r: TokenCuesResults): string[] {
  const acc = (rm: string, sp: keyof TokenCuesResults['rewardModels'][string]['splits']): Aggregate => r.rewardModels[rm].splits[sp].accuracy;
  const ex = acc('ex', 'test-paraphrased');
  const im = acc('im', 'test-paraphrased');
  const same = acc('im', 'test-same-prefix');
  const fit = ['ex', 'im'].every((rm) => acc(rm, 'train-original').mean > 0.9);
  const lines = [
    `**${base}.** Training responses ${fit ? 'are fitted by both reward models' : `are NOT fitted by both (train-original accuracy ${['ex', 'im'].map((rm) => formatCi(acc(rm, 'train-original'))).join(' / ')}): the comparison below is weaker`}. ` +
      `On paraphrased test pairs the EX-RM reaches ${formatCi(ex)} and the IM-RM ${formatCi(im)}` +
      (reliablyBelow(im, 0.5)
        ? ' — **below chance**, as the paper finds (its 1B models: EX 1.00, IM 0.02).'
        : im.mean < ex.mean
          ? ': the IM-RM is behind, but not reliably below chance.'
          : ': here the IM-RM is not behind the EX-RM, unlike the paper.'),
  ];
  const wrong = Object.entries(r.rewardModels.ex.byWords['test-paraphrased'].accuracy)
    .filter(([, a]) => a.mean < 0.5)
    .map(([k]) => k);
  lines.push(
    reliablyAbove(ex, 0.5)
      ? 'The EX-RM is reliably above chance on the paraphrases.'
      : `The EX-RM is **not reliably above chance** here (the paper: 1.00)${wrong.length ? `; it ranks the rejected answer first in the combinations ${wrong.join(', ')} (mean over seeds)` : ''}.`,
  );
  const share = unseenWordShare(im.mean, same.mean);
  lines.push(
    share === null
      ? `Same-prefix control: IM-RM ${formatCi(same)} (its paraphrased accuracy is not below chance, so there is no shortfall to split).`
      : `Same-prefix control: with the prefix log-ratios cancelling, the IM-RM scores ${formatCi(same)}. The unseen answer word alone explains ${(100 * share).toFixed(0)}% of its shortfall below chance; the prefix tokens shared with the training responses explain the remaining ${(100 * (1 - share)).toFixed(0)}%.`,
  );
  const ablations = Object.keys(r.rewardModels).filter((rm) => rm !== 'ex' && rm !== 'im');
  if (ablations.length) {
    lines.push(
      `Ablations (test-paraphrased accuracy): ${ablations.map((rm) => `${rewardModelLabel(rm)} ${formatCi(acc(rm, 'test-paraphrased'))}`).join('; ')}. ` +
        "The paper's reading: variants that score hidden states (EX-RM averaged, EX-GRM) generalise like the EX-RM, variants that score token log-probabilities (IM-RM without reference, mean log-ratio) like the IM-RM.",
    );
  }
  return lines;
}
