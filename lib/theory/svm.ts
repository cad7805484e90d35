/**
 * The hard-margin SVM without bias, min |w|^2 / 2 subject to <w, z_i> >= 1, solved in its dual
 *   max_a  sum_i a_i - 1/2 sum_ij a_i a_j <z_i, z_j>   subject to a_i >= 0
 * by exact coordinate ascent (each step maximises over one a_i in closed form). w = sum_i a_i z_i.
 * Gradient descent on the logistic loss of separable data converges in direction to this w (Soudry et al.
 * 2018), which is why an EX-RM's head ends up here (Theorem 2 of the paper). All in float64.
 */

export interface SvmResult {
  w: number[];
  alpha: number[];
  /** <w, z_i> for every constraint: >= 1 - tol at the optimum, = 1 on support vectors. */
  margins: number[];
  iterations: number;
  /** Largest KKT violation at the end. */
  kktViolation: number;
}

export class NotSeparableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotSeparableError';
  }
}

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
export const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));
export const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => dot(a, b) / (norm(a) * norm(b) || 1);

export function hardMarginSvm(z: number[][], opts: { tol?: number; maxIterations?: number; maxNorm?: number } = {}): SvmResult {
  const tol = opts.tol ?? 1e-10;
  const maxIterations = opts.maxIterations ?? 100000;
  const n = z.length;
  if (n === 0) throw new Error('hardMarginSvm: no constraints');
  const d = z[0].length;
  z.forEach((zi, i) => {
    if (zi.length !== d) throw new Error(`hardMarginSvm: vector ${i} has ${zi.length} dimensions, expected ${d}`);
    if (dot(zi, zi) === 0) throw new NotSeparableError(`vector ${i} is zero: no w gives it a positive margin`);
  });
  const K = z.map((a) => z.map((b) => dot(a, b)));
  const alpha = new Array(n).fill(0);
  const w = new Array(d).fill(0);
  // The dual is unbounded exactly when the data are not separable (at the optimum sum(a) = |w|^2, finite).
  const maxNorm = opts.maxNorm ?? 1e8;
  let alphaSum = 0;
  let iterations = 0;
  let violation = Infinity;
  for (; iterations < maxIterations && violation > tol; iterations++) {
    violation = 0;
    for (let i = 0; i < n; i++) {
      const margin = dot(w, z[i]);
      const next = Math.max(0, alpha[i] + (1 - margin) / K[i][i]);
      const delta = next - alpha[i];
      if (delta !== 0) {
        for (let k = 0; k < d; k++) w[k] += delta * z[i][k];
        alpha[i] = next;
        alphaSum += delta;
      }
      // KKT: margin >= 1, and margin = 1 where alpha > 0
      const v = alpha[i] > 0 ? Math.abs(1 - margin) : Math.max(0, 1 - margin);
      violation = Math.max(violation, v);
    }
    // At the optimum sum(a) = |w|^2; multipliers that keep growing while w does not mean there is no optimum.
    const diverging = iterations >= 100 && alphaSum > 1e3 * (dot(w, w) + 1);
    if (diverging || alphaSum > maxNorm * maxNorm || norm(w) > maxNorm) {
      throw new NotSeparableError(
        `the dual diverged (sum of multipliers ${alphaSum.toExponential(2)}): the vectors are not linearly separable through the origin`,
      );
    }
  }
  if (violation > tol) throw new Error(`hardMarginSvm: no convergence after ${iterations} sweeps (KKT violation ${violation.toExponential(2)})`);
  const margins = z.map((zi) => dot(w, zi));
  return { w, alpha, margins, iterations, kktViolation: violation };
}

export interface Quartiles {
  mean: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  fractionPositive: number;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos),
    hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function describe(values: number[]): Quartiles {
  if (values.length === 0) throw new Error('describe: no values');
  const s = values.slice().sort((a, b) => a - b);
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: s[0],
    q1: quantile(s, 0.25),
    median: quantile(s, 0.5),
    q3: quantile(s, 0.75),
    max: s[s.length - 1],
    fractionPositive: values.filter((v) => v > 0).length / values.length,
  };
}

/**
 * The paper's footnote-3 statistics: cosine and inner product between the separator u* and each difference
 * h(x, y+) - h(x, y-) of unseen pairs. fractionPositive of the inner products is the fraction of unseen pairs u*
 * ranks correctly.
 */
export function separatorStats(separator: number[], differences: number[][]): { cosine: Quartiles; inner: Quartiles } {
  return {
    cosine: describe(differences.map((d) => cosine(separator, d))),
    inner: describe(differences.map((d) => dot(separator, d))),
  };
}
