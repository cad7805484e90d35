/**
 * What `npm run reproduce` costs, notebook by notebook (its experiments, then executing the notebook), as measured
 * on this project's 2-core machine: printed by `npm run reproduce -- --help` and copied in the README (a test keeps
 * the two equal). Re-measure and update after a change that moves them.
 */
export interface NotebookCost {
  notebook: string;
  /** Seconds under `--profile smoke` (2 seeds). */
  smoke: number;
  /** Seconds under the default profile (quick, 2 seeds, one process per seed), the shipped bases installed. */
  quick: number;
  /** The paper profile, where measured on this machine. */
  paper: string;
}

export const COSTS_MEASURED =
  'quick measured 2026-12-05 on a 2-core Intel Xeon VM (PyTorch yardstick 82.7 ms/step right after; 64-88 seen on it), native engine (wasm+openblas), a clean clone, idle: `npm ci && npm run reproduce`, 22 min 2 s in all (npm ci 22 s); smoke: measured 2026-12-04 within `.ci/run`, idle';

export const NOTEBOOK_COSTS: NotebookCost[] = [
  { notebook: '00-overview', smoke: 13.9, quick: 37, paper: 'not measured here' },
  { notebook: '01-generation-vs-verification', smoke: 28.4, quick: 144, paper: 'not measured here' },
  { notebook: '02-learning-dynamics', smoke: 26.8, quick: 55, paper: 'not measured here' },
  { notebook: '03-token-cues', smoke: 24.1, quick: 447, paper: 'not measured here' },
  { notebook: '04-real-world-shifts', smoke: 15.6, quick: 292, paper: 'not measured here' },
  {
    notebook: '05-controlled-token-cues',
    smoke: 22.6,
    quick: 324,
    paper: '3 seeds: 58 min (native, 3 processes on the 2 cores, a CI run beside it for 25 min; shipped bases)',
  },
];

function minutes(s: number): string {
  const r = Math.round(s);
  return r < 60 ? `${r} s` : `${Math.floor(r / 60)} min ${String(r % 60).padStart(2, '0')} s`;
}

/** The table as Markdown (README) and as aligned text (--help). */
export function notebookCostsMarkdown(): string {
  const total = (k: 'smoke' | 'quick') => NOTEBOOK_COSTS.reduce((a, c) => a + c[k], 0);
  return [
    '| notebook | smoke | quick (default) | paper |',
    '|---|---|---|---|',
    ...NOTEBOOK_COSTS.map((c) => `| ${c.notebook} | ${minutes(c.smoke)} | ${minutes(c.quick)} | ${c.paper} |`),
    `| all six | ${minutes(total('smoke'))} | ${minutes(total('quick'))} | hours |`,
  ].join('\n');
}
