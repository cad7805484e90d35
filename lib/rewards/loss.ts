/** The Bradley-Terry loss shared by EX-RM and IM-RM (for IM-RM it is exactly the DPO loss). */
import * as tf from '@tensorflow/tfjs';

/** mean over pairs of -log sigmoid(r+ - r-) = mean softplus(r- - r+); (P), (P) -> scalar */
export function bradleyTerryLoss(chosen: tf.Tensor1D, rejected: tf.Tensor1D): tf.Scalar {
  return tf.softplus(rejected.sub(chosen)).mean() as tf.Scalar;
}
