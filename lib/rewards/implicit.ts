/** The implicit reward model (IM-RM), i.e. the DPO reward. */
import * as tf from '@tensorflow/tfjs';
import { oneHotFloat } from '../model/kernels';

/**
 * r(x, y) = beta * (log pi_theta(y|x) - log pi_ref(y|x)), from response log-probs (B) of the policy and of the
 * frozen reference; with reference null (the no-reference ablation), r = beta * log pi_theta(y|x).
 */
export function implicitReward(policyLogProbs: tf.Tensor1D, referenceLogProbs: tf.Tensor1D | null, beta: number): tf.Tensor1D {
  const ratio = referenceLogProbs ? policyLogProbs.sub(referenceLogProbs) : policyLogProbs;
  return ratio.mul(beta) as tf.Tensor1D;
}

/**
 * The same reward for a single-token response from the logits themselves (P, V) and the reference logits (P, V):
 *   beta * log pi(y|x) / pi_ref(y|x) = beta * ((z_y - z0_y) - (logsumexp z - logsumexp z0)).
 * Algebraically identical to implicitReward on log-probs, but exact where the paper's argument is: a token whose
 * logit did not move gets exactly the same reward as any other such token of the same prompt (both are
 * -beta * (logsumexp z - logsumexp z0)), so unseen-token pairs tie exactly (Theorem 2). targets (P) int32.
 */
export function implicitRewardFromLogits(logits: tf.Tensor2D, referenceLogits: tf.Tensor2D, targets: tf.Tensor1D, beta: number): tf.Tensor1D {
  const pick = oneHotFloat(targets, logits.shape[1]);
  const moved = logits.mul(pick).sum(1).sub(referenceLogits.mul(pick).sum(1));
  const normaliser = tf.logSumExp(logits, 1).sub(tf.logSumExp(referenceLogits, 1));
  return moved.sub(normaliser).mul(beta) as tf.Tensor1D;
}
