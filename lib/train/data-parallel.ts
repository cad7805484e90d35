/**
 * Data-parallel gradients over worker threads. A step's micro-batch jobs are dealt out round-robin (job j to
 * replica j mod N; replica 0 is this thread); every worker holds a replica of the parameters on its own backend,
 * receives this thread's parameters before each step and returns its jobs' losses and gradients as float32 arrays.
 * They are summed here in job order, exactly as the one-thread path sums them, so N workers give bit-identical
 * parameters to one worker for the same micro-batch partition: timing decides nothing.
 *
 * The trainers stay synchronous: this thread computes its own jobs, then blocks (Atomics.wait) until each worker
 * has posted its answer, which it reads with receiveMessageOnPort. Workers start on first use and are reused
 * across training runs; `close` ends them.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../model/config';
import { backendInfo } from '../backend';
import { type GradientJob, jobLoss, stateOfVariables } from './gradient-jobs';
import { accumulate, gradsByName } from './checkpointing';

/** A tensor as plain data (what crosses between threads). */
export interface PlainTensor {
  shape: number[];
  data: Float32Array;
}

export interface WorkerRequest {
  config: ModelConfig;
  params: Record<string, PlainTensor>;
  jobs: GradientJob[];
}

export type WorkerAnswer = { results: Array<{ loss: number; grads: Record<string, PlainTensor> }> } | { error: string };

export interface GradientSum {
  /** Sum of the jobs' (weighted) losses, in job order. */
  loss: number;
  grads: Record<string, tf.Tensor>;
}

/** Replicas per process by default: the machine's cores shared among `jobs` processes, at least 1. */
export function defaultWorkers(jobs = 1, cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, jobs)));
}

/** A job's loss and gradients on this thread (tensors; the caller disposes them). */
export function jobGradients(job: GradientJob, config: ModelConfig, vars: Record<string, tf.Variable>): { loss: number; grads: Record<string, tf.Tensor> } {
  const state = stateOfVariables(config, vars);
  const { loss, grads } = gradsByName(() => tf.tidy(() => jobLoss(job, state)), vars);
  const value = loss.dataSync()[0];
  loss.dispose();
  return { loss: value, grads };
}

interface Thread {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

/** How long a worker may take over one step before we give up on it (a crashed worker never answers). */
const WORKER_TIMEOUT_MS = 60 * 60 * 1000;

export class GradientPool {
  private threads: Thread[] = [];

  /** `workers`: replicas computing gradients, this thread included (1: no worker threads). */
  constructor(readonly workers = 1) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  }

  /** Loss and gradient sums of `jobs` for the parameters `vars` of a model of `config`. */
  gradients(jobs: GradientJob[], config: ModelConfig, vars: Record<string, tf.Variable>): GradientSum {
    const replicas = Math.min(this.workers, jobs.length);
    const perJob: Array<{ loss: number; grads: Record<string, tf.Tensor> }> = new Array(jobs.length);
    if (replicas > 1) {
      const params = plainParams(vars);
      for (let r = 1; r < replicas; r++) this.post(r - 1, { config, params, jobs: jobs.filter((_, j) => j % replicas === r) });
    }
    let failure: unknown = null;
    try {
      jobs.forEach((job, j) => {
        if (j % replicas === 0) perJob[j] = jobGradients(job, config, vars);
      });
    } catch (e) {
      failure = e;
    }
    // Every posted answer is read, even after a failure here, so that none is left for the next step to misread.
    for (let r = 1; r < replicas; r++) {
      try {
        const answer = this.receive(r - 1);
        const mine = jobs.map((_, j) => j).filter((j) => j % replicas === r);
        mine.forEach((j, k) => {
          const { loss, grads } = answer[k];
          const tensors: Record<string, tf.Tensor> = {};
          for (const [name, g] of Object.entries(grads)) tensors[name] = tf.tensor(g.data, g.shape, 'float32');
          perJob[j] = { loss, grads: tensors };
        });
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure) {
      for (const r of perJob) if (r) Object.values(r.grads).forEach((g) => g.dispose());
      throw failure;
    }
    const acc: Record<string, tf.Tensor> = {};
    let loss = 0;
    for (const r of perJob) {
      loss += r.loss;
      accumulate(acc, r.grads);
    }
    return { loss, grads: acc };
  }

  close(): void {
    for (const t of this.threads) {
      t.port.close();
      void t.worker.terminate();
    }
    this.threads = [];
  }

  private thread(i: number): Thread {
    while (this.threads.length <= i) {
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const entry = path.join(__dirname, 'gradient-worker.ts');
      // Workers do not inherit tsx's loader: register it before loading the TypeScript entry.
      const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`;
      const worker = new Worker(code, {
        eval: true,
        execArgv: [],
        workerData: { port: port2, signal, backend: backendInfo().backend },
        transferList: [port2],
      });
      worker.unref(); // a pool left open must not keep the process alive
      this.threads.push({ worker, port: port1, signal });
    }
    return this.threads[i];
  }

  private post(i: number, request: WorkerRequest): void {
    const t = this.thread(i);
    Atomics.store(t.signal, 0, 0);
    t.worker.postMessage(request);
  }

  private receive(i: number): Array<{ loss: number; grads: Record<string, PlainTensor> }> {
    const t = this.threads[i];
    if (Atomics.wait(t.signal, 0, 0, WORKER_TIMEOUT_MS) === 'timed-out') throw new Error(`gradient worker ${i + 1} did not answer within an hour`);
    const answer = receiveMessageOnPort(t.port)?.message as WorkerAnswer | undefined;
    if (!answer) throw new Error(`gradient worker ${i + 1} signalled but sent nothing`);
    if ('error' in answer) throw new Error(`gradient worker ${i + 1}: ${answer.error}`);
    return answer.results;
  }
}

export function plainParams(vars: Record<string, tf.Tensor>): Record<string, PlainTensor> {
  const out: Record<string, PlainTensor> = {};
  for (const [name, v] of Object.entries(vars)) out[name] = { shape: v.shape, data: v.dataSync() as Float32Array };
  return out;
}

/**
 * One pool per process for trainers that are not given one: IMRM_WORKERS replicas (how `npm run reproduce` passes
 * --workers to notebook kernels), else one, until `setDefaultPool` says otherwise.
 */
let processPool = new GradientPool(Number(process.env.IMRM_WORKERS) || 1);

export function defaultPool(): GradientPool {
  return processPool;
}

/** Sets the process-wide pool (the CLIs' --workers); closes the previous one. */
export function setDefaultPool(workers: number): GradientPool {
  if (processPool.workers !== workers) {
    processPool.close();
    processPool = new GradientPool(workers);
  }
  return processPool;
}

/** A requested worker count, validated; unset: `defaultWorkers(jobs)`. */
export function resolveWorkers(requested: number | undefined, jobs = 1): number {
  const workers = requested ?? defaultWorkers(jobs);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a positive integer, got ${requested}`);
  return workers;
}

/** The CLIs' `--workers N` (default: every core): validated, made the process's pool, and returned. */
export function workersFromArgv(argv: string[], jobs = 1): number {
  const i = argv.indexOf('--workers');
  return setDefaultPool(resolveWorkers(i >= 0 ? Number(argv[i + 1]) : undefined, jobs)).workers;
}
