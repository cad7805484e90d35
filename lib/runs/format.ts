/** The one place for how numbers and names are shown: notebooks, the CLI and RESULTS.md all use these. */
import type { Aggregate } from './stats';

/** "0.833 [0.116, 1.550]" (mean and 95% CI over seeds), or "0.833" for one seed. */
export function formatCi(a: Pick<Aggregate, 'mean' | 'ci95'>, digits = 3): string {
  return a.ci95 ? `${a.mean.toFixed(digits)} [${a.ci95[0].toFixed(digits)}, ${a.ci95[1].toFixed(digits)}]` : a.mean.toFixed(digits);
}

/** Per-seed values, e.g. "(1, 0.5, 1)". */
export function formatSeeds(a: Pick<Aggregate, 'perSeed'>, digits = 3): string {
  return `(${a.perSeed.map((v) => Number(v.toFixed(digits))).join(', ')})`;
}

/** Display names of the reward models, their ablations and the baselines. */
export const REWARD_MODEL_LABELS: Record<string, string> = {
  ex: 'EX-RM',
  im: 'IM-RM',
  'ex-mean': 'EX-RM, head averaged over positions',
  'im-noref': 'IM-RM without reference',
  'im-mean': 'IM-RM, mean log-ratio',
  'ex-grm': 'EX-GRM (generative verifier)',
  bow: 'bag-of-words Bradley-Terry',
  random: 'random',
  longer: 'prefer the longer response',
  shorter: 'prefer the shorter response',
};

export function rewardModelLabel(name: string): string {
  return REWARD_MODEL_LABELS[name] ?? name;
}
