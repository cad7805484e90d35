/**
 * Data-parallel gradients over worker threads. A step's micro-batch jobs are dealt out round-robin (job j to
 * replica j mod N; replica 0 is this thread); every worker holds a replica of the parameters on its own backend,
 * receives this thread's parameters before each step and answers each job, as soon as it is done, with its loss and
 * gradients as float32 arrays. They are added here in job order as they arrive, exactly as the one-thread path adds
 * them, so N workers give bit-identical parameters to one worker for the same micro-batch partition (timing
 * decides nothing), and a step holds one running sum, not one gradient copy per micro-batch.
 *
 * Reads are asynchronous (`await data()`), as the WebGPU backend requires; this thread computes its own jobs and
 * blocks (Atomics.wait, in slices) for the workers' answers, which it reads with receiveMessageOnPort. Every request
 * and answer carries a step id; an answer of an earlier, abandoned step is dropped, any other mismatch is an error. A blocked thread cannot see a worker's
 * 'exit' event, so the workers are started by a small supervisor thread whose event loop stays free: it flags a
 * worker's death in shared memory within milliseconds, with the exit code and error, and the step fails naming it.
 * Workers start on first use and are reused across training runs; a dead one is replaced on the next step; `close`
 * ends them.
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
  step: number;
  config: ModelConfig;
  params: Record<string, PlainTensor>;
  jobs: GradientJob[];
}

/** One answer per job of a request, in order; an error ends the request. */
export type WorkerAnswer = { step: number; job: number; loss: number; grads: Record<string, PlainTensor> } | { step: number; error: string };

export interface GradientSum {
  /** Sum of the jobs' (weighted) losses, in job order. */
  loss: number;
  grads: Record<string, tf.Tensor>;
}

/** Shared Int32 slots of a worker: answers posted (the worker counts), died (the supervisor sets 1). */
export const SIGNAL_ANSWERS = 0;
export const SIGNAL_DIED = 1;

/** Replicas per process by default: the machine's cores shared among `jobs` processes, at least 1 (webgpu: 1). */
export function defaultWorkers(jobs = 1, cores = os.availableParallelism()): number {
  if (process.env.IMRM_BACKEND === 'webgpu') return 1; // one device: replicas would share it
  return Math.max(1, Math.floor(cores / Math.max(1, jobs)));
}

/** A job's loss and gradients on this thread (tensors; the caller disposes them). */
export async function jobGradients(
  job: GradientJob,
  config: ModelConfig,
  vars: Record<string, tf.Variable>,
): Promise<{ loss: number; grads: Record<string, tf.Tensor> }> {
  const state = stateOfVariables(config, vars);
  const { loss, grads } = gradsByName(() => tf.tidy(() => jobLoss(job, state)), vars);
  const value = (await loss.data())[0];
  loss.dispose();
  return { loss: value, grads };
}

interface Thread {
  port: MessagePort;
  signal: Int32Array;
  /** Answers read so far (the worker's count in SIGNAL_ANSWERS runs ahead of it). */
  read: number;
}

/** How long a worker may take over one job before we give up on it. */
const WORKER_TIMEOUT_MS = 60 * 60 * 1000;
/** How often a blocked wait looks for a worker's death, in case the supervisor's wake-up came just before it. */
const WAIT_SLICE_MS = 500;

/**
 * The supervisor thread (plain JavaScript, evaluated): starts each gradient worker it is sent, and when one exits
 * reports its exit code and error on the report port, then sets its died flag and wakes whoever waits on it.
 */
const SUPERVISOR = `
const { Worker, workerData, parentPort } = require('node:worker_threads');
const report = workerData.report;
parentPort.on('message', ({ index, code, data }) => {
  let error = null;
  const worker = new Worker(code, { eval: true, execArgv: [], workerData: data, transferList: [data.port] });
  worker.on('error', (e) => { error = (e && e.stack) || String(e); });
  worker.on('exit', (exitCode) => {
    report.postMessage({ index, exitCode, error });
    Atomics.store(data.signal, ${SIGNAL_DIED}, 1);
    Atomics.notify(data.signal, ${SIGNAL_ANSWERS});
  });
});
`;

export interface GradientPoolOptions {
  /** The worker's entry module (default: gradient-worker.ts); tests swap in workers that fail on purpose. */
  entry?: string;
}

export class GradientPool {
  private threads: Array<Thread | null> = [];
  private supervisor: { worker: Worker; reports: MessagePort } | null = null;
  private readonly deaths = new Map<number, { exitCode: number; error: string | null }>();
  private step = 0;
  private readonly entry: string;

