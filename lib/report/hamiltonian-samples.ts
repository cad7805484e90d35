/**
 * Reading saved Hamiltonian generations (seed-<k>/generations.json) beyond the run's metrics: whether an answer has
 * the task's format — exactly n vertex numbers below n, then EOS — whether or not it repeats vertices. The run's
 * `wellFormed` is stricter (a permutation of the vertices); a base trained on walks writes the format but repeats.
 */
import { SEP } from '../data/hamiltonian';

export interface SavedSample { text: string; stop: string }

/** True when `text` is n vertex numbers in [0, n) separated by SEP and ends at EOS. */
export function hasAnswerFormat(text: string, n: number): boolean {
  const at = text.indexOf('<eos>');
  if (at < 0) return false;
  const parts = text.slice(0, at).split(SEP);
  return parts.length === n && parts.every((p) => /^\d+$/.test(p) && Number(p) < n);
}

/** Share of samples with the answer format, and share of those whose vertices are all distinct. */
export function formatRates(samples: SavedSample[], n: number): { format: number; distinctGivenFormat: number } {
  const formatted = samples.filter((s) => hasAnswerFormat(s.text, n));
  const distinct = formatted.filter((s) => new Set(s.text.slice(0, s.text.indexOf('<eos>')).split(SEP)).size === n);
  return { format: samples.length ? formatted.length / samples.length : 0, distinctGivenFormat: formatted.length ? distinct.length / formatted.length : 0 };
}
