/** Number formatting for reports and notebooks; it lives in lib/runs/format.ts, below the experiments that use it. */
export * from '../runs/format';
