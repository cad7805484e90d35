/**
 * Reading saved Hamiltonian generations (seed-<k>/generations.json) beyond the run's metrics: whether an answer has
 * the task's format — exactly n vertex numbers below n, then EOS — whether or not it repeats vertices. The run's
 * `wellFormed` is stricter (a permutation of the vertices); a base trained on walks writes the format but repeats.
 */
import { SEP } from '../data/hamiltonian';

export interface SavedSample {
  text: string;
  stop: string;
}

/** The vertex fields of `text` when it is n vertex numbers in [0, n) separated by SEP and ends at EOS; else null. */
function answerFields(text: string, n: number): string[] | null {
  const at = text.indexOf('<eos>');
  if (at < 0) return null;
  const parts = text.slice(0, at).split(SEP);
  return parts.length === n && parts.every((p) => /^\d+$/.test(p) && Number(p) < n) ? parts : null;
}

export function hasAnswerFormat(text: string, n: number): boolean {
  return answerFields(text, n) !== null;
}

/** Share of samples with the answer format, and share of those whose vertices are all distinct. */
export function formatRates(samples: SavedSample[], n: number): { format: number; distinctGivenFormat: number } {
  const formatted = samples.map((s) => answerFields(s.text, n)).filter((f): f is string[] => f !== null);
  const distinct = formatted.filter((f) => new Set(f).size === n);
  return { format: samples.length ? formatted.length / samples.length : 0, distinctGivenFormat: formatted.length ? distinct.length / formatted.length : 0 };
}
