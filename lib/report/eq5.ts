/** The Eq. 5 decomposition of a paraphrased pair (written by the token-cue experiment) as a figure and a table. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResponseDecomposition } from '../experiments/token-cues-analysis';
import * as figures from './figures';

export interface Eq5File {
  pair: string;
  prompt: string;
  responses: ResponseDecomposition[];
}

/** The decomposition a token-cue seed wrote (seedDir = <run>/seed-<s>, or <run>/seed-<s>/<variant> for alignment); null without an IM-RM. */
export function readEq5(seedDir: string): Eq5File | null {
  const file = path.join(seedDir, 'eq5-decomposition.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Eq5File) : null;
}

/** Bars: the predicted change of the response's reward, per token of the response. */
export function eq5Figure(name: string, label: string, r: ResponseDecomposition): figures.FigureSpec {
  return figures.groupedBars({
    name,
    title: `${label}: Eq. 5 per token of "${r.response}" (total ${r.total.toExponential(2)})`,
    categories: r.perToken.map((t) => `${t.k}:${JSON.stringify(t.token)}`),
    series: [{ name: 'predicted change of the reward', y: r.perToken.map((t) => t.contribution) }],
    yTitle: 'contribution',
  });
}

/** The largest position-pair terms: which training tokens push the response's reward, and how much. */
export function eq5TopRows(r: ResponseDecomposition): Array<Record<string, string | number>> {
  return r.top.map((t) => ({
    'evaluated token (k)': `${t.k}: ${JSON.stringify(t.evalToken)}`,
    'training token (l)': `${t.l}: ${JSON.stringify(t.trainToken)}`,
    'training response': t.against,
    contribution: t.contribution,
  }));
}
