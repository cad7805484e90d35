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
  'measured 2026-12-04 on a 2-core Intel Xeon VM (PyTorch yardstick 70-88 ms/step: about 2x slower than the 2026-11-30 machine, whose wasm-only default took 24 min), native engine (wasm+openblas), a clean clone; quick: `npm ci && npm run reproduce`, 29 min 51 s in all, a CI run sharing the machine for part of it; smoke: within `.ci/run`, idle';

export const NOTEBOOK_COSTS: NotebookCost[] = [
  { notebook: '00-overview', smoke: 13.9, quick: 83, paper: 'not measured here' },
  { notebook: '01-generation-vs-verification', smoke: 28.4, quick: 327, paper: 'not measured here' },
  { notebook: '02-learning-dynamics', smoke: 26.8, quick: 119, paper: 'not measured here' },
  { notebook: '03-token-cues', smoke: 24.1, quick: 638, paper: 'not measured here' },
  { notebook: '04-real-world-shifts', smoke: 15.6, quick: 312, paper: 'not measured here' },
  {
    notebook: '05-controlled-token-cues',
    smoke: 22.6,
    quick: 313,
    paper: '3 seeds: 1 h 11 min (wasm, the faster 2026-12-01 machine, 2 cores shared with other training)',
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
