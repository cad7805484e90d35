/**
 * A synthetic preference task with a known rule, used to prove the library end to end: the prompt is a random
 * string over a small alphabet, the chosen response copies it exactly, the rejected response copies it with one
 * symbol replaced. Splits: train, test (new strings of the same length, disjoint from train) and longer
 * (strings `longerBy` symbols longer: a length shift). Base models learn copying from separate demonstrations.
 */
import { Rng, deriveSeed } from '../random';
import { check, mergeConfig } from '../config';
import type { PreferenceExample } from './examples';

export interface CopyTaskConfig {
  /** Number of distinct symbols (letters a, b, c, ...), 2 to 26. */
  alphabet: number;
  length: number;
  nTrain: number;
  nTest: number;
  /** Extra symbols in the 'longer' split (0: no such split). */
  longerBy: number;
}

export const DEFAULT_COPY_TASK: CopyTaskConfig = { alphabet: 8, length: 6, nTrain: 256, nTest: 128, longerBy: 2 };

export function resolveCopyTaskConfig(overrides: unknown, where = 'copy task'): CopyTaskConfig {
  const c = mergeConfig(DEFAULT_COPY_TASK, overrides, where);
  check(Number.isInteger(c.alphabet) && c.alphabet >= 2 && c.alphabet <= 26, where, 'alphabet', 'must be an integer in [2, 26]', c.alphabet);
  for (const k of ['length', 'nTrain', 'nTest'] as const) check(Number.isInteger(c[k]) && c[k] > 0, where, k, 'must be a positive integer', c[k]);
  check(Number.isInteger(c.longerBy) && c.longerBy >= 0, where, 'longerBy', 'must be a non-negative integer', c.longerBy);
  check(c.alphabet ** c.length >= 2 * (c.nTrain + c.nTest), where, 'length', 'leaves too few distinct strings for disjoint splits', c.length);
  return c;
}

export function copySymbols(alphabet: number): string[] {
  return Array.from({ length: alphabet }, (_, i) => String.fromCharCode(97 + i));
}

export const copyPrompt = (s: string) => `<bos>${s}=`;

function randomString(rng: Rng, symbols: string[], length: number): string {
  return Array.from({ length }, () => rng.choice(symbols)).join('');
}

function corrupt(rng: Rng, symbols: string[], s: string): string {
  const pos = rng.int(s.length);
  const others = symbols.filter((c) => c !== s[pos]);
  return s.slice(0, pos) + rng.choice(others) + s.slice(pos + 1);
}

function makeSplit(rng: Rng, symbols: string[], length: number, n: number, used: Set<string>, split: string): PreferenceExample[] {
  const out: PreferenceExample[] = [];
  while (out.length < n) {
    const s = randomString(rng, symbols, length);
    if (used.has(s)) continue;
    used.add(s);
    out.push({ id: `${split}-${out.length}`, prompt: copyPrompt(s), chosen: s, rejected: corrupt(rng, symbols, s) });
  }
  return out;
}

export function makeCopyTask(c: CopyTaskConfig, seed: number): Record<string, PreferenceExample[]> {
  const symbols = copySymbols(c.alphabet);
  const rng = new Rng(deriveSeed(seed, 'copy-task'));
  const used = new Set<string>();
  const splits: Record<string, PreferenceExample[]> = {
    train: makeSplit(rng, symbols, c.length, c.nTrain, used, 'train'),
    test: makeSplit(rng, symbols, c.length, c.nTest, used, 'test'),
  };
  if (c.longerBy > 0) splits.longer = makeSplit(rng, symbols, c.length + c.longerBy, c.nTest, used, 'longer');
  return splits;
}

/**
 * Copy demonstrations "<bos>s=s<eos>" of the task's length for pretraining a base model (never of the 'longer'
 * length, so that split is a shift for the base model too).
 */
export function copyDemonstrations(c: CopyTaskConfig, count: number, seed: number): string[] {
  const symbols = copySymbols(c.alphabet);
  const rng = new Rng(deriveSeed(seed, 'copy-demos'));
  return Array.from({ length: count }, () => {
    const s = randomString(rng, symbols, c.length);
    return `${copyPrompt(s)}${s}<eos>`;
  });
}
