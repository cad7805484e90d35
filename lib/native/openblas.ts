/**
 * Native kernels on the wasm backend's own heap (the addon in lib/native/src, built by `npm ci` through
 * lib/native/build.cjs): products go to OpenBLAS's cblas_sgemm with the transpose flags honoured, reading the
 * operands and writing the output in place in the WebAssembly memory, with no copy. Registered as the wasm backend's
 * BatchMatMul, so every model, trainer and notebook uses them unchanged; the backend then reports itself as
 * 'wasm+openblas', which enters every run identity (native products round differently from XNNPACK's).
 * Where the addon cannot load (not built, no OpenBLAS, another OS) or IMRM_NATIVE=0, nothing is registered and the
 * wasm kernels run; `nativeStatus()` says why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerFusedKernels } from './fused';

export interface Addon {
  sgemm(
    heap: ArrayBuffer,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    aOffset: number,
    bOffset: number,
    cOffset: number,
    aStride: number,
    bStride: number,
  ): void;
  adamw(heap: ArrayBuffer, p: number, m: number, v: number, g: number, n: number, ...constants: number[]): void;
  layerNorm(heap: ArrayBuffer, n: number, d: number, eps: number, x: number, gain: number, bias: number, y: number, xhat: number, rstd: number): void;
  layerNormGrad(heap: ArrayBuffer, n: number, d: number, dy: number, xhat: number, rstd: number, gain: number, dx: number, dgain: number, dbias: number): void;
  geluPrep(heap: ArrayBuffer, size: number, x: number, arg: number, du: number, ...constants: number[]): void;
  geluGrad(heap: ArrayBuffer, size: number, dy: number, x: number, s: number, du: number, dx: number): void;
  softmaxGrad(heap: ArrayBuffer, rows: number, cols: number, scale: number, dp: number, p: number, ds: number): void;
  columnSum(heap: ArrayBuffer, n: number, d: number, x: number, out: number): void;
  blasInfo(): { config: string; core: string; threads: number };
  setThreads(n: number): void;
}

export interface NativeInfo {
  /** The BLAS library's own description (OpenBLAS: version, build options, targets). */
  blas: string;
  /** The processor kernel OpenBLAS picked at load (e.g. Haswell, Zen). */
  core: string;
  threads: number;
}

export const ADDON_PATH = path.join(__dirname, 'build', 'Release', 'imrm_native.node');

let addon: Addon | null = null;
let loadProblem: string | null = null;
let loaded = false;

/**
 * The OpenBLAS kernel set to ask for when the user has not (OPENBLAS_CORETYPE): OpenBLAS 0.3.21 (Debian 12) does not
 * recognise recent Xeons and falls back to its Prescott (SSE3) kernels, 4-8x slower. On an x86 CPU with AVX2 and
 * FMA, Haswell's kernels are safe and fast (measured in docs/performance.md); elsewhere OpenBLAS decides.
 */
export function defaultCoreType(env: string | undefined, cpuinfo: Set<string>): string | null {
  if (env !== undefined) return null;
  return cpuinfo.has('avx2') && cpuinfo.has('fma') ? 'Haswell' : null;
}

function readCpuFlags(): Set<string> {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m);
    return new Set(line ? line[1].trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

/** The addon, loaded once; null with the reason in `nativeProblem()` when it cannot be used. */
export function loadAddon(): Addon | null {
  if (loaded) return addon;
  const threads = blasThreads(); // a bad IMRM_BLAS_THREADS is its own error, every time, not a failed load
  loaded = true;
  if (process.env.IMRM_NATIVE === '0') {
    loadProblem = 'IMRM_NATIVE=0';
    return null;
  }
  const core = defaultCoreType(process.env.OPENBLAS_CORETYPE, readCpuFlags());
  // Read by OpenBLAS once, when the addon loads it just below; then removed, so child processes (the PyTorch
  // yardstick, Jupyter) see the environment the user set.
  if (core) process.env.OPENBLAS_CORETYPE = core;
  try {
    addon = require(ADDON_PATH) as Addon;
    addon.setThreads(threads);
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    loadProblem = /Cannot find module/.test(message)
      ? `the native addon is not built (${path.relative(process.cwd(), ADDON_PATH)}: npm ci builds it where OpenBLAS and a compiler exist; or node lib/native/build.cjs)`
      : `the native addon does not load: ${message}`;
  } finally {
    if (core) delete process.env.OPENBLAS_CORETYPE;
  }
  return addon;
}

export function nativeProblem(): string | null {
  loadAddon();
  return loadProblem;
}

/**
 * BLAS threads per process: IMRM_BLAS_THREADS, else 1. Data-parallel workers (--workers) use the cores better than a
 * second BLAS thread (measured in docs/performance.md: 2 BLAS threads make one worker 1.11x faster, two workers more),
 * and each worker thread calls BLAS on its own, so workers x BLAS threads stays at most the cores.
 */
export function blasThreads(env = process.env.IMRM_BLAS_THREADS): number {
  if (env === undefined || env === '') return 1;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`IMRM_BLAS_THREADS must be a positive integer, got '${env}'`);
  return n;
}

