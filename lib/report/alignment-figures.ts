/** Figures of the dosed alignment family (notebook 05), built from lib/experiments/alignment-report's rows: every base a point. */
import type { Aggregate } from '../runs/stats';
import { rewardModelLabel } from '../runs/format';
import { type AlignmentResults, type BaseRow, baseRows } from '../experiments/alignment-report';
import { type FigureSpec, scatter } from './figures';

const ciLo = (a: Aggregate) => (a.ci95 ? a.ci95[0] : a.mean);
const ciHi = (a: Aggregate) => (a.ci95 ? a.ci95[1] : a.mean);
const interval = (xs: Aggregate[]) => ({ lo: xs.map(ciLo), hi: xs.map(ciHi) });

/** The manipulation check: each base's hidden-state alignment against its dose (absent drawn at p = -0.1). */
export function doseFigure(r: AlignmentResults, trait: string, wordSet: string): FigureSpec {
  const rows = baseRows(r, trait, wordSet);
  const series = (name: string, xs: BaseRow[], measure: (x: BaseRow) => Aggregate) => ({
    name,
    text: xs.map((x) => x.base),
    x: xs.map((x) => (x.dose === null ? -0.1 : x.dose)),
    y: xs.map((x) => measure(x).mean),
    yCi: interval(xs.map(measure)),
  });
  return scatter({
    name: `alignment-vs-dose-${trait}-${wordSet}`,
    title: `Alignment against the dose p (${trait}, ${wordSet} words; absent at p = -0.1)`,
    xTitle: 'dose p: share of a paraphrase word’s answers that follow its own meaning',
    yTitle: 'alignment score (centred cosines)',
    series: [series('hidden states', rows, (x) => x.hiddenAlignment), series('unembedding rows', rows, (x) => x.unembeddingAlignment)],
  });
}

/** Each reward model's test-paraphrased accuracy against the base's hidden-state alignment, CIs both ways. */
export function alignmentScatter(r: AlignmentResults, trait: string, wordSet: string, rewardModels: string[]): FigureSpec {
  const rows = baseRows(r, trait, wordSet);
  return scatter({
    name: `accuracy-vs-alignment-${trait}-${wordSet}`,
    title: `Test-paraphrased accuracy vs the base's hidden-state alignment (${trait}, ${wordSet} words; chance = 0.5)`,
    xTitle: 'hidden-state alignment of the base (centred cosines)',
    yTitle: 'test-paraphrased accuracy',
    series: rewardModels.map((rm) => ({
      name: rewardModelLabel(rm),
      text: rows.map((x) => x.base),
      x: rows.map((x) => x.hiddenAlignment.mean),
      xCi: interval(rows.map((x) => x.hiddenAlignment)),
      y: rows.map((x) => x.paraphrased[rm].mean),
      yCi: interval(rows.map((x) => x.paraphrased[rm])),
    })),
  });
}
