/**
 * The few operations that dominate a training step, in two interchangeable implementations with identical maths:
 *  - 'reference': tfjs ops and tfjs autodiff (the embedding uses a one-hot matmul because tf.gather has no
 *    gradient kernel on wasm). Readable; the baseline of `npm run bench`; the oracle of the kernel tests.
 *  - 'fast': custom gradients shaped for the wasm backend, where only a plain 2-D matMul without transpose flags
 *    reaches XNNPACK (explicit transposes), tanh/exp are scalar loops (GELU through sigmoid, log-probs through
 *    softmax), and column sums are faster in two steps (see ../shared/docs/wasm-performance.md). On wasm+openblas
 *    (lib/native) products take transpose flags and batches, so those paths drop the explicit transposes; so do
 *    WebGPU's, whose shaders read either layout: there the element-wise parts stay op by op (no wasm fusions).
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsActive } from '../native/openblas';
import { fusedColumnSum } from '../native/fused';
import { GELU_A, GELU_C, customOp, geluFused, layerNormFused, softmaxGradFused } from './native-kernels';

export type KernelName = 'fast' | 'reference';

export interface Kernels {
  name: KernelName;
  /** (N, K) @ (K, M) -> (N, M) */
  matmul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D;
  /** (N, M) + (M) -> (N, M) */
  addBias(x: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D;
  /** ids (N) int32, table (V, D) -> (N, D) */
  embed(ids: tf.Tensor1D, table: tf.Tensor2D): tf.Tensor2D;
  /** (N, D) normalised over D, scaled by gain (D) and shifted by bias (D) */
  layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D;
  /** (N, D) divided by the root mean square over D, scaled by gain (D) */
  rmsNorm(x: tf.Tensor2D, gain: tf.Tensor1D, eps: number): tf.Tensor2D;
  /** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
  geluTanh(x: tf.Tensor2D): tf.Tensor2D;
  /** logits (N, V), targets (N) int32 -> log softmax(logits)[n, targets[n]] (N) */
  pickLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D;
  /**
   * Causal attention core: q, k, v (C, T, hd) with C = batch x heads -> softmax(q k^T * scale + mask) v (C, T, hd);
   * mask (T, T) is 0 where attending is allowed and -1e9 elsewhere.
   */
  attention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: tf.Tensor2D, scale: number): tf.Tensor3D;
}

/** Sum over rows: one native pass on the native engine (bit-identical), else columnSumByOps. */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  return nativeKernelsActive() && x.dtype === 'float32' ? fusedColumnSum(x) : columnSumByOps(x);
}

/** Sum over rows; two partial sums are faster than one long reduction on wasm. */
export function columnSumByOps(x: tf.Tensor2D): tf.Tensor1D {
  const [n, d] = x.shape;
  if (n >= 64 && n % 32 === 0)
    return x
      .reshape([n / 32, 32, d])
      .sum(1)
      .sum(0) as tf.Tensor1D;
  return x.sum(0);
}

/**
 * One-hot rows as float32. Built as int32 and cast: on the wasm backend tfjs 4.22's OneHot with dtype float32
 * writes the integer bit pattern of 1 (giving 1.4e-45).
 */
export function oneHotFloat(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.oneHot(indices.toInt(), depth).toFloat() as tf.Tensor2D;
}

const reference: Kernels = {
  name: 'reference',
  matmul: (a, b) => tf.matMul(a, b),
  addBias: (x, bias) => tf.add(x, bias),
  embed: (ids, table) => tf.matMul(oneHotFloat(ids, table.shape[0]), table),
  layerNorm(x, gain, bias, eps) {
    const { mean, variance } = tf.moments(x, 1, true);
    return x.sub(mean).div(variance.add(eps).sqrt()).mul(gain).add(bias);
  },
  rmsNorm: (x, gain, eps) => x.mul(x.square().mean(1, true).add(eps).rsqrt()).mul(gain),
  geluTanh(x) {
    const inner = x.add(x.pow(3).mul(GELU_A)).mul(GELU_C);
    return x.mul(0.5).mul(inner.tanh().add(1));
  },
  pickLogProbs(logits, targets) {
    const oneHot = oneHotFloat(targets, logits.shape[1]);
    return tf.logSoftmax(logits).mul(oneHot).sum(1);
  },
  attention(q, k, v, mask, scale) {
    const p = tf.softmax(tf.matMul(q, k, false, true).mul(scale).add(mask));
    return tf.matMul(p, v);
  },
};

/**
 * X (C, I, d), Y (C, J, d) -> X Y^T (C, I, J) as one depthwise convolution: input X laid out (1, I, d, C),
 * filter Y laid out (1, d, C, J), valid padding; the output (1, I, 1, C J) is in layout (i, c, j).
 * On wasm this is 5-6x faster than a batched matMul of the same shapes (measured 2.8 vs 17.4 ms for
 * C = 64, I = J = 64, d = 32).
 */