export function nativeInfo(): NativeInfo | null {
  const a = loadAddon();
  if (!a) return null;
  const { config, core, threads } = a.blasInfo();
  return { blas: config.trim(), core: core.trim(), threads };
}

/** What the wasm backend exposes of itself (tfjs-backend-wasm 4.22's BackendWasm). */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: unknown): { memoryOffset: number; refCount: number } };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * BatchMatMul through cblas_sgemm: a (..., m, k) or (..., k, m) with transposeA, b likewise; the batch is the
 * product of the leading dimensions, equal on both sides or 1 on one of them (broadcast), as tfjs allows.
 */
function nativeBatchMatMul(native: Addon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as unknown as WasmBackend;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    const sameLead = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(sameLead || batchA === 1 || batchB === 1)) return fallback(args);
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== kb)
      throw new Error(`matMul: inner sizes ${k} and ${kb} of shapes [${a.shape}] and [${b.shape}] (transposeA ${transposeA}, transposeB ${transposeB}) differ`);
    const lead = batchA >= batchB ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
    const out = backend.makeOutput([...lead, m, n], 'float32');
    const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
    // The heap's buffer is read after makeOutput: an allocation may have grown (and so replaced) it.
    native.sgemm(
      backend.wasm.HEAPU8.buffer as ArrayBuffer,
      Math.max(batchA, batchB),
      m,
      n,
      k,
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      offset(a),
      offset(b),
      offset(out),
      batchA === 1 ? 0 : m * k,
      batchB === 1 ? 0 : k * n,
    );
    return out;
  };
}

let registered = false;

/** Whether products run natively (BatchMatMul on the wasm backend is ours): kernels then use transpose flags. */
export function nativeKernelsActive(): boolean {
  return registered && tf.getBackend() === 'wasm';
}

/** Makes the native kernels the wasm backend's; true when they are (the addon loaded). Idempotent. */
export function registerNativeKernels(): boolean {
  const native = loadAddon();
  if (!native) return false;
  if (registered) return true;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original) throw new Error('the wasm backend has no BatchMatMul kernel to replace: is @tensorflow/tfjs-backend-wasm loaded?');
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: nativeBatchMatMul(native, original.kernelFunc) });
  registerFusedKernels(native);
  registered = true;
  return true;
}

export interface AdamWConstants {
  lr: number;
  beta1: number;
  beta2: number;
  c1: number;
  c2: number;
  eps: number;
  weightDecay: number;
}

/**
 * One AdamW step in place on the wasm heap for parameter `p` with moments `m`, `v` and gradient `g` (all float32 of
 * one size), rounding as the tfjs ops of lib/train/adamw.ts do (bit-identical; tested). False, with nothing done,
 * when the native kernels are not active or a variable's data is shared with another tensor (in-place writing
 * would change that tensor too): the caller then takes the tfjs path.
 */
export function nativeAdamW(p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, k: AdamWConstants): boolean {
  if (!nativeKernelsActive() || !addon) return false;
  const backend = tf.backend() as unknown as WasmBackend;
  const owned = [p, m, v].every((t) => backend.dataIdMap.get(t.dataId).refCount === 1);
  if (!owned || g.dtype !== 'float32' || p.size !== g.size) return false;
  const at = (t: tf.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
  // The constants as tfjs holds them: float32 scalars (1 - beta computed in double first, as the JavaScript does).
  const f = Math.fround;
  addon.adamw(
    backend.wasm.HEAPU8.buffer as ArrayBuffer,
    at(p),
    at(m),
    at(v),
    at(g),
    p.size,
    ...[f(k.lr), f(k.beta1), f(k.beta2), f(1 - k.beta1), f(1 - k.beta2), f(k.c1), f(k.c2), f(k.eps), f(k.weightDecay)],
  );
  return true;
}
