/**
 * A gradient worker thread (see data-parallel.ts): keeps a replica of the trained parameters on its own backend,
 * takes the parameters and jobs of each step, and answers each job with its loss and gradients as soon as it is done.
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, initBackend } from '../backend';
import { SIGNAL_ANSWERS, type WorkerAnswer, type WorkerRequest, jobGradients } from './data-parallel';

const { port, signal, backend } = workerData as { port: MessagePort; signal: Int32Array; backend: BackendName };
const ready = initBackend(backend);
let vars: Record<string, tf.Variable> = {};

/** Makes the replica's variables hold `params` (new variables when names or shapes change). */
function sync(params: WorkerRequest['params']): void {
  const same =
    Object.keys(params).length === Object.keys(vars).length && Object.entries(params).every(([n, p]) => vars[n] && vars[n].shape.join() === p.shape.join());
  if (!same) {
    for (const v of Object.values(vars)) v.dispose();
    vars = {};
  }
  for (const [name, p] of Object.entries(params)) {
    const t = tf.tensor(p.data, p.shape, 'float32');
    if (vars[name]) vars[name].assign(t);
    else vars[name] = tf.variable(t, true);
    t.dispose();
  }
}

/** Posts first, then counts: a reader woken by the count finds the message. */
function answer(a: WorkerAnswer): void {
  port.postMessage(a);
  Atomics.add(signal, SIGNAL_ANSWERS, 1);
  Atomics.notify(signal, SIGNAL_ANSWERS);
}

port.on('message', async (request: WorkerRequest) => {
  try {
    await ready;
    sync(request.params);
    for (const [k, job] of request.jobs.entries()) {
      const { loss, grads } = await jobGradients(job, request.config, vars);
      const plain: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [name, g] of Object.entries(grads)) {
        plain[name] = { shape: g.shape, data: (await g.data()) as Float32Array };
        g.dispose();
      }
      answer({ step: request.step, job: k, loss, grads: plain });
    }
  } catch (e) {
    answer({ step: request.step, error: (e as Error).stack ?? String(e) });
  }
});