export function batchedMatMulTransposedB(x: tf.Tensor3D, y: tf.Tensor3D): tf.Tensor3D {
  const [C, I, d] = x.shape;
  const J = y.shape[1];
  const input = x.transpose([1, 2, 0]).reshape([1, I, d, C]) as tf.Tensor4D;
  const filter = y.transpose([2, 0, 1]).reshape([1, d, C, J]) as tf.Tensor4D;
  return tf.depthwiseConv2d(input, filter, 1, 'valid').reshape([I, C, J]).transpose([1, 0, 2]) as tf.Tensor3D;
}

const t3 = (x: tf.Tensor) => x.transpose([0, 2, 1]) as tf.Tensor3D;

/** Whether matMul takes transpose flags and batches without an explicit transpose: native BLAS, and WebGPU. */
function productsTakeFlags(): boolean {
  return nativeKernelsActive() || tf.getBackend() === 'webgpu';
}

/** Softmax backward over the last axis, then the scale of the scores: dS = P (dP - rowsum(dP P)) scale, op by op. */
export function softmaxGradByOps(dP: tf.Tensor, p: tf.Tensor, scale: number): tf.Tensor {
  return p.mul(dP.sub(dP.mul(p).sum(-1, true))).mul(scale);
}

/** Attention with every product (2 forward, 4 backward) as a depthwise convolution, and a closed-form gradient. */
const depthwiseAttention = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: tf.Tensor2D, scale: number): tf.Tensor3D =>
  customOp((qi: tf.Tensor3D, ki: tf.Tensor3D, vi: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const p = tf.softmax(batchedMatMulTransposedB(qi, ki).mul(scale).add(mask)) as tf.Tensor3D; // (C, T, T)
    save([qi, ki, vi, p]);
    return {
      value: batchedMatMulTransposedB(p, t3(vi)), // P V
      gradFunc: (dO: tf.Tensor3D, [sq, sk, sv, sp]: tf.Tensor[]) => {
        const dP = batchedMatMulTransposedB(dO, sv as tf.Tensor3D); // dO V^T
        const dV = batchedMatMulTransposedB(t3(sp), t3(dO)); // P^T dO
        const dS = softmaxGradByOps(dP, sp, scale) as tf.Tensor3D;
        const dQ = batchedMatMulTransposedB(dS, t3(sk)); // dS K
        const dK = batchedMatMulTransposedB(t3(dS), t3(sq)); // dS^T Q
        return [dQ, dK, dV];
      },
    };
  })(q, k, v);

/**
 * Attention with batched products that take transpose flags (native BLAS honours them: no explicit transposes),
 * and the same closed-form gradient as depthwiseAttention.
 */
const flaggedAttention = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: tf.Tensor2D, scale: number): tf.Tensor3D =>
  customOp((qi: tf.Tensor3D, ki: tf.Tensor3D, vi: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const p = tf.softmax(tf.matMul(qi, ki, false, true).mul(scale).add(mask)) as tf.Tensor3D; // (C, T, T)
    save([qi, ki, vi, p]);
    return {
      value: tf.matMul(p, vi), // P V
      gradFunc: (dO: tf.Tensor3D, [sq, sk, sv, sp]: tf.Tensor[]) => {
        const dP = tf.matMul(dO, sv as tf.Tensor3D, false, true); // dO V^T
        const dV = tf.matMul(sp as tf.Tensor3D, dO, true, false); // P^T dO
        // The fused form is bit-identical to softmaxGradByOps, and native only.
        const dS = (nativeKernelsActive() ? softmaxGradFused(dP, sp, scale) : softmaxGradByOps(dP, sp, scale)) as tf.Tensor3D;
        return [tf.matMul(dS, sk as tf.Tensor3D), tf.matMul(dS, sq as tf.Tensor3D, true, false), dV]; // dS K, dS^T Q
      },
    };
  })(q, k, v);

const fastMatmul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = customOp((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  // XNNPACK takes plain 2-D products only, so the wasm path transposes explicitly; native BLAS takes the flags.
  const flags = productsTakeFlags();
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa, sb]: tf.Tensor[]) =>
      flags
        ? [tf.matMul(dy, sb as tf.Tensor2D, false, true), tf.matMul(sa as tf.Tensor2D, dy, true, false)]
        : [tf.matMul(dy, tf.transpose(sb as tf.Tensor2D)), tf.matMul(tf.transpose(sa as tf.Tensor2D), dy)],
  };
});

