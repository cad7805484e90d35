/** The implicit reward model (IM-RM), i.e. the DPO reward. */
import * as tf from '@tensorflow/tfjs';

/**
 * r(x, y) = beta * (log pi_theta(y|x) - log pi_ref(y|x)), from response log-probs (B) of the policy and of the
 * frozen reference; with reference null (the no-reference ablation), r = beta * log pi_theta(y|x).
 */
export function implicitReward(policyLogProbs: tf.Tensor1D, referenceLogProbs: tf.Tensor1D | null, beta: number): tf.Tensor1D {
  const ratio = referenceLogProbs ? policyLogProbs.sub(referenceLogProbs) : policyLogProbs;
  return ratio.mul(beta) as tf.Tensor1D;
}
