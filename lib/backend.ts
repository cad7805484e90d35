/**
 * Backend choice at run time: tensorflow (tfjs-node-gpu, only when its backend factory is registered) → wasm → cpu.
 * IMRM_BACKEND=tensorflow|wasm|cpu forces one (an error if it is unavailable). The chosen backend is recorded in
 * every run (see runs/env.ts) because numbers differ, slightly, between backends.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  backend: BackendName;
  tfjsVersion: string;
  wasmSimd?: boolean;
  wasmThreads?: boolean;
  /** Why earlier backends in the order were skipped. */
  skipped: Record<string, string>;
}

let current: BackendInfo | null = null;

function tryRegister(name: BackendName): string | null {
  try {
    if (name === 'tensorflow') {
      // Registers the 'tensorflow' backend factory when libtensorflow is installed; the require itself
      // can succeed with a broken binary, so the factory is what we check.
      require('@tensorflow/tfjs-node-gpu');
    } else if (name === 'wasm') {
      require('@tensorflow/tfjs-backend-wasm');
      // Threads off: Emscripten's blob: workers are rejected by Node's worker_threads (ERR_WORKER_PATH).
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
  return tf.findBackendFactory(name) ? null : 'backend factory not registered';
}

/**
 * Selects and initialises the backend once per process. `preferred` (or IMRM_BACKEND) forces one backend.
 * Later calls return the first result unless a different backend is forced.
 */
export async function initBackend(preferred: string | undefined = process.env.IMRM_BACKEND): Promise<BackendInfo> {
  if (current && (!preferred || preferred === current.backend)) return current;
  if (preferred && !BACKEND_ORDER.includes(preferred as BackendName)) {
    throw new Error(`IMRM_BACKEND must be one of ${BACKEND_ORDER.join(', ')}, got '${preferred}'`);
  }
  // PROD silences tfjs's console advice to install tfjs-node (printed on the first cpu-kernel write).
  tf.env().set('PROD', true);
  const candidates = preferred ? [preferred as BackendName] : BACKEND_ORDER;
  const skipped: Record<string, string> = {};
  for (const name of candidates) {
    const problem = tryRegister(name);
    if (problem) {
      skipped[name] = problem;
      continue;
    }
    if (!(await tf.setBackend(name))) {
      skipped[name] = 'setBackend returned false';
      continue;
    }
    await tf.ready();
    current = {
      backend: name,
      tfjsVersion: tf.version.tfjs,
      skipped,
      ...(name === 'wasm' ? { wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), wasmThreads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') } : {}),
    };
    return current;
  }
  throw new Error(`no tfjs backend could be initialised: ${JSON.stringify(skipped)}`);
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
  if (!WASM_HEAP_FAILURE.test(message) || (current && current.backend !== 'wasm')) return e;
  return new Error(
    `${where}: the wasm heap (4 GB at most per process) overflowed (${message.split('\n')[0]}). Long sequences need smaller ` +
      'micro-batches: lower train.microBatchSize (the effective batch and the summed gradient stay the same) or ' +
      'train.evalBatchSize, or run on the tensorflow backend (environment.md).',
  );
}
