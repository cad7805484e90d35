/**
 * Backend choice at run time: tensorflow (tfjs-node-gpu, only when its backend factory is registered) → wasm+openblas
 * (the wasm backend with native OpenBLAS kernels, lib/native) → wasm → cpu. IMRM_BACKEND=tensorflow|webgpu|
 * wasm+openblas|wasm|cpu forces one (an error if it is unavailable); IMRM_NATIVE=0 leaves wasm+openblas out of the
 * automatic choice. webgpu (lib/gpu/webgpu.ts) is never chosen automatically: nothing here has measured when a GPU
 * beats the CPU engines at this project's sizes, and loading Dawn on a machine without Vulkan prints warnings. The
 * chosen backend is recorded in every run (see runs/env.ts) because numbers differ, slightly, between backends; one
 * line at start says which runs and why (`backendLine`).
 */
import * as tf from '@tensorflow/tfjs';
import { type NativeInfo, nativeInfo, nativeProblem, registerNativeKernels } from './native/openblas';
import { type FoundAdapter, type WebGpuAdapterInfo, findAdapter, registerWebGpuBackend } from './gpu/webgpu';
import { registerSharedIdentity } from './native/shared-identity';

/** A compute engine: a tfjs backend, or the wasm backend with native kernels. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm+openblas' | 'wasm' | 'cpu';
/** The automatic order; webgpu is only ever chosen by name. */
export const BACKEND_ORDER: BackendName[] = ['tensorflow', 'wasm+openblas', 'wasm', 'cpu'];
const BACKEND_NAMES: BackendName[] = ['tensorflow', 'webgpu', 'wasm+openblas', 'wasm', 'cpu'];

export interface BackendInfo {
  backend: BackendName;
  /** The tfjs backend underneath ('wasm' for wasm+openblas). */
  tfBackend: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  tfjsVersion: string;
  wasmSimd?: boolean;
  wasmThreads?: boolean;
  /** wasm+openblas: the BLAS library, the processor kernel it chose and its threads. */
  native?: NativeInfo;
  /** webgpu: the adapter (vendor, architecture, description, limits). */
  webgpu?: WebGpuAdapterInfo;
  /** Why earlier backends in the order were skipped. */
  skipped: Record<string, string>;
}

let current: BackendInfo | null = null;

const tfBackendOf = (name: BackendName): BackendInfo['tfBackend'] => (name === 'wasm+openblas' ? 'wasm' : name);

