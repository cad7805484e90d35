/** Figures of the controlled token-cue family (notebook 05), built from lib/experiments/alignment-report's rows. */
import type { Aggregate } from '../runs/stats';
import { rewardModelLabel } from '../runs/format';
import { type AlignmentResults, alignmentRows } from '../experiments/alignment-report';
import { type FigureSpec, scatter } from './figures';

const ciLo = (a: Aggregate) => (a.ci95 ? a.ci95[0] : a.mean);
const ciHi = (a: Aggregate) => (a.ci95 ? a.ci95[1] : a.mean);

/** The family as one figure: each reward model's test-paraphrased accuracy against the base's hidden-state alignment, CIs both ways. */
export function alignmentScatter(r: AlignmentResults, rewardModels: string[]): FigureSpec {
  const rows = alignmentRows(r);
  return scatter({
    name: 'alignment-vs-accuracy',
    title: "Test-paraphrased accuracy vs the base's hidden-state alignment (chance = 0.5)",
    xTitle: 'hidden-state alignment of the base (centred cosines)',
    yTitle: 'test-paraphrased accuracy',
    series: rewardModels.map((rm) => ({
      name: rewardModelLabel(rm),
      text: rows.map((x) => x.variant),
      showText: true,
      x: rows.map((x) => x.hiddenAlignment.mean),
      xCi: { lo: rows.map((x) => ciLo(x.hiddenAlignment)), hi: rows.map((x) => ciHi(x.hiddenAlignment)) },
      y: rows.map((x) => x.paraphrased[rm].mean),
      yCi: { lo: rows.map((x) => ciLo(x.paraphrased[rm])), hi: rows.map((x) => ciHi(x.paraphrased[rm])) },
    })),
  });
}
