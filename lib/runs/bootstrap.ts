/**
 * Paired bootstrap over examples: two scorers (e.g. EX-RM and IM-RM) judged on the same examples, possibly over
 * several seeds. Each resample draws example indices with replacement (the same draw for every seed and both
 * scorers), so the interval reflects which examples happened to be in the split, with seeds averaged inside.
 */
import { Rng } from '../random';

export interface PairedBootstrap {
  /** Mean over seeds and examples of a - b. */
  difference: number;
  /** 95% percentile interval of the difference. */
  ci95: [number, number];
  /** Fraction of resamples with a difference <= 0 (a one-sided check that a beats b). */
  fractionNotPositive: number;
  resamples: number;
}

/** a[seed][example], b[seed][example]: per-example values (e.g. correctness 1 / 0.5 / 0). */
export function pairedBootstrap(a: number[][], b: number[][], resamples: number, seed: number): PairedBootstrap {
  const S = a.length;
  if (S === 0 || b.length !== S) throw new Error(`pairedBootstrap: need the same number (>= 1) of seeds on both sides (${a.length}, ${b.length})`);
  const n = a[0].length;
  for (let s = 0; s < S; s++) {
    if (a[s].length !== n || b[s].length !== n) throw new Error(`pairedBootstrap: seed ${s} has ${a[s].length} / ${b[s].length} examples, expected ${n}`);
  }
  if (n === 0) throw new Error('pairedBootstrap: no examples');
  // Per-example difference averaged over seeds: resampling examples then only needs these n numbers.
  const d = Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (let s = 0; s < S; s++) sum += a[s][i] - b[s][i];
    return sum / S;
  });
  const difference = d.reduce((x, y) => x + y, 0) / n;
  const rng = new Rng(seed);
  const stats = new Float64Array(resamples);
  let notPositive = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += d[rng.int(n)];
    stats[r] = sum / n;
    if (stats[r] <= 0) notPositive++;
  }
  stats.sort();
  const at = (q: number) => stats[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return { difference, ci95: [at(0.025), at(0.975)], fractionNotPositive: notPositive / resamples, resamples };
}
