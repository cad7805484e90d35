/**
 * Readings of the alignment experiment: one row per base of the family, and the verdicts the issue asks for,
 * computed from the numbers (pure functions of the typed summary, tested with hand-made aggregates).
 *
 * Seeds are paired across bases: seed s draws the same prompts, answers and heads on every base, so differences
 * between bases are aggregated per seed (a paired 95% CI), not from the bases' separate CIs.
 */
import { type Aggregate, aggregate, fitOfPoints, reliablyAbove, reliablyBelow } from '../runs/stats';
import { formatCi, rewardModelLabel } from '../runs/format';
import { baseSlope, slopeVerdict } from '../runs/base-bootstrap';
import type { Aggregated } from './types';
import type { AlignmentMetrics } from './alignment';

export type AlignmentResults = Aggregated<AlignmentMetrics>;

/** The family in the order of the hypothesis: paraphrases with the opposite meaning, absent, with the same meaning. */
export const VARIANT_ORDER = ['crossed', 'absent', 'aligned'];

export interface AlignmentRow {
  variant: string;
  hiddenAlignment: Aggregate;
  unembeddingAlignment: Aggregate;
  separatorPrediction: Aggregate;
  /** reward model -> test-paraphrased accuracy */
  paraphrased: Record<string, Aggregate>;
  /** reward model -> test-original accuracy (did it fit the task?) */
  original: Record<string, Aggregate>;
  /** reward model -> test-same-prefix accuracy (only the answer word differs within a pair) */
  samePrefix: Record<string, Aggregate>;
}

export function variantsOf(r: AlignmentResults): string[] {
  return VARIANT_ORDER.filter((v) => v in r.variants);
}

export function alignmentRows(r: AlignmentResults): AlignmentRow[] {
  return variantsOf(r).map((variant) => {
    const m = r.variants[variant];
    const rms = m.tokenCues.rewardModels;
    return {
      variant,
      hiddenAlignment: m.alignment.hidden.score,
      unembeddingAlignment: m.alignment.unembedding.score,
      separatorPrediction: m.tokenCues.separator.predictedAccuracy,
      paraphrased: Object.fromEntries(Object.entries(rms).map(([rm, x]) => [rm, x.splits['test-paraphrased'].accuracy])),
      original: Object.fromEntries(Object.entries(rms).map(([rm, x]) => [rm, x.splits['test-original'].accuracy])),
      samePrefix: Object.fromEntries(Object.entries(rms).map(([rm, x]) => [rm, x.splits['test-same-prefix'].accuracy])),
    };
  });
}

/** Per-seed difference b - a of two aggregates over the same seeds, aggregated (paired). */
export function pairedDifference(a: Aggregate, b: Aggregate): Aggregate {
  return aggregate(b.perSeed.map((v, i) => v - a.perSeed[i]));
}

export interface Verdict {
  claim: string;
  /** 'yes' / 'no', or 'in part' when the direction holds but not reliably, or for some bases only. */
  holds: 'yes' | 'no' | 'in part';
  evidence: string;
}

/** Does `values` (in VARIANT_ORDER) rise? 'yes' when every paired step is reliably positive, 'in part' when every step's mean is. */
function rises(values: Aggregate[]): { holds: Verdict['holds']; steps: Aggregate[] } {
  const steps = values.slice(1).map((v, i) => pairedDifference(values[i], v));
  const holds = steps.every((d) => reliablyAbove(d, 0)) ? 'yes' : steps.every((d) => d.mean > 0) ? 'in part' : 'no';
  return { holds, steps };
}

/** Correlation and gap over (base, seed) points: x and y of each base, seed by seed. */
const perSeedFit = (pairs: Array<[Aggregate, Aggregate]>) =>
  fitOfPoints(
    pairs.flatMap(([x]) => x.perSeed),
    pairs.flatMap(([x, y]) => x.perSeed.map((_, i) => y.perSeed[i])),
  );

const formatR = (r: number) => (Number.isNaN(r) ? 'undefined (no variation)' : r.toFixed(2));

const describeSteps = (variants: string[], steps: Aggregate[]) => steps.map((d, i) => `${variants[i + 1]} − ${variants[i]} ${formatCi(d)}`).join(', ');

