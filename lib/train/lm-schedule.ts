/**
 * Long language-model pretraining: next-token loss on random windows of a token stream, AdamW with linear warm-up
 * and cosine decay, validation perplexity every evalEvery steps, and exact resume. Each step's window offsets
 * come from a seed derived from (seed, step), so a resumed run draws the same batches as an uninterrupted one;
 * with a checkpoint folder the weights, optimizer moments and curve are saved every checkpointEvery steps.
 */
import * as fs from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from '../model/transformer';
import { Rng, deriveSeed } from '../random';
import { check, mergeConfig } from '../config';
import { AdamW } from './adamw';
import { loadTrainingState, saveTrainingState } from './checkpointing';
import { type LmTrainConfig, checkMicroBatchSize, lmStep, validationPerplexity } from './lm';
import type { GradientPool } from './data-parallel';
import { checkMemory } from './memory-plan';

/** LmTrainConfig (steps, batch, window, optimizer, kernels) plus the schedule, evaluation and checkpoints. */
export interface ScheduledLmConfig extends LmTrainConfig {
  /** Steps of linear warm-up from 0 to optimizer.lr. */
  warmupSteps: number;
  /** The cosine decay ends at optimizer.lr * minLrFraction. */
  minLrFraction: number;
  /** Validation perplexity every N steps (and at the end); 0: only at the end. */
  evalEvery: number;
  /** At most this many validation tokens in intermediate evaluations (the final one reads the whole stream). */
  evalTokens: number;
  checkpointEvery: number;
}

export const DEFAULT_SCHEDULED_LM: ScheduledLmConfig = {
  steps: 1000,
  batchSize: 16,
  seqLen: 128,
  microBatchSize: undefined,
  optimizer: { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 },
  warmupSteps: 100,
  minLrFraction: 0.1,
  evalEvery: 250,
  evalTokens: 32768,
  checkpointEvery: 250,
  kernels: 'fast',
};

export function resolveScheduledLmConfig(overrides: unknown, where = 'pretraining config'): ScheduledLmConfig {
  const c = mergeConfig(DEFAULT_SCHEDULED_LM, overrides, where);
  for (const k of ['steps', 'batchSize', 'seqLen', 'evalTokens'] as const)
    check(Number.isInteger(c[k]) && c[k] > 0, where, k, 'must be a positive integer', c[k]);
  for (const k of ['warmupSteps', 'evalEvery', 'checkpointEvery'] as const)
    check(Number.isInteger(c[k]) && c[k] >= 0, where, k, 'must be a non-negative integer', c[k]);
  check(c.optimizer.lr > 0, where, 'optimizer.lr', 'must be positive', c.optimizer.lr);
  check(c.minLrFraction >= 0 && c.minLrFraction <= 1, where, 'minLrFraction', 'must be in [0, 1]', c.minLrFraction);
  checkMicroBatchSize(c, where);
  return c;
}

/** Learning rate at step (1-based): linear warm-up, then cosine from lr to lr * minLrFraction. */
export function learningRateAt(c: ScheduledLmConfig, step: number): number {
  const lr = c.optimizer.lr;
  if (step <= c.warmupSteps) return (lr * step) / c.warmupSteps;
  const span = Math.max(1, c.steps - c.warmupSteps);
  const progress = Math.min(1, (step - c.warmupSteps) / span);
  return lr * (c.minLrFraction + (1 - c.minLrFraction) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

export interface CurvePoint {
  step: number;
  lr: number;
  /** Mean training loss (nats/token) over the steps since the previous point; null before training. */
  trainLoss: number | null;
  validationPerplexity: number;
  seconds: number;
}

export interface ScheduledLmInput {
  train: Int32Array;
  validation: Int32Array;
  seed: number;
  checkpointDir?: string;
  /** Stop after this many steps (checkpointed): simulates an interruption. */
  stopAfterSteps?: number;
  onStep?: (step: number, loss: number) => void;
  /** Training resumed from a checkpoint after `step` steps. */
  onResume?: (step: number) => void;
  /** Data-parallel workers (default: the process's pool). */
  pool?: GradientPool;
}

interface SavedState {
  step: number;
  curve: CurvePoint[];
  lossSum: number;
  lossCount: number;
  seconds: number;
}

/** Trains `vars` in place; returns the evaluation curve (the last point is the final, full validation). */
export async function trainScheduledLm(
  c: ScheduledLmConfig,
  lm: LanguageModel,
  vars: Record<string, tf.Variable>,
  input: ScheduledLmInput,
): Promise<{ curve: CurvePoint[]; completed: boolean }> {
  const len = Math.min(c.seqLen, lm.config.contextLength);
  if (input.train.length <= len) throw new Error(`training stream of ${input.train.length} tokens is shorter than one window of ${len}`);
  checkMemory({ config: lm.config, rows: Math.min(c.microBatchSize ?? c.batchSize, c.batchSize), tokens: len }, 'train.microBatchSize');
  const optimizer = new AdamW(vars, c.optimizer);
  const saved = input.checkpointDir && fs.existsSync(input.checkpointDir) ? loadTrainingState<SavedState>(input.checkpointDir, vars, optimizer) : null;
  let { step, curve, lossSum, lossCount, seconds } = saved ?? { step: 0, curve: [] as CurvePoint[], lossSum: 0, lossCount: 0, seconds: 0 };
  if (saved) input.onResume?.(saved.step);
  const started = Date.now() - seconds * 1000;
  const elapsed = () => (Date.now() - started) / 1000;
  const checkpoint = async () => {
    if (input.checkpointDir) await saveTrainingState(input.checkpointDir, vars, optimizer, { step, curve, lossSum, lossCount, seconds: elapsed() });
  };
  const evaluate = async (final: boolean) => {
    const stream = final ? input.validation : input.validation.subarray(0, Math.max(len, c.evalTokens));
    curve.push({
      step,
      lr: learningRateAt(c, Math.max(1, step)),
      trainLoss: lossCount ? lossSum / lossCount : null,
      validationPerplexity: await validationPerplexity(lm, stream, len, c.batchSize, c.kernels),
      seconds: elapsed(),
    });
    lossSum = 0;
    lossCount = 0;
  };
  if (step === 0) await evaluate(false);
  while (step < c.steps) {
    step++;
    const rng = new Rng(deriveSeed(input.seed, 'lm-window', step));
    const starts = Array.from({ length: c.batchSize }, () => rng.int(input.train.length - len + 1));
    const value = await lmStep(lm, vars, optimizer, input.train, starts, len, {
      kernels: c.kernels,
      lr: learningRateAt(c, step),
      microBatchSize: c.microBatchSize,
      pool: input.pool,
    });
    if (!Number.isFinite(value)) throw new Error(`pretraining diverged at step ${step} (loss ${value}); lower optimizer.lr`);
    lossSum += value;
    lossCount++;
    input.onStep?.(step, value);
    if (step < c.steps && c.evalEvery > 0 && step % c.evalEvery === 0) await evaluate(false);
    if (step < c.steps && c.checkpointEvery > 0 && step % c.checkpointEvery === 0) await checkpoint();
    if (input.stopAfterSteps !== undefined && step >= input.stopAfterSteps && step < c.steps) {
      await checkpoint();
      optimizer.dispose();
      return { curve, completed: false };
    }
  }
  await evaluate(true);
  optimizer.dispose();
  return { curve, completed: true };
}
