/**
 * A no-copy Identity for the wasm backend. tfjs clones every tensor a custom gradient saves for its backward pass
 * (and `tf.clone` is Identity too); the wasm backend's Identity copies the data, about 100 copies per training step
 * of the bench model (5% of a native step, `npm run profile-step`). This one shares the data and counts a reference,
 * as the cpu backend's Identity and the wasm backend's own Reshape do: no wasm kernel writes into its inputs, and
 * the one in-place writer here (nativeAdamW) writes only data no other tensor shares. Values are unchanged, so
 * results stay bit-identical (the pins test checks it on both engines).
 */
import * as tf from '@tensorflow/tfjs';

interface RefCountingBackend {
  incRef(dataId: unknown): void;
}

let registered = false;

/** Makes Identity on the wasm backend share data instead of copying it. Idempotent; the wasm backend must be loaded. */
export function registerSharedIdentity(): void {
  if (registered) return;
  const original = tf.getKernel('Identity', 'wasm');
  if (!original) throw new Error('the wasm backend has no Identity kernel to replace: is @tensorflow/tfjs-backend-wasm loaded?');
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return original.kernelFunc(args); // strings live outside the heap
    (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
  registered = true;
}
