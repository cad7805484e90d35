/**
 * Readings of the alignment experiment (a dosed family of replicated bases): for each measured trait and word set,
 * one row per base, the dose-response of the measured alignment, and the verdicts the issue asks for, computed from
 * the numbers (pure functions of the typed summary, tested with hand-made aggregates).
 *
 * The unit is the base: reward-model seeds on one base are one base's evidence. Slopes of an accuracy against
 * measured alignment are least squares over the bases' seed-means with a two-level bootstrap interval (bases, then
 * their seeds; lib/runs/base-bootstrap.ts). Reward-model seeds are paired across bases (seed s draws the same
 * prompts and heads on every base).
 */
import type { Aggregate } from '../runs/stats';
import { reliablyBelow } from '../runs/stats';
import { formatCi, rewardModelLabel } from '../runs/format';
import { type BaseSlope, baseSlope, slopeVerdict } from '../runs/base-bootstrap';
import type { Aggregated } from './types';
import type { AlignmentMetrics } from './alignment';

export type AlignmentResults = Aggregated<AlignmentMetrics>;

export interface BaseRow {
  base: string;
  /** null for the absent control. */
  dose: number | null;
  pretrainSeed: number;
  hiddenAlignment: Aggregate;
  unembeddingAlignment: Aggregate;
  separatorPrediction: Aggregate;
  /** reward model -> accuracy on test-paraphrased / test-original / test-same-prefix */
  paraphrased: Record<string, Aggregate>;
  original: Record<string, Aggregate>;
  samePrefix: Record<string, Aggregate>;
}

/** A base label's dose and pretraining seed: p50-s2 is dose 0.5, seed 2; absent-s1 is the control, seed 1. */
export function parseBaseLabel(label: string): { dose: number | null; pretrainSeed: number } {
  const m = /^(absent|p(\d+))-s(\d+)$/.exec(label);
  if (!m) throw new Error(`alignment: '${label}' is not a base label (p<percent>-s<seed> or absent-s<seed>)`);
  return { dose: m[1] === 'absent' ? null : Number(m[2]) / 100, pretrainSeed: Number(m[3]) };
}

/** The measured (trait, word set) cells, in the order of the summary. */
export function cellsOf(r: AlignmentResults): Array<{ trait: string; wordSet: string }> {
  const first = Object.values(r.bases)[0];
  return Object.entries(first).flatMap(([trait, sets]) => Object.keys(sets).map((wordSet) => ({ trait, wordSet })));
}

/** One row per base for one trait and word set: absent first, then doses ascending, seeds within. */
export function baseRows(r: AlignmentResults, trait: string, wordSet: string): BaseRow[] {
  const rows = Object.entries(r.bases).map(([base, traits]) => {
    const m = traits[trait]?.[wordSet];
    if (!m) throw new Error(`alignment: base ${base} has no result for trait ${trait}, word set ${wordSet}`);
    const rms = m.tokenCues.rewardModels;
    const acc = (split: 'test-paraphrased' | 'test-original' | 'test-same-prefix') =>
      Object.fromEntries(Object.entries(rms).map(([rm, x]) => [rm, x.splits[split].accuracy]));
    return {
      base,
      ...parseBaseLabel(base),
      hiddenAlignment: m.alignment.hidden.score,
      unembeddingAlignment: m.alignment.unembedding.score,
      separatorPrediction: m.tokenCues.separator.predictedAccuracy,
      paraphrased: acc('test-paraphrased'),
      original: acc('test-original'),
      samePrefix: acc('test-same-prefix'),
    };
  });
  const order = (x: BaseRow) => (x.dose === null ? -1 : x.dose);
  return rows.sort((a, b) => order(a) - order(b) || a.pretrainSeed - b.pretrainSeed);
}

export interface DosePoint {
  dose: number;
  /** Mean over the dose's bases of each base's seed-mean alignment, and the bases' own values. */
  mean: number;
  perBase: number[];
}

/** Hidden-state alignment per dose (the absent control left out: it has no p). */
export function doseResponse(rows: BaseRow[], measure: (x: BaseRow) => Aggregate = (x) => x.hiddenAlignment): DosePoint[] {
  const doses = [...new Set(rows.flatMap((x) => (x.dose === null ? [] : [x.dose])))].sort((a, b) => a - b);
  return doses.map((dose) => {
    const perBase = rows.filter((x) => x.dose === dose).map((x) => measure(x).mean);
    return { dose, mean: perBase.reduce((a, b) => a + b, 0) / perBase.length, perBase };
  });
}