function tryRegister(name: BackendName): string | null {
  try {
    if (name === 'tensorflow') {
      // Registers the 'tensorflow' backend factory when libtensorflow is installed; the require itself
      // can succeed with a broken binary, so the factory is what we check.
      require('@tensorflow/tfjs-node-gpu');
    } else if (name === 'wasm' || name === 'wasm+openblas') {
      require('@tensorflow/tfjs-backend-wasm');
      // Threads off: Emscripten's blob: workers are rejected by Node's worker_threads (ERR_WORKER_PATH).
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      registerSharedIdentity();
      if (name === 'wasm+openblas' && !registerNativeKernels()) return nativeProblem() ?? 'the native kernels did not register';
    }
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
  return tf.findBackendFactory(tfBackendOf(name)) ? null : 'backend factory not registered';
}

/**
 * Selects and initialises the backend once per process. `preferred` (or IMRM_BACKEND) forces one backend.
 * Later calls return the first result unless a different backend is forced. Native kernels, once registered,
 * stay for the process: plain wasm cannot follow wasm+openblas in one process.
 */
export async function initBackend(preferred: string | undefined = process.env.IMRM_BACKEND): Promise<BackendInfo> {
  if (current && (!preferred || preferred === current.backend)) return current;
  if (preferred && !BACKEND_NAMES.includes(preferred as BackendName)) {
    throw new Error(`IMRM_BACKEND must be one of ${BACKEND_NAMES.join(', ')}, got '${preferred}'`);
  }
  if (preferred === 'webgpu') {
    const found = await findAdapter();
    if (found instanceof Error) throw new Error(`IMRM_BACKEND=webgpu: ${found.message}`);
    return startWebGpu(found);
  }
  if (preferred === 'wasm' && current?.backend === 'wasm+openblas') throw new Error('plain wasm was asked for after wasm+openblas in this process');
  // PROD silences tfjs's console advice to install tfjs-node (printed on the first cpu-kernel write).
  tf.env().set('PROD', true);
  const nativeOff = !preferred && process.env.IMRM_NATIVE === '0';
  const candidates = preferred ? [preferred as BackendName] : BACKEND_ORDER.filter((b) => !(nativeOff && b === 'wasm+openblas'));
  const skipped: Record<string, string> = nativeOff ? { 'wasm+openblas': 'IMRM_NATIVE=0' } : {};
  for (const name of candidates) {
    const problem = tryRegister(name);
    if (problem) {
      skipped[name] = problem;
      continue;
    }
    const tfName = tfBackendOf(name);
    if (!(await tf.setBackend(tfName))) {
      skipped[name] = 'setBackend returned false';
      continue;
    }
    await tf.ready();
    current = {
      backend: name,
      tfBackend: tfName,
      tfjsVersion: tf.version.tfjs,
      skipped,
      ...(tfName === 'wasm' ? { wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), wasmThreads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') } : {}),
      ...(name === 'wasm+openblas' ? { native: nativeInfo() as NativeInfo } : {}),
    };
    return current;
  }
  throw new Error(`no tfjs backend could be initialised: ${JSON.stringify(skipped)}`);
}

/** Starts the WebGPU engine on an adapter already found (gpu-check finds it first, to report its absence itself). */
export async function startWebGpu(found: FoundAdapter): Promise<BackendInfo> {
  tf.env().set('PROD', true);
  registerWebGpuBackend(tf, found);
  if (!(await tf.setBackend('webgpu'))) throw new Error(`IMRM_BACKEND=webgpu: the WebGPU backend did not start on ${found.info.description}`);
  await tf.ready();
  current = { backend: 'webgpu', tfBackend: 'webgpu', tfjsVersion: tf.version.tfjs, webgpu: found.info, skipped: {} };
  return current;
}

/**
 * The engine as run identities name it: the backend's name, and for webgpu also the adapter, since two GPUs (or a
 * GPU and a software adapter) round differently. For every other engine it is the backend's name alone.
 */
export function engineId(info: BackendInfo = backendInfo()): string {
  return info.webgpu ? `webgpu (${adapterName(info.webgpu)})` : info.backend;
}

/** The adapter as the engine id and the backend line name it: Dawn's route, then what the adapter says of itself. */
function adapterName(a: WebGpuAdapterInfo): string {
  return `${a.route}: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ')}`;
}

/**
 * The engines whose bases (pretrained models and other artefacts later runs start from) this engine may use, its own
 * first: wasm and wasm+openblas share the tfjs backend, so a base one of them made loads on the other like any
 * downloaded checkpoint. Runs that use a base made by another engine say so in their identity (runner.ts).
 */
export function artefactBackends(engine: string = engineId()): string[] {
  if (engine === 'wasm+openblas') return ['wasm+openblas', 'wasm'];
  if (engine === 'wasm') return ['wasm', 'wasm+openblas'];
  // A GPU loads the CPU engines' bases (the shipped ones among them) as it loads any downloaded checkpoint.
  if (engine.startsWith('webgpu')) return [engine, 'wasm+openblas', 'wasm'];
  return [engine];
}

/** One line for the start of a run: which backend runs, and why the ones before it in the order did not. */
export function backendLine(info: BackendInfo = backendInfo()): string {
  const native = info.native
    ? ` (${info.native.blas.split(' ').slice(0, 2).join(' ')}, core ${info.native.core}, ${info.native.threads} BLAS thread(s))`
    : info.webgpu
      ? ` (${adapterName(info.webgpu)}${info.webgpu.software ? ', a software adapter: for tests, far slower than wasm' : ''})`
      : '';
  const why = Object.entries(info.skipped)
    .filter(([name]) => name !== 'tensorflow' || process.env.IMRM_BACKEND === 'tensorflow')
    .map(([name, reason]) => `${name}: ${reason}`);
  return `backend ${info.backend}${native}${why.length ? `; not ${why.join('; not ')}` : ''}`;
}

/** The backend chosen by initBackend; throws if initBackend has not run. */
export function backendInfo(): BackendInfo {
  if (!current) throw new Error('initBackend() has not been called');
  return current;
}

/** Messages with which the wasm runtime fails when its heap (4 GB at most) is exhausted or corrupted by exhaustion. */
const WASM_HEAP_FAILURE = /memory access out of bounds|Aborted\(|Cannot enlarge memory|out of memory/i;

/**
 * An error of `where` that names the likely cause when the wasm heap overflowed (its own messages do not), else
 * the error unchanged.
 */
export function explainBackendError(e: unknown, where: string): unknown {
  const message = e instanceof Error ? e.message : String(e);
  if (!WASM_HEAP_FAILURE.test(message) || (current && current.tfBackend !== 'wasm')) return e;
  return new Error(
    `${where}: the wasm heap (4 GB at most per process) overflowed (${message.split('\n')[0]}). Long sequences need smaller ` +
      'micro-batches: lower train.microBatchSize (the effective batch and the summed gradient stay the same) or ' +
      'train.evalBatchSize, or run on the tensorflow backend (environment.md).',
  );
}
