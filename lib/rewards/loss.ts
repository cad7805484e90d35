/** The Bradley-Terry loss shared by EX-RM and IM-RM (for IM-RM it is exactly the DPO loss), and EX-GRM's cross-entropy. */
import * as tf from '@tensorflow/tfjs';

/** mean over pairs of -log sigmoid(r+ - r-) = mean softplus(r- - r+); (P), (P) -> scalar */
export function bradleyTerryLoss(chosen: tf.Tensor1D, rejected: tf.Tensor1D): tf.Scalar {
  return tf.softplus(rejected.sub(chosen)).mean() as tf.Scalar;
}

/** EX-GRM's cross-entropy: mean over sequences of -log pi(target | verification prompt), from their log-probs. */
export function verifierLoss(targetLogProbs: tf.Tensor1D): tf.Scalar {
  return targetLogProbs.neg().mean() as tf.Scalar;
}