/** Strictly rising dose means ('yes'); rising overall with a step that does not ('in part'); else 'no'. */
export function monotoneInDose(points: DosePoint[]): 'yes' | 'in part' | 'no' {
  if (points.length < 2) return 'no';
  const steps = points.slice(1).map((p, i) => p.mean - points[i].mean);
  if (steps.every((d) => d > 0)) return 'yes';
  return points[points.length - 1].mean > points[0].mean ? 'in part' : 'no';
}

/** Slope of an accuracy (or any per-seed outcome) against a per-seed predictor, the base as the unit. */
export function slopeOver(rows: BaseRow[], x: (r: BaseRow) => Aggregate, y: (r: BaseRow) => Aggregate): BaseSlope {
  return baseSlope(rows.flatMap((r) => x(r).perSeed.map((xv, i) => ({ base: r.base, x: xv, y: y(r).perSeed[i] }))));
}

export const formatSlope = (s: BaseSlope) =>
  `${s.slope.toFixed(3)} ${s.ci ? `[${s.ci[0].toFixed(3)}, ${s.ci[1].toFixed(3)}]` : '(no interval: fewer than three bases)'}`;

/** Mean absolute gap between the footnote-3 separator's predicted accuracy and the EX-RM's, over the bases' seed-means. */
export function separatorError(rows: BaseRow[]): number {
  return rows.reduce((a, x) => a + Math.abs(x.separatorPrediction.mean - x.paraphrased.ex.mean), 0) / rows.length;
}

export interface Verdict {
  claim: string;
  /** 'yes' / 'no', or 'in part' when the direction holds but not reliably, or for some bases only. */
  holds: 'yes' | 'no' | 'in part';
  evidence: string;
}

const slopeHolds = (s: BaseSlope): Verdict['holds'] => (slopeVerdict(s) === 'positive' ? 'yes' : s.slope > 0 ? 'in part' : 'no');
const slopeEvidence = (s: BaseSlope) =>
  `slope ${formatSlope(s)} over ${s.bases} bases (${s.points} seeds; 95% interval from a bootstrap over bases, then their seeds)`;

/** The verdicts for one trait and word set. */
export function alignmentVerdicts(r: AlignmentResults, trait: string, wordSet: string): Verdict[] {
  const rows = baseRows(r, trait, wordSet);
  const verdicts: Verdict[] = [];
  const dose = doseResponse(rows);
  verdicts.push({
    claim: 'The manipulation orders the bases: hidden-state alignment rises with the dose p',
    holds: monotoneInDose(dose),
    evidence: `mean over bases per dose ${dose.map((d) => `p=${d.dose}: ${d.mean.toFixed(3)} (${d.perBase.map((v) => v.toFixed(3)).join(', ')})`).join('; ')}${
      rows.some((x) => x.dose === null)
        ? `; absent ${rows
            .filter((x) => x.dose === null)
            .map((x) => x.hiddenAlignment.mean.toFixed(3))
            .join(', ')}`
        : ''
    }.`,
  });
  if (new Set(rows.map((x) => x.base)).size < 2) return verdicts;
  const hidden = (x: BaseRow) => x.hiddenAlignment;
  const ex = slopeOver(rows, hidden, (x) => x.paraphrased.ex);
  verdicts.push({
    claim: 'EX-RM paraphrase accuracy rises with the base’s hidden-state alignment',
    holds: slopeHolds(ex),
    evidence: `${slopeEvidence(ex)}; per base (alignment, accuracy): ${ex.perBase.map((b) => `${b.base} (${b.x.toFixed(3)}, ${b.y.toFixed(3)})`).join(', ')}.`,
  });
  const gap = separatorError(rows);
  verdicts.push({
    claim: 'The footnote-3 separator predicts the EX-RM’s paraphrase accuracy',
    holds: gap < 0.1 ? 'yes' : gap < 0.2 ? 'in part' : 'no',
    evidence: `mean absolute gap between predicted and measured accuracy ${gap.toFixed(3)} over ${rows.length} bases; per base ${rows
      .map((x) => `${x.base} ${x.separatorPrediction.mean.toFixed(3)} vs ${x.paraphrased.ex.mean.toFixed(3)}`)
      .join(', ')}.`,
  });
  if (rows.every((x) => x.paraphrased.im)) {
    const im = slopeOver(rows, hidden, (x) => x.paraphrased.im);
    const notBelow = rows.filter((x) => !reliablyBelow(x.paraphrased.im, 0.5));
    verdicts.push({
      claim: 'The IM-RM stays below chance on paraphrases at every dose',
      holds: notBelow.length === 0 ? 'yes' : notBelow.length < rows.length ? 'in part' : 'no',
      evidence: `test-paraphrased accuracy ${rows.map((x) => `${x.base} ${formatCi(x.paraphrased.im)}`).join(', ')}; against hidden-state alignment ${slopeEvidence(im)}.${
        notBelow.length ? ` Not reliably below chance: ${notBelow.map((x) => x.base).join(', ')}.` : ''
      }`,
    });
    const same = slopeOver(
      rows,
      (x) => x.unembeddingAlignment,
      (x) => x.samePrefix.im,
    );
    verdicts.push({
      claim: 'With the prefixes cancelled (same-prefix pairs), the IM-RM’s accuracy rises with the base’s unembedding alignment',
      holds: slopeHolds(same),
      evidence: `IM-RM test-same-prefix accuracy against unembedding alignment: ${slopeEvidence(same)}; per base ${same.perBase
        .map((b) => `${b.base} (${b.x.toFixed(3)}, ${b.y.toFixed(3)})`)
        .join(', ')}.`,
    });
  }
  return verdicts;
}

