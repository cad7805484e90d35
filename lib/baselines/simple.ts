/**
 * Reward functions that ignore meaning: random scores, and response length in characters (prefer the longer or
 * the shorter response). They place the reward models against what a trivial rule gets on each split.
 */
import { Rng } from '../random';

export type SimpleBaseline = 'random' | 'longer' | 'shorter';
export const SIMPLE_BASELINES: SimpleBaseline[] = ['random', 'longer', 'shorter'];

/** Rewards of every response; `random` draws a seeded uniform score per response. */
export function simpleRewards(kind: SimpleBaseline, responses: string[], seed: number): number[] {
  if (kind === 'random') {
    const rng = new Rng(seed);
    return responses.map(() => rng.next());
  }
  const sign = kind === 'longer' ? 1 : -1;
  return responses.map((r) => sign * [...r].length);
}
