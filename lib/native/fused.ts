/**
 * Fused native kernels on the wasm heap (lib/native/src/imrm_layernorm.c), registered on the wasm backend under
 * their own kernel names with the products (openblas.ts). Each rounds as the op-by-op form of lib/model/kernels.ts
 * does on wasm, so it is that form's bit-identical replacement, and that form stays the oracle of the tests.
 */
import * as tf from '@tensorflow/tfjs';
import type { Addon, WasmBackend } from './openblas';

export const LAYER_NORM = 'ImrmLayerNorm';
export const LAYER_NORM_GRAD = 'ImrmLayerNormGrad';

function offsets(backend: WasmBackend, tensors: tf.TensorInfo[]): number[] {
  return tensors.map((t) => backend.dataIdMap.get(t.dataId).memoryOffset);
}

function float32Only(kernel: string, inputs: tf.TensorInfo[]): void {
  const bad = inputs.find((t) => t.dtype !== 'float32');
  if (bad) throw new Error(`${kernel}: float32 tensors only, got ${bad.dtype}`);
}

/** Registers the fused kernels on the wasm backend (once per thread; the caller checks). */
export function registerFusedKernels(native: Addon): void {
  tf.registerKernel({
    kernelName: LAYER_NORM,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x, gain, bias } = args.inputs as Record<string, tf.TensorInfo>;
      const { eps } = args.attrs as { eps: number };
      float32Only(LAYER_NORM, [x, gain, bias]);
      const [n, d] = x.shape;
      const backend = args.backend as unknown as WasmBackend;
      const outputs = [backend.makeOutput([n, d], 'float32'), backend.makeOutput([n, d], 'float32'), backend.makeOutput([n, 1], 'float32')];
      // The heap's buffer is read after makeOutput: an allocation may have grown (and so replaced) it.
      const [ox, og, ob, oy, oh, or] = offsets(backend, [x, gain, bias, ...outputs]);
      native.layerNorm(backend.wasm.HEAPU8.buffer as ArrayBuffer, n, d, eps, ox, og, ob, oy, oh, or);
      return outputs; // y, xhat, rstd
    },
  });
  tf.registerKernel({
    kernelName: LAYER_NORM_GRAD,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { dy, xhat, rstd, gain } = args.inputs as Record<string, tf.TensorInfo>;
      float32Only(LAYER_NORM_GRAD, [dy, xhat, rstd, gain]);
      const [n, d] = dy.shape;
      const backend = args.backend as unknown as WasmBackend;
      const outputs = [backend.makeOutput([n, d], 'float32'), backend.makeOutput([d], 'float32'), backend.makeOutput([d], 'float32')];
      const [ody, oh, or, og, odx, odg, odb] = offsets(backend, [dy, xhat, rstd, gain, ...outputs]);
      native.layerNormGrad(backend.wasm.HEAPU8.buffer as ArrayBuffer, n, d, ody, oh, or, og, odx, odg, odb);
      return outputs; // dx, dgain, dbias
    },
  });
}

/** Layer norm of the rows of x (n, d): [y, xhat, rstd (n, 1)]. Only while the native kernels are active. */
export function fusedLayerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, eps: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  return tf.engine().runKernel(LAYER_NORM, { x, gain, bias }, { eps }) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/** The gradients [dx, dgain, dbias] of fusedLayerNorm for the output gradient dy. */
export function fusedLayerNormGrad(dy: tf.Tensor2D, xhat: tf.Tensor2D, rstd: tf.Tensor2D, gain: tf.Tensor1D): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(LAYER_NORM_GRAD, { dy, xhat, rstd, gain }) as unknown as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
}