const fastAddBias: (x: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D = customOp((x: tf.Tensor2D, bias: tf.Tensor1D) => ({
  value: tf.add(x, bias),
  gradFunc: (dy: tf.Tensor2D) => [dy, columnSum(dy)],
}));

/** GELU (tanh) through sigmoid with a closed-form gradient, op by op: the wasm form, and the fused kernels' oracle. */
export const geluByOps: (x: tf.Tensor2D) => tf.Tensor2D = customOp((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
  // 0.5 (1 + tanh u) = sigmoid(2u): sigmoid is vectorised on wasm, tanh is not.
  const du = x
    .square()
    .mul(3 * GELU_A)
    .add(1)
    .mul(GELU_C);
  const s = tf.sigmoid(x.add(x.square().mul(x).mul(GELU_A)).mul(2 * GELU_C)); // x^3 by products: pow is a scalar loop on wasm
  save([x, s, du]);
  return {
    value: x.mul(s),
    gradFunc: (dy: tf.Tensor2D, [sx, ss, sdu]: tf.Tensor[]) =>
      // d/dx [x s(2u)] = s + x s (1 - s) 2 u'
      [dy.mul(ss.add(sx.mul(ss).mul(tf.sub(1, ss)).mul(sdu).mul(2)))],
  };
});

/**
 * Layer norm with a closed-form gradient, op by op: the wasm form, and the oracle of the fused native kernel
 * (lib/native/fused.ts), which rounds each value as these ops do.
 */
export function layerNormByOps(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D {
  const f = customOp((xi: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const centred = xi.sub(xi.mean(1, true));
    const rstd = centred.square().mean(1, true).add(eps).rsqrt();
    const xhat = centred.mul(rstd) as tf.Tensor2D;
    save([xhat, rstd, g]);
    return {
      value: xhat.mul(g).add(b) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor2D, [sxhat, srstd, sg]: tf.Tensor[]) => {
        const dxhat = dy.mul(sg);
        const dx = dxhat
          .sub(dxhat.mean(1, true))
          .sub(sxhat.mul(dxhat.mul(sxhat).mean(1, true)))
          .mul(srstd);
        return [dx, columnSumByOps(dy.mul(sxhat) as tf.Tensor2D), columnSumByOps(dy)];
      },
    };
  });
  return f(x, gain, bias) as tf.Tensor2D;
}

const fast: Kernels = {
  name: 'fast',
  attention(q, k, v, mask, scale) {
    // Native products take batches and transpose flags; the depthwise trick is for plain wasm (and cpu).
    if (tf.getBackend() === 'tensorflow') return reference.attention(q, k, v, mask, scale);
    if (productsTakeFlags()) return flaggedAttention(q, k, v, mask, scale);
    return depthwiseAttention(q, k, v, mask, scale);
  },
  matmul: fastMatmul,
  addBias: fastAddBias,
  embed(ids, table) {
    const index = ids.reshape([-1, 1]);
    // Tensors read by a gradient function must go through save(): tidy disposes the others before backprop.
    const f = customOp((t: tf.Tensor2D, save: tf.GradSaveFunc) => {
      save([index]);
      return {
        value: tf.gatherND(t, index) as tf.Tensor2D,
        // scatterND sums the rows of repeated ids, which is the embedding gradient.
        gradFunc: (dy: tf.Tensor2D, [sIndex]: tf.Tensor[]) => [tf.scatterND(sIndex, dy, t.shape)],
      };
    });
    return f(table) as tf.Tensor2D;
  },
  layerNorm: (x, gain, bias, eps) => (nativeKernelsActive() ? layerNormFused(x, gain, bias, eps) : layerNormByOps(x, gain, bias, eps)),
  rmsNorm(x, gain, eps) {
    const f = customOp((xi: tf.Tensor2D, g: tf.Tensor1D, save: tf.GradSaveFunc) => {
      const r = xi.square().mean(1, true).add(eps).rsqrt();
      const xhat = xi.mul(r) as tf.Tensor2D;
      save([xhat, r, g]);
      return {
        value: xhat.mul(g) as tf.Tensor2D,
        gradFunc: (dy: tf.Tensor2D, [sxhat, sr, sg]: tf.Tensor[]) => {
          const dxhat = dy.mul(sg);
          const dx = dxhat.sub(sxhat.mul(dxhat.mul(sxhat).mean(1, true))).mul(sr);
          return [dx, columnSum(dy.mul(sxhat) as tf.Tensor2D)];
        },
      };
    });
    return f(x, gain) as tf.Tensor2D;
  },
  geluTanh: (x) => (nativeKernelsActive() ? geluFused(x) : geluByOps(x)),
  pickLogProbs(logits, targets) {
    const [n, v] = logits.shape;
    const index = tf.stack([tf.range(0, n, 1, 'int32'), targets.toInt()], 1);
    const f = customOp((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
      // log p_t = (x_t - x_max) + log p_max: softmax is vectorised on wasm, and p_max >= 1/V never underflows.
      const p = tf.softmax(x);
      const picked = tf.gatherND(x, index) as tf.Tensor1D;
      const value = picked.sub(x.max(1)).add(p.max(1).log()) as tf.Tensor1D;
      save([p, targets]);
      return {
        value,
        gradFunc: (dy: tf.Tensor1D, [sp, sTargets]: tf.Tensor[]) => [
          oneHotFloat(sTargets as tf.Tensor1D, v)
            .sub(sp)
            .mul(dy.reshape([n, 1])),
        ],
      };
    });
    return f(logits) as tf.Tensor1D;
  },
};

const KERNELS: Record<KernelName, Kernels> = { fast, reference };

export function getKernels(name: KernelName = 'fast'): Kernels {
  const k = KERNELS[name];
  if (!k) throw new Error(`unknown kernels '${name}' (use 'fast' or 'reference')`);
  return k;
}
