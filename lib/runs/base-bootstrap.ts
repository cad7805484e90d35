/**
 * Statistics whose unit is the pretrained base, not the (base, seed) point: reward-model seeds on one base are not
 * independent evidence about bases. The slope of an accuracy against a base-level predictor (alignment) is the
 * least-squares slope over the bases' seed-mean accuracies; its 95% interval comes from a two-level bootstrap that
 * resamples bases with replacement, then each drawn base's seeds with replacement. With fewer than three distinct
 * bases no interval is given: a line through two points has no variance to estimate.
 */
import { Rng } from '../random';

export interface BasePoint {
  /** The base (a pretrained model); points of one base share its predictor value. */
  base: string;
  /** The base-level predictor (e.g. measured alignment); the base's mean is used if its seeds disagree. */
  x: number;
  /** One reward-model seed's outcome on that base. */
  y: number;
}

export interface BaseSlope {
  /** Distinct bases and points used. */
  bases: number;
  points: number;
  slope: number;
  /** 95% percentile interval of the slope over resamples, or null with fewer than three bases. */
  ci: [number, number] | null;
  /** Each base's x and mean y: what the slope is fitted to. */
  perBase: Array<{ base: string; x: number; y: number; seeds: number }>;
  resamples: number;
}

export interface BaseBootstrapOptions {
  resamples: number;
  seed: number;
}

export const DEFAULT_BASE_BOOTSTRAP: BaseBootstrapOptions = { resamples: 2000, seed: 1 };

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Least-squares slope of y on x; NaN when x does not vary. */
export function olsSlope(x: number[], y: number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/** The points grouped by base, in first-seen order. */
function byBase(points: BasePoint[]): Array<{ base: string; xs: number[]; ys: number[] }> {
  const groups = new Map<string, { base: string; xs: number[]; ys: number[] }>();
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new Error(`base ${p.base}: a point is not a finite number (x ${p.x}, y ${p.y})`);
    const g = groups.get(p.base) ?? { base: p.base, xs: [], ys: [] };
    g.xs.push(p.x);
    g.ys.push(p.y);
    groups.set(p.base, g);
  }
  return [...groups.values()];
}

function percentile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.ceil(i)] - sorted[lo]) * (i - lo);
}

/** The slope of y against x with the base as the unit, and its two-level bootstrap interval. */
export function baseSlope(points: BasePoint[], opts: BaseBootstrapOptions = DEFAULT_BASE_BOOTSTRAP): BaseSlope {
  const groups = byBase(points);
  if (groups.length < 2) throw new Error(`a slope needs at least two bases, got ${groups.length}`);
  const perBase = groups.map((g) => ({ base: g.base, x: mean(g.xs), y: mean(g.ys), seeds: g.ys.length }));
  const slope = olsSlope(
    perBase.map((b) => b.x),
    perBase.map((b) => b.y),
  );
  let ci: [number, number] | null = null;
  if (groups.length >= 3) {
    const rng = new Rng(opts.seed);
    const slopes: number[] = [];
    for (let r = 0; r < opts.resamples; r++) {
      const drawn = groups.map(() => groups[rng.int(groups.length)]);
      const x = drawn.map((g) => mean(g.xs));
      const y = drawn.map((g) => mean(g.ys.map(() => g.ys[rng.int(g.ys.length)])));
      const s = olsSlope(x, y);
      if (!Number.isNaN(s)) slopes.push(s); // a resample of one repeated base has no slope
    }
    slopes.sort((a, b) => a - b);
    if (slopes.length > 0) ci = [percentile(slopes, 0.025), percentile(slopes, 0.975)];
  }
  return { bases: groups.length, points: points.length, slope, ci, perBase, resamples: opts.resamples };
}

/** 'positive' or 'negative' when the interval excludes zero, else 'inconclusive' (also without an interval). */
export function slopeVerdict(s: BaseSlope): 'positive' | 'negative' | 'inconclusive' {
  if (!s.ci) return 'inconclusive';
  if (s.ci[0] > 0) return 'positive';
  if (s.ci[1] < 0) return 'negative';
  return 'inconclusive';
}
