/**
 * Fused native kernels on the wasm heap (lib/native/src/imrm_layernorm.c, imrm_elementwise.c), registered on the wasm
 * backend under their own kernel names with the products (openblas.ts). Each rounds as the op-by-op form of
 * lib/model/kernels.ts does on wasm, so it is that form's bit-identical replacement, and that form stays the oracle
 * of the tests.
 */
import * as tf from '@tensorflow/tfjs';
import type { Addon, WasmBackend } from './openblas';

export const LAYER_NORM = 'ImrmLayerNorm';
export const LAYER_NORM_GRAD = 'ImrmLayerNormGrad';
export const GELU_PREP = 'ImrmGeluPrep';
export const GELU_GRAD = 'ImrmGeluGrad';
export const SOFTMAX_GRAD = 'ImrmSoftmaxGrad';
export const COLUMN_SUM = 'ImrmColumnSum';

/**
 * Registers kernel `name` on wasm: its float32 inputs (in `inputNames` order) and outputs of `outputShapes` are
 * passed to `call` as heap offsets, the heap read after the outputs are made (an allocation may replace it).
 */
function registerHeapKernel(
  name: string,
  inputNames: string[],
  outputShapes: (inputs: tf.TensorInfo[]) => number[][],
  call: (heap: ArrayBuffer, offsets: number[], inputs: tf.TensorInfo[], attrs: tf.NamedAttrMap) => void,
): void {
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const inputs = inputNames.map((n) => (args.inputs as Record<string, tf.TensorInfo>)[n]);
      const bad = inputs.find((t) => t.dtype !== 'float32');
      if (bad) throw new Error(`${name}: float32 tensors only, got ${bad.dtype}`);
      const backend = args.backend as unknown as WasmBackend;
      const outputs = outputShapes(inputs).map((shape) => backend.makeOutput(shape, 'float32'));
      const offsets = [...inputs, ...outputs].map((t) => backend.dataIdMap.get(t.dataId).memoryOffset);
      call(backend.wasm.HEAPU8.buffer as ArrayBuffer, offsets, inputs, args.attrs ?? {});
      return outputs;
    },
  });
}

const sizeOf = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

/** Registers the fused kernels on the wasm backend (once per thread; the caller checks). */
export function registerFusedKernels(native: Addon): void {
  registerHeapKernel(
    LAYER_NORM,
    ['x', 'gain', 'bias'],
    ([x]) => [x.shape, x.shape, [x.shape[0], 1]], // y, xhat, rstd
    (heap, o, [x], attrs) => native.layerNorm(heap, x.shape[0], x.shape[1], attrs.eps as number, o[0], o[1], o[2], o[3], o[4], o[5]),
  );
  registerHeapKernel(
    LAYER_NORM_GRAD,
    ['dy', 'xhat', 'rstd', 'gain'],
    ([dy]) => [dy.shape, [dy.shape[1]], [dy.shape[1]]], // dx, dgain, dbias
    (heap, o, [dy]) => native.layerNormGrad(heap, dy.shape[0], dy.shape[1], o[0], o[1], o[2], o[3], o[4], o[5], o[6]),
  );
  registerHeapKernel(
    GELU_PREP,
    ['x'],
    ([x]) => [x.shape, x.shape], // the sigmoid's argument, u'
    (heap, o, [x], attrs) => native.geluPrep(heap, sizeOf(x), o[0], o[1], o[2], ...(attrs.constants as number[])),
  );
  registerHeapKernel(
    GELU_GRAD,
    ['dy', 'x', 's', 'du'],
    ([dy]) => [dy.shape],
    (heap, o, [dy]) => native.geluGrad(heap, sizeOf(dy), o[0], o[1], o[2], o[3], o[4]),
  );
  registerHeapKernel(
    SOFTMAX_GRAD,
    ['dp', 'p'],
    ([dp]) => [dp.shape],
    (heap, o, [dp], attrs) => {
      const cols = dp.shape[dp.shape.length - 1];
      native.softmaxGrad(heap, sizeOf(dp) / cols, cols, attrs.scale as number, o[0], o[1], o[2]);
    },
  );
  registerHeapKernel(
    COLUMN_SUM,
    ['x'],
    ([x]) => [[x.shape[1]]],
    (heap, o, [x]) => native.columnSum(heap, x.shape[0], x.shape[1], o[0], o[1]),
  );
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(name, inputs, attrs) as unknown as tf.Tensor[];

/** Layer norm of the rows of x (n, d): [y, xhat, rstd (n, 1)]. Only while the native kernels are active. */
export function fusedLayerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, eps: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  return run(LAYER_NORM, { x, gain, bias }, { eps }) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/** The gradients [dx, dgain, dbias] of fusedLayerNorm for the output gradient dy. */
export function fusedLayerNormGrad(dy: tf.Tensor2D, xhat: tf.Tensor2D, rstd: tf.Tensor2D, gain: tf.Tensor1D): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] {
  return run(LAYER_NORM_GRAD, { dy, xhat, rstd, gain }) as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
}

/** [arg, du] of GELU through sigmoid(2u); constants [a, 3a, c, 2c] as float32 values. */
export function fusedGeluPrep(x: tf.Tensor, constants: number[]): [tf.Tensor, tf.Tensor] {
  return run(GELU_PREP, { x }, { constants: constants.map(Math.fround) }) as [tf.Tensor, tf.Tensor];
}

export function fusedGeluGrad(dy: tf.Tensor, x: tf.Tensor, s: tf.Tensor, du: tf.Tensor): tf.Tensor {
  return run(GELU_GRAD, { dy, x, s, du })[0];
}

/** p (dp - rowsum(dp p)) scale over the last axis. */
export function fusedSoftmaxGrad(dp: tf.Tensor, p: tf.Tensor, scale: number): tf.Tensor {
  return run(SOFTMAX_GRAD, { dp, p }, { scale: Math.fround(scale) })[0];
}

/** The column sums of x (n, d) in the order of kernels.ts's columnSum on wasm. */
export function fusedColumnSum(x: tf.Tensor2D): tf.Tensor1D {
  return run(COLUMN_SUM, { x })[0] as tf.Tensor1D;
}
