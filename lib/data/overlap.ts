/**
 * The paper's token-overlap statistic between two token sequences (section 5.2, and the rewrite logs): the
 * fraction of equal pairs among all |a| x |b| position pairs, sum_v count_a(v) count_b(v) / (|a| |b|). A response
 * with itself gives the baseline (about 0.05 for UltraFeedback responses under Llama's tokenizer, per the logs).
 */
export function equalPairFraction(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<number, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  let equal = 0;
  for (const t of b) equal += counts.get(t) ?? 0;
  return equal / (a.length * b.length);
}
