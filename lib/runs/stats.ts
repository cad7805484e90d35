/** Aggregation over seeds: mean, sample std and a 95% confidence interval from Student's t. */

// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (df < 1) throw new Error(`t quantile needs df >= 1, got ${df}`);
  return df <= 30 ? T975[df - 1] : 1.96;
}

export interface Aggregate {
  mean: number;
  std: number;
  /** 95% CI of the mean; null with a single seed. */
  ci95: [number, number] | null;
  perSeed: number[];
}

export function aggregate(values: number[]): Aggregate {
  const n = values.length;
  if (n === 0) throw new Error('aggregate: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (tQuantile975(n - 1) * std) / Math.sqrt(n) : null;
  return { mean, std, ci95: half === null ? null : [mean - half, mean + half], perSeed: values.slice() };
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(x: number[], y: number[]): number {
  if (x.length !== y.length || x.length < 2) throw new Error(`pearson: need two equal-length series of >= 2 values (${x.length}, ${y.length})`);
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n,
    my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Fraction of entries where both values have the same sign (zero counts as its own sign). */
export function signAgreement(x: number[], y: number[]): number {
  if (x.length !== y.length || x.length === 0) throw new Error('signAgreement: need two equal-length, non-empty series');
  return x.filter((v, i) => Math.sign(v) === Math.sign(y[i])).length / x.length;
}

/** Least-squares slope of log10(y) against log10(x) (e.g. the order of an approximation error). */
export function logLogSlope(x: number[], y: number[]): number {
  const lx = x.map(Math.log10),
    ly = y.map(Math.log10);
  const n = lx.length;
  const mx = lx.reduce((a, b) => a + b, 0) / n,
    my = ly.reduce((a, b) => a + b, 0) / n;
  let num = 0,
    den = 0;
  for (let i = 0; i < n; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

/** Whether an aggregate is reliably above (below) a level: its 95% CI excludes it (one seed: its mean). */
export function reliablyAbove(a: Aggregate, level: number): boolean {
  return a.ci95 ? a.ci95[0] > level : a.mean > level;
}

export function reliablyBelow(a: Aggregate, level: number): boolean {
  return a.ci95 ? a.ci95[1] < level : a.mean < level;
}

/** Pearson r (NaN below two points or without variation) and the mean absolute gap |y - x| of paired values. */
export function fitOfPoints(xs: number[], ys: number[]): { n: number; pearson: number; meanAbsGap: number } {
  if (xs.length !== ys.length) throw new Error(`fitOfPoints: ${xs.length} x values for ${ys.length} y values`);
  const n = xs.length;
  return { n, pearson: n > 1 ? pearson(xs, ys) : Number.NaN, meanAbsGap: ys.reduce((a, y, i) => a + Math.abs(y - xs[i]), 0) / Math.max(1, n) };
}

/** Whether two aggregates' 95% CIs overlap (null when a CI is missing, one seed). */
export function cisOverlap(a: Aggregate, b: Aggregate): boolean | null {
  if (!a.ci95 || !b.ci95) return null;
  return !(a.ci95[1] < b.ci95[0] || b.ci95[1] < a.ci95[0]);
}

/** Whether chance (0.5) lies inside the 95% CI (one seed: within 0.05 of it). */
export function consistentWithChance(a: Aggregate): boolean {
  return a.ci95 ? a.ci95[0] <= 0.5 && 0.5 <= a.ci95[1] : Math.abs(a.mean - 0.5) < 0.05;
}

/** The middle value (the mean of the two middle values for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
