/**
 * Bag-of-words Bradley-Terry baseline: reward(y) = w . phi(y), phi = L2-normalised log(1 + word counts) over a
 * vocabulary of the training responses, w fitted by full-batch gradient descent on the Bradley-Terry loss of the
 * training pairs with an L2 penalty. It is an explicit reward model on features that know nothing about the
 * prompt or word order: a floor that a language-model reward model should beat.
 */
import { check, mergeConfig } from '../config';

export interface BowConfig {
  /** Words kept: the most frequent ones in the training responses. */
  maxFeatures: number;
  /** A word must occur in at least this many training responses. */
  minCount: number;
  l2: number;
  learningRate: number;
  iterations: number;
}

export const DEFAULT_BOW: BowConfig = { maxFeatures: 5000, minCount: 2, l2: 1e-3, learningRate: 1, iterations: 300 };

export function resolveBowConfig(overrides: unknown, where = 'bag-of-words config'): BowConfig {
  const c = mergeConfig(DEFAULT_BOW, overrides, where);
  check(Number.isInteger(c.maxFeatures) && c.maxFeatures > 0, where, 'maxFeatures', 'must be a positive integer', c.maxFeatures);
  check(Number.isInteger(c.iterations) && c.iterations >= 0, where, 'iterations', 'must be a non-negative integer', c.iterations);
  check(c.l2 >= 0 && c.learningRate > 0, where, 'l2', 'l2 must be >= 0 and learningRate > 0', c.l2);
  return c;
}

/** Lower-cased runs of letters or digits (any script: the rewrites include French and Spanish). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Sparse feature vector: vocabulary index -> value. */
export type Sparse = Map<number, number>;

export class BowRewardModel {
  private constructor(
    readonly vocabulary: Map<string, number>,
    readonly weights: Float64Array,
    readonly losses: number[],
  ) {}

  features(text: string): Sparse {
    const counts = new Map<number, number>();
    for (const w of words(text)) {
      const i = this.vocabulary.get(w);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    let norm = 0;
    for (const [i, n] of counts) {
      const v = Math.log1p(n);
      counts.set(i, v);
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [i, v] of counts) counts.set(i, v / norm);
    return counts;
  }

  reward(text: string): number {
    let r = 0;
    for (const [i, v] of this.features(text)) r += this.weights[i] * v;
    return r;
  }

  /** Fits w on (chosen, rejected) training pairs; `losses` holds the penalised loss per iteration. */
  static fit(pairs: Array<{ chosen: string; rejected: string }>, config: Partial<BowConfig> = {}): BowRewardModel {
    const c = resolveBowConfig(config);
    const docFreq = new Map<string, number>();
    for (const p of pairs) for (const text of [p.chosen, p.rejected]) for (const w of new Set(words(text))) docFreq.set(w, (docFreq.get(w) ?? 0) + 1);
    const kept = [...docFreq]
      .filter(([, n]) => n >= c.minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, c.maxFeatures);
    const vocabulary = new Map(kept.map(([w], i) => [w, i]));
    const model = new BowRewardModel(vocabulary, new Float64Array(vocabulary.size), []);
    // d_k = phi(y+) - phi(y-): the Bradley-Terry loss is log(1 + exp(-w . d_k)).
    const diffs: Sparse[] = pairs.map((p) => {
      const d = new Map(model.features(p.chosen));
      for (const [i, v] of model.features(p.rejected)) d.set(i, (d.get(i) ?? 0) - v);
      return d;
    });
    const w = model.weights;
    const grad = new Float64Array(w.length);
    for (let it = 0; it < c.iterations; it++) {
      grad.fill(0);
      let loss = 0;
      for (const d of diffs) {
        let m = 0;
        for (const [i, v] of d) m += w[i] * v;
        loss += Math.log1p(Math.exp(-Math.abs(m))) + Math.max(-m, 0);
        const g = -1 / (1 + Math.exp(m)); // d loss / d m
        for (const [i, v] of d) grad[i] += g * v;
      }
      let penalty = 0;
      for (let i = 0; i < w.length; i++) {
        penalty += w[i] * w[i];
        w[i] -= c.learningRate * (grad[i] / diffs.length + c.l2 * w[i]);
      }
      model.losses.push(loss / diffs.length + 0.5 * c.l2 * penalty);
    }
    return model;
  }
}
