/**
 * Language-model training (next-token cross-entropy) on the same model code, for base models: windows of
 * contextLength + 1 tokens are drawn at seeded random offsets of a token stream; validation perplexity is the
 * exponential of the mean token loss over fixed, non-overlapping validation windows.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from '../model/transformer';
import type { KernelName } from '../model/kernels';
import { Rng, deriveSeed } from '../random';
import { check, mergeConfig } from '../config';
import { AdamW, type AdamWConfig } from './adamw';
import { type GradientPool, defaultPool } from './data-parallel';
import { chunks, windowLoss } from './gradient-jobs';
import { checkMemory } from './memory-plan';

export { windowLoss };

export interface LmTrainConfig {
  steps: number;
  batchSize: number;
  /** Tokens per window (<= the model context). */
  seqLen: number;
  /**
   * Windows (or documents) per forward/backward pass; a step sums the weighted passes. Unset: the whole batch in
   * one pass (and absent from run identities). Data-parallel workers split a step by micro-batches, so `--workers`
   * speeds up a step only when it has at least two.
   */
  microBatchSize?: number;
  optimizer: AdamWConfig;
  kernels: KernelName;
}

export const DEFAULT_LM_TRAIN: LmTrainConfig = {
  steps: 100,
  batchSize: 16,
  seqLen: 64,
  microBatchSize: undefined,
  optimizer: { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 },
  kernels: 'fast',
};

export function resolveLmTrainConfig(overrides: unknown, where = 'language-model training config'): LmTrainConfig {
  const c = mergeConfig(DEFAULT_LM_TRAIN, overrides, where);
  for (const k of ['steps', 'batchSize', 'seqLen'] as const) check(Number.isInteger(c[k]) && c[k] > 0, where, k, 'must be a positive integer', c[k]);
  checkMicroBatchSize(c, where);
  return c;
}

/** microBatchSize, when set, is a positive integer no larger than batchSize. */
export function checkMicroBatchSize(c: Pick<LmTrainConfig, 'batchSize' | 'microBatchSize'>, where: string): void {
  const m = c.microBatchSize;
  if (m !== undefined)
    check(Number.isInteger(m) && m > 0 && m <= c.batchSize, where, 'microBatchSize', `must be a positive integer <= batchSize (${c.batchSize})`, m);
}

/** The windows of `len` tokens at `starts`, row-major. */
export function windowIds(stream: Int32Array, starts: number[], len: number): Int32Array {
  const out = new Int32Array(starts.length * len);
  starts.forEach((s, b) => out.set(stream.subarray(s, s + len), b * len));
  return out;
}

export function windowsAt(stream: Int32Array, starts: number[], len: number): tf.Tensor2D {
  return tf.tensor2d(windowIds(stream, starts, len), [starts.length, len], 'int32');
}

export async function validationPerplexity(lm: LanguageModel, stream: Int32Array, seqLen: number, batchSize: number, kernels?: KernelName): Promise<number> {
  const starts: number[] = [];
  for (let s = 0; s + seqLen <= stream.length; s += seqLen) starts.push(s);
  if (starts.length === 0) throw new Error(`validation stream of ${stream.length} tokens is shorter than one window of ${seqLen}`);
  let total = 0;
  for (let i = 0; i < starts.length; i += batchSize) {
    const chunk = starts.slice(i, i + batchSize);
    const loss = tf.tidy(() => windowLoss(lm, windowsAt(stream, chunk, seqLen), kernels));
    total += (await loss.data())[0] * chunk.length;
    loss.dispose();
  }
  return Math.exp(total / starts.length);
}

export interface StepOptions {
  kernels?: KernelName;
  /** Overrides the optimizer's learning rate (schedules). */
  lr?: number;
  /** Windows per pass (default: all in one). */
  microBatchSize?: number;
  pool?: GradientPool;
}

/**
 * One optimizer step on the windows of `stream` starting at `starts`; returns the loss (nats/token) before the
 * step. Micro-batch b of m windows enters with weight m / starts.length, so the passes add up to the batch mean.
 */
export async function lmStep(
  lm: LanguageModel,
  vars: Record<string, tf.Variable>,
  optimizer: AdamW,
  stream: Int32Array,
  starts: number[],
  len: number,
  opts: StepOptions = {},
): Promise<number> {
  const kernels = opts.kernels ?? 'fast';
  const jobs = chunks(starts, opts.microBatchSize ?? starts.length).map((part) => ({
    kind: 'windows' as const,
    ids: windowIds(stream, part, len),
    rows: part.length,
    len,
    weight: part.length / starts.length,
    kernels,
  }));
  const { loss, grads } = await (opts.pool ?? defaultPool()).gradients(jobs, lm.config, vars);
  optimizer.apply(grads, opts.lr);
  for (const g of Object.values(grads)) g.dispose();
  return loss;
}

export interface LmTrainResult {
  losses: number[];
}

/** Trains `vars` (the model's parameters as variables) in place. */
export async function trainLanguageModel(
  cfg: LmTrainConfig,
  lm: LanguageModel,
  vars: Record<string, tf.Variable>,
  stream: Int32Array,
  seed: number,
  onStep?: (step: number, loss: number) => void,
  pool?: GradientPool,
): Promise<LmTrainResult> {
  const len = Math.min(cfg.seqLen, lm.config.contextLength);
  if (stream.length <= len) throw new Error(`training stream of ${stream.length} tokens is shorter than one window of ${len}`);
  const rng = new Rng(deriveSeed(seed, 'lm-windows'));
  checkMemory({ config: lm.config, rows: Math.min(cfg.microBatchSize ?? cfg.batchSize, cfg.batchSize), tokens: len }, 'microBatchSize');
  const optimizer = new AdamW(vars, cfg.optimizer);
  const losses: number[] = [];
  for (let step = 1; step <= cfg.steps; step++) {
    const starts = Array.from({ length: cfg.batchSize }, () => rng.int(stream.length - len + 1));
    const value = await lmStep(lm, vars, optimizer, stream, starts, len, { kernels: cfg.kernels, microBatchSize: cfg.microBatchSize, pool });
    losses.push(value);
    onStep?.(step, value);
  }
  optimizer.dispose();
  return { losses };
}
