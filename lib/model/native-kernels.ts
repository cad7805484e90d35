/**
 * The fast kernels' forms on the native engine: fused native kernels (lib/native/fused.ts), each bit-identical to
 * the op-by-op form of kernels.ts that plain wasm runs (the tests compare them bit for bit).
 */
import * as tf from '@tensorflow/tfjs';
import { fusedGeluGrad, fusedGeluPrep, fusedLayerNorm, fusedLayerNormGrad, fusedSoftmaxGrad } from '../native/fused';

export const GELU_C = Math.sqrt(2 / Math.PI);
export const GELU_A = 0.044715;

// biome-ignore lint/suspicious/noExplicitAny: tfjs passes one tensor or several
type GradFunc = (dy: any, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
/** tf.customGrad with call-site types: tfjs's own typing does not express multi-input functions. */
// biome-ignore lint/suspicious/noExplicitAny: tfjs's customGrad typing cannot express multi-input functions
export function customOp(f: (...args: any[]) => { value: tf.Tensor; gradFunc: GradFunc }): (...args: tf.Tensor[]) => any {
  return tf.customGrad(f as never) as never;
}

/** Layer norm as two fused native kernels (forward, backward); bit-identical to layerNormByOps. */
export function layerNormFused(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D {
  const f = customOp((xi: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const [y, xhat, rstd] = fusedLayerNorm(xi, g, b, eps);
    save([xhat, rstd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, [sxhat, srstd, sg]: tf.Tensor[]) => fusedLayerNormGrad(dy, sxhat as tf.Tensor2D, srstd as tf.Tensor2D, sg as tf.Tensor1D),
    };
  });
  return f(x, gain, bias) as tf.Tensor2D;
}

/** GELU through sigmoid(2u) as kernels.ts's geluByOps, with u and u' and the gradient each one native pass. */
export const geluFused: (x: tf.Tensor2D) => tf.Tensor2D = customOp((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const [arg, du] = fusedGeluPrep(x, [GELU_A, 3 * GELU_A, GELU_C, 2 * GELU_C]);
  const s = tf.sigmoid(arg); // the wasm backend's own sigmoid, as geluByOps
  save([x, s, du]);
  return {
    value: x.mul(s),
    gradFunc: (dy: tf.Tensor2D, [sx, ss, sdu]: tf.Tensor[]) => [fusedGeluGrad(dy, sx, ss, sdu)],
  };
});

/** softmaxGradByOps as one native pass (a plain function: its caller's custom gradient owns the tape). */
export function softmaxGradFused(dP: tf.Tensor, p: tf.Tensor, scale: number): tf.Tensor {
  return fusedSoftmaxGrad(dP, p, scale);
}
