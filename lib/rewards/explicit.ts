/** The explicit reward model (EX-RM): a linear head on the last-layer hidden states. */
import * as tf from '@tensorflow/tfjs';
import { normalArray } from '../model/params';
import type { SequenceBatch } from './sequences';

export type Pooling = 'last' | 'mean';

/**
 * (B, T) pooling weights over positions: 'last' puts 1 on the last response token (the paper's EX-RM);
 * 'mean' spreads 1 uniformly over the response tokens (the "head at every response position, averaged" ablation).
 */
export function poolingWeights(batch: SequenceBatch, pooling: Pooling): Float32Array {
  const w = new Float32Array(batch.B * batch.T);
  for (let b = 0; b < batch.B; b++) {
    if (pooling === 'last') {
      w[b * batch.T + batch.lastIndex[b]] = 1;
    } else {
      const n = batch.responseLengths[b];
      for (let t = 0; t < batch.T; t++) w[b * batch.T + t] = batch.responseMask[b * batch.T + t] / n;
    }
  }
  return w;
}

/**
 * r(x, y) = <u, sum_t w_t h_t>: hidden (B, T, D), head u (D, 1), weights (B, T) -> (B).
 * With 'mean' weights this equals the mean over response positions of <u, h_t>.
 */
export function explicitReward(hidden: tf.Tensor3D, head: tf.Tensor2D, weights: tf.Tensor2D): tf.Tensor1D {
  const [B, T] = hidden.shape;
  const pooled = hidden.mul(weights.reshape([B, T, 1])).sum(1) as tf.Tensor2D; // (B, D)
  return tf.matMul(pooled, head).reshape([B]);
}

/** A fresh head u ~ N(0, 1/(D+1)) per coordinate (variance 1/(D+1)), no bias, as a trainable variable. */
export function initExplicitHead(dModel: number, seed: number): tf.Variable {
  const initial = tf.tensor2d(normalArray(dModel, Math.sqrt(1 / (dModel + 1)), seed), [dModel, 1]);
  const head = tf.variable(initial, true);
  initial.dispose();
  return head;
}