export function alignmentVerdicts(r: AlignmentResults): Verdict[] {
  const rows = alignmentRows(r);
  const variants = rows.map((x) => x.variant);
  const verdicts: Verdict[] = [];

  const manip = rises(rows.map((x) => x.hiddenAlignment));
  verdicts.push({
    claim: 'The manipulation worked: the bases’ hidden-state alignment rises from crossed to absent to aligned',
    holds: manip.holds,
    evidence: `hidden-state alignment ${rows.map((x) => `${x.variant} ${formatCi(x.hiddenAlignment)}`).join(', ')}; unembedding alignment ${rows.map((x) => `${x.variant} ${formatCi(x.unembeddingAlignment)}`).join(', ')}.`,
  });

  const ex = rises(rows.map((x) => x.paraphrased.ex));
  verdicts.push({
    claim: 'EX-RM paraphrase accuracy rises from crossed to absent to aligned',
    holds: ex.holds,
    evidence: `test-paraphrased accuracy ${rows.map((x) => `${x.variant} ${formatCi(x.paraphrased.ex)}`).join(', ')}; paired steps ${describeSteps(variants, ex.steps)}.`,
  });

  const sepFit = perSeedFit(rows.map((x) => [x.separatorPrediction, x.paraphrased.ex]));
  const sep = rises(rows.map((x) => x.separatorPrediction));
  verdicts.push({
    claim: 'The base’s separator (footnote 3) predicts the EX-RM’s paraphrase accuracy',
    holds: sepFit.pearson > 0.5 && sepFit.meanAbsGap < 0.2 ? 'yes' : sepFit.pearson > 0 ? 'in part' : 'no',
    evidence: `separator prediction ${rows.map((x) => `${x.variant} ${formatCi(x.separatorPrediction)}`).join(', ')} (rising: ${sep.holds}); over ${sepFit.n} (base, seed) points from ${rows.length} bases Pearson r = ${formatR(sepFit.pearson)}, mean absolute gap ${sepFit.meanAbsGap.toFixed(3)}.`,
  });

  if (rows.every((x) => x.samePrefix.im)) {
    // With the prefix log-ratios cancelled (same-prefix pairs) only the answer words differ: does the IM-RM's
    // word-level ranking follow the base's unembedding alignment (the rows Eq. 5 moves)?
    const imFit = perSeedFit(rows.map((x) => [x.unembeddingAlignment, x.samePrefix.im]));
    const order = rises([...rows].sort((a, b) => a.unembeddingAlignment.mean - b.unembeddingAlignment.mean).map((x) => x.samePrefix.im));
    verdicts.push({
      claim: 'With the prefixes cancelled (same-prefix control), the IM-RM’s ranking of the answer words follows the base’s unembedding alignment',
      holds: imFit.pearson > 0.5 && order.holds !== 'no' ? 'yes' : imFit.pearson > 0 ? 'in part' : 'no',
      evidence: `IM-RM test-same-prefix accuracy ${rows.map((x) => `${x.variant} ${formatCi(x.samePrefix.im)}`).join(', ')} against unembedding alignment ${rows.map((x) => `${x.variant} ${formatCi(x.unembeddingAlignment)}`).join(', ')}; over ${imFit.n} (base, seed) points from ${rows.length} bases (the unembedding alignment varies only between bases) Pearson r = ${formatR(imFit.pearson)}.`,
    });
  }

  if (rows.every((x) => x.paraphrased.im)) {
    const below = rows.filter((x) => reliablyBelow(x.paraphrased.im, 0.5));
    const notBelow = rows.filter((x) => !reliablyBelow(x.paraphrased.im, 0.5));
    const why = notBelow.map((x) => {
      const e = r.variants[x.variant].tokenCues.eq5;
      const eq5 = e
        ? ` Eq. 5 on one paraphrased pair: chosen ${formatCi(e.chosen.predictedChange)} (same-token pairs ${formatCi(e.chosen.tokenMatch)}, different-token ${formatCi(e.chosen.tokenMismatch)}), rejected ${formatCi(e.rejected.predictedChange)} (same-token ${formatCi(e.rejected.tokenMatch)}, different-token ${formatCi(e.rejected.tokenMismatch)})`
        : '';
      return `${x.variant}: IM-RM ${formatCi(x.paraphrased.im)}, unembedding alignment ${formatCi(x.unembeddingAlignment)}.${eq5}`;
    });
    verdicts.push({
      claim: 'The IM-RM stays below chance on paraphrases on every base',
      holds: notBelow.length === 0 ? 'yes' : below.length === 0 ? 'no' : 'in part',
      evidence:
        `test-paraphrased accuracy ${rows.map((x) => `${x.variant} ${formatCi(x.paraphrased.im)}`).join(', ')}.` +
        (why.length ? ` Not reliably below chance — ${why.join(' ')}` : ''),
    });
  }

  // The base is the unit: each base's seeds are one base's evidence, not several bases'.
  const slope = baseSlope(rows.flatMap((x) => x.hiddenAlignment.perSeed.map((h, i) => ({ base: x.variant, x: h, y: x.paraphrased.ex.perSeed[i] }))));
  const direction = slopeVerdict(slope);
  verdicts.push({
    claim: 'EX-RM paraphrase accuracy rises with the base’s hidden-state alignment, with the base as the unit',
    holds: direction === 'positive' ? 'yes' : slope.slope > 0 ? 'in part' : 'no',
    evidence:
      `slope ${slope.slope.toFixed(3)} accuracy per unit of alignment over ${slope.bases} bases (${slope.points} seeds), 95% CI ` +
      (slope.ci
        ? `[${slope.ci[0].toFixed(3)}, ${slope.ci[1].toFixed(3)}] (bootstrap over bases, then their seeds; ${slope.resamples} resamples)`
        : 'none: fewer than three bases') +
      `; per base (alignment, mean accuracy): ${slope.perBase.map((b) => `${b.base} (${b.x.toFixed(3)}, ${b.y.toFixed(3)})`).join(', ')}.`,
  });
  return verdicts;
}

/** The verdicts as Markdown: one paragraph each. */
export function verdictsMarkdown(verdicts: Verdict[]): string {
  return verdicts.map((v) => `**${v.claim}: ${v.holds}.** ${v.evidence}`).join('\n\n');
}

/** Rows for a table: one per base, the alignment measures and each reward model's paraphrase accuracy. */
export function alignmentTable(r: AlignmentResults): Array<Record<string, string>> {
  return alignmentRows(r).map((x) => ({
    base: x.variant,
    'hidden-state alignment': formatCi(x.hiddenAlignment),
    'unembedding alignment': formatCi(x.unembeddingAlignment),
    'separator prediction': formatCi(x.separatorPrediction),
    ...Object.fromEntries(Object.entries(x.paraphrased).map(([rm, a]) => [`${rewardModelLabel(rm)} test-paraphrased`, formatCi(a)])),
    ...Object.fromEntries(Object.entries(x.samePrefix).map(([rm, a]) => [`${rewardModelLabel(rm)} test-same-prefix`, formatCi(a)])),
    ...Object.fromEntries(Object.entries(x.original).map(([rm, a]) => [`${rewardModelLabel(rm)} test-original`, formatCi(a)])),
  }));
}
