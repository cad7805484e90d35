/**
 * Theorem 1 (section 3.1): verification does not need generation. For a reference distribution pi_ref over an
 * enumerable response set and a margin delta > 0, the tilted policy
 *   pi(y) = pi_ref(y) exp((delta / beta) 1[y correct]) / Z
 * has IM-RM reward r(y) = beta log(pi(y) / pi_ref(y)) = delta 1[y correct] - beta log Z: every correct response
 * is ranked above every incorrect one by exactly delta, yet
 *   pi(correct) = e^{delta/beta} p / (e^{delta/beta} p + 1 - p) <= e^{delta/beta} p,   p = pi_ref(correct),
 * so when pi_ref generates correct answers with tiny probability, so does pi. Everything here is exact float64
 * arithmetic over the enumerated responses, in log space (p can be 1e-30).
 */

export interface TiltCheck {
  deltaOverBeta: number;
  /** pi_ref(correct) and pi(correct), and the bound e^{delta/beta} p. */
  piRefCorrect: number;
  piCorrect: number;
  bound: number;
  /** Closed form e^{d} p / (e^{d} p + 1 - p), to compare with piCorrect summed over responses. */
  closedForm: number;
  /** min over correct r - max over incorrect r, and max over correct - min over incorrect: both = delta. */
  marginMin: number;
  marginMax: number;
  /** Fraction of (correct, incorrect) pairs the IM-RM ranks correctly: 1. */
  verificationAccuracy: number;
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
}

/**
 * logPiRef: log-probabilities of every response (normalised or not: they are normalised here); correct: flags.
 * beta and delta in reward units.
 */
export function checkTilt(logPiRef: number[], correct: boolean[], beta: number, delta: number): TiltCheck {
  if (logPiRef.length !== correct.length) throw new Error('checkTilt: one correctness flag per response');
  if (!correct.some(Boolean) || correct.every(Boolean)) throw new Error('checkTilt: need both correct and incorrect responses');
  const lz0 = logSumExp(logPiRef);
  const ref = logPiRef.map((l) => l - lz0);
  const d = delta / beta;
  const tilted = ref.map((l, i) => l + (correct[i] ? d : 0));
  const lz = logSumExp(tilted);
  const logPi = tilted.map((l) => l - lz);
  const rewards = logPi.map((l, i) => beta * (l - ref[i]));
  const rc = rewards.filter((_, i) => correct[i]);
  const ri = rewards.filter((_, i) => !correct[i]);
  const p = Math.exp(logSumExp(ref.filter((_, i) => correct[i])));
  const piCorrect = Math.exp(logSumExp(logPi.filter((_, i) => correct[i])));
  let wins = 0;
  for (const a of rc) for (const b of ri) wins += a > b ? 1 : a === b ? 0.5 : 0;
  return {
    deltaOverBeta: d,
    piRefCorrect: p,
    piCorrect,
    bound: Math.exp(d) * p,
    closedForm: (Math.exp(d) * p) / (Math.exp(d) * p + 1 - p),
    marginMin: Math.min(...rc) - Math.max(...ri),
    marginMax: Math.max(...rc) - Math.min(...ri),
    verificationAccuracy: wins / (rc.length * ri.length),
  };
}
