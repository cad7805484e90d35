/** Per-token and per-response log-probabilities under a causal language model. */
import * as tf from '@tensorflow/tfjs';
import { type KernelName, getKernels } from '../model/kernels';

/**
 * logits (B, T, V), ids (B, T) -> (B, T): entry [b, t] = log pi(ids[b, t] | ids[b, < t]) for t >= 1, read from
 * the logits at position t - 1; column 0 (nothing predicts it) is 0.
 */
export function tokenLogProbs(logits: tf.Tensor3D, ids: tf.Tensor2D, kernels: KernelName = 'fast'): tf.Tensor2D {
  const [B, T, V] = logits.shape;
  if (T < 2) return tf.zeros([B, T]);
  const predicting = logits.slice([0, 0, 0], [B, T - 1, V]).reshape([B * (T - 1), V]) as tf.Tensor2D;
  const targets = ids.slice([0, 1], [B, T - 1]).reshape([B * (T - 1)]) as tf.Tensor1D;
  const picked = getKernels(kernels)
    .pickLogProbs(predicting, targets)
    .reshape([B, T - 1]);
  return tf.concat([tf.zeros([B, 1]), picked], 1) as tf.Tensor2D;
}

/**
 * Aggregates token log-probs over the response tokens only: 'sum' gives log pi(y|x) (the paper's IM-RM),
 * 'mean' divides by the response length (a length-normalised variant). (B, T), (B, T) -> (B)
 */
export function responseLogProbs(tokenLp: tf.Tensor2D, responseMask: tf.Tensor2D, aggregate: 'sum' | 'mean' = 'sum'): tf.Tensor1D {
  const summed = tokenLp.mul(responseMask).sum(1) as tf.Tensor1D;
  return aggregate === 'sum' ? summed : (summed.div(responseMask.sum(1)) as tf.Tensor1D);
}