/** The verdicts as Markdown: one paragraph each. */
export function verdictsMarkdown(verdicts: Verdict[]): string {
  return verdicts.map((v) => `**${v.claim}: ${v.holds}.** ${v.evidence}`).join('\n\n');
}

/** One line per (trait, word set): is the dose monotone, and the slopes with the base as the unit. */
export function familySummaryTable(r: AlignmentResults): Array<Record<string, string>> {
  return cellsOf(r).map(({ trait, wordSet }) => {
    const rows = baseRows(r, trait, wordSet);
    const dose = doseResponse(rows);
    const slope = (y: (x: BaseRow) => Aggregate, x: (r: BaseRow) => Aggregate = (r) => r.hiddenAlignment) => formatSlope(slopeOver(rows, x, y));
    return {
      trait,
      'word set': wordSet,
      'alignment per dose': dose.map((d) => `${d.dose}: ${d.mean.toFixed(3)}`).join(', '),
      'monotone in p': monotoneInDose(dose),
      'EX-RM slope vs alignment': slope((x) => x.paraphrased.ex),
      ...(rows.every((x) => x.paraphrased.im)
        ? {
            'IM-RM slope vs alignment': slope((x) => x.paraphrased.im),
            'IM-RM highest paraphrase accuracy': Math.max(...rows.map((x) => x.paraphrased.im.mean)).toFixed(3),
            'IM-RM same-prefix slope vs unembedding alignment': slope(
              (x) => x.samePrefix.im,
              (x) => x.unembeddingAlignment,
            ),
          }
        : {}),
      'separator error': separatorError(rows).toFixed(3),
    };
  });
}

/** Rows for a table: one per base, the alignment measures and each reward model's accuracies. */
export function alignmentTable(r: AlignmentResults, trait: string, wordSet: string): Array<Record<string, string>> {
  return baseRows(r, trait, wordSet).map((x) => ({
    base: x.base,
    dose: x.dose === null ? 'absent' : String(x.dose),
    'hidden-state alignment': formatCi(x.hiddenAlignment),
    'unembedding alignment': formatCi(x.unembeddingAlignment),
    'separator prediction': formatCi(x.separatorPrediction),
    ...Object.fromEntries(Object.entries(x.paraphrased).map(([rm, a]) => [`${rewardModelLabel(rm)} test-paraphrased`, formatCi(a)])),
    ...Object.fromEntries(Object.entries(x.samePrefix).map(([rm, a]) => [`${rewardModelLabel(rm)} test-same-prefix`, formatCi(a)])),
    ...Object.fromEntries(Object.entries(x.original).map(([rm, a]) => [`${rewardModelLabel(rm)} test-original`, formatCi(a)])),
  }));
}