  /** `workers`: replicas computing gradients, this thread included (1: no worker threads). */
  constructor(
    readonly workers = 1,
    options: GradientPoolOptions = {},
  ) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
    this.entry = options.entry ?? path.join(__dirname, 'gradient-worker.ts');
  }

  /** Loss and gradient sums of `jobs` for the parameters `vars` of a model of `config`, added in job order. */
  async gradients(jobs: GradientJob[], config: ModelConfig, vars: Record<string, tf.Variable>): Promise<GradientSum> {
    const replicas = Math.min(this.workers, jobs.length);
    if (replicas > 1 && backendInfo().tfBackend === 'webgpu') throw new Error('webgpu computes on one device: run with --workers 1 (IMRM_WORKERS=1)');
    const step = ++this.step;
    if (replicas > 1) {
      const params = plainParams(vars);
      for (let r = 1; r < replicas; r++) this.post(r - 1, { step, config, params, jobs: jobs.filter((_, j) => j % replicas === r) });
    }
    const acc: Record<string, tf.Tensor> = {};
    let loss = 0;
    try {
      for (const [j, job] of jobs.entries()) {
        const r = j % replicas;
        const result = r === 0 ? await jobGradients(job, config, vars) : this.receive(r - 1, step, Math.floor(j / replicas));
        loss += result.loss;
        accumulate(acc, result.grads);
      }
    } catch (e) {
      // Answers of this step still on their way are dropped by their step id when the next step reads.
      Object.values(acc).forEach((g) => g.dispose());
      throw e;
    }
    return { loss, grads: acc };
  }

  close(): void {
    for (const t of this.threads) t?.port.close();
    this.threads = [];
    if (this.supervisor) {
      this.supervisor.reports.close();
      void this.supervisor.worker.terminate(); // its workers end with it
      this.supervisor = null;
    }
  }

  private thread(i: number): Thread {
    const existing = this.threads[i];
    if (existing && Atomics.load(existing.signal, SIGNAL_DIED) === 0) return existing;
    existing?.port.close();
    if (!this.supervisor) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(SUPERVISOR, { eval: true, execArgv: [], workerData: { report: port2 }, transferList: [port2] });
      worker.unref(); // a pool left open must not keep the process alive
      this.supervisor = { worker, reports: port1 };
    }
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(8));
    // Workers do not inherit tsx's loader: register it before loading the TypeScript entry.
    const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(this.entry)});`;
    const data = { port: port2, signal, backend: backendInfo().backend };
    this.deaths.delete(i);
    this.supervisor.worker.postMessage({ index: i, code, data }, [port2]);
    const thread = { port: port1, signal, read: 0 };
    this.threads[i] = thread;
    return thread;
  }

  private post(i: number, request: WorkerRequest): void {
    this.thread(i).port.postMessage(request);
  }

  /** Worker `i`'s answer to job `k` of `step`, read when it arrives; throws if the worker failed or died. */
  private receive(i: number, step: number, k: number): { loss: number; grads: Record<string, tf.Tensor> } {
    const t = this.threads[i] as Thread;
    const name = `gradient worker ${i + 1}`;
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    for (;;) {
      const message = receiveMessageOnPort(t.port)?.message as WorkerAnswer | undefined;
      if (message) {
        t.read++;
        if (message.step < step) continue; // an abandoned step's late answer
        if (message.step > step) throw new Error(`${name} answered step ${message.step} while step ${step} was read`);
        if ('error' in message) throw new Error(`${name}: ${message.error}`);
        if (message.job !== k) throw new Error(`${name} answered job ${message.job} of step ${step} where job ${k} was expected`);
        const grads: Record<string, tf.Tensor> = {};
        for (const [n, g] of Object.entries(message.grads)) grads[n] = tf.tensor(g.data, g.shape, 'float32');
        return { loss: message.loss, grads };
      }
      if (Atomics.load(t.signal, SIGNAL_DIED) === 1) throw new Error(this.deathOf(i));
      if (Date.now() > deadline) throw new Error(`${name} did not answer job ${k} of step ${step} within an hour`);
      Atomics.wait(t.signal, SIGNAL_ANSWERS, t.read, WAIT_SLICE_MS);
    }
  }

  /** What the supervisor reported about worker `i`'s exit. */
  private deathOf(i: number): string {
    const deadline = Date.now() + 2000; // the report is posted before the flag is set: it is there, or nearly
    while (!this.deaths.has(i) && Date.now() < deadline) {
      const r = this.supervisor && receiveMessageOnPort(this.supervisor.reports)?.message;
      if (r) this.deaths.set(r.index, { exitCode: r.exitCode, error: r.error });
    }
    const d = this.deaths.get(i);
    const how = d ? `exit code ${d.exitCode}${d.error ? `: ${d.error.split('\n').slice(0, 3).join(' | ')}` : ''}` : 'no exit report';
    return `gradient worker ${i + 1} died (${how}); it is restarted on the next step`;
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

/** Runs `fn` with the process-wide pool set to `workers` replicas, and restores the previous count even if it throws. */
export async function withDefaultPool<T>(workers: number, fn: () => Promise<T>): Promise<T> {
  const previous = processPool.workers;
  setDefaultPool(workers);
  try {
    return await fn();
  } finally {
    setDefaultPool(previous);
  }
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
