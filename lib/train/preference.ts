/**
 * Preference training of an EX-RM or IM-RM from a base language model with the Bradley-Terry loss: AdamW,
 * constant learning rate, effective batches built from micro-batches (gradient accumulation), epochs of a
 * seeded shuffle. Evaluation on every named split at step 0 and after every evalEveryEpochs-th epoch (and the
 * last), over the whole split.
 * The IM-RM reference is a frozen copy of the base; its log-probs are computed once, and its weights are
 * fingerprinted before and after training (an error if they changed).
 * With a checkpoint folder the run is resumable: an interrupted run continues from its last checkpoint and ends
 * with exactly the result of an uninterrupted one (the shuffle of epoch e depends only on (seed, e)).
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from '../model/transformer';
import type { KernelName } from '../model/kernels';
import { cloneParams, disposeParams } from '../model/params';
import { Rng, deriveSeed } from '../random';
import { check, mergeConfig } from '../config';
import { type EncodedPair, buildPairBatch } from '../rewards/sequences';
import { type RewardModelState, rewardModelSpec } from '../rewards/reward-model';
import { initExplicitHead } from '../rewards/explicit';
import type { PreferenceMetrics } from '../rewards/metrics';
import { AdamW, type AdamWConfig, DEFAULT_ADAMW } from './adamw';
import { type PairValues, type SplitEvaluation, evaluateSplit, pairLogProbs, referenceSlice } from './evaluate';
import { fingerprint, loadTrainingState, saveTrainingState } from './checkpointing';
import { type GradientPool, defaultPool } from './data-parallel';
import { HEAD_VARIABLE, chunks } from './gradient-jobs';
import { checkMemory } from './memory-plan';

export interface PreferenceTrainConfig {
  /** A name from REWARD_MODELS: ex, ex-mean, im, im-noref, im-mean. */
  rewardModel: string;
  /** IM-RM beta. */
  beta: number;
  optimizer: AdamWConfig;
  /** Pairs per optimizer step (the effective batch). */
  batchSize: number;
  /** Pairs per forward/backward pass; gradients of batchSize / microBatchSize passes are accumulated. */
  microBatchSize: number;
  epochs: number;
  /** Evaluate every split after every N-th epoch (and always after the last); step 0 is always evaluated. */
  evalEveryEpochs: number;
  evalBatchSize: number;
  /** Also checkpoint every N optimizer steps (0: only at the end of each epoch). */
  checkpointEverySteps: number;
  kernels: KernelName;
}

export const DEFAULT_PREFERENCE_TRAIN: PreferenceTrainConfig = {
  rewardModel: 'im',
  beta: 0.01,
  optimizer: DEFAULT_ADAMW,
  batchSize: 32,
  microBatchSize: 32,
  epochs: 1,
  evalEveryEpochs: 1,
  evalBatchSize: 32,
  checkpointEverySteps: 0,
  kernels: 'fast',
};

export function resolvePreferenceTrainConfig(overrides: unknown, where = 'training config'): PreferenceTrainConfig {
  const c = mergeConfig(DEFAULT_PREFERENCE_TRAIN, overrides, where);
  rewardModelSpec(c.rewardModel, `${where}: key 'rewardModel'`);
  for (const k of ['batchSize', 'microBatchSize', 'evalBatchSize', 'epochs', 'evalEveryEpochs'] as const) {
    check(Number.isInteger(c[k]) && c[k] > 0, where, k, 'must be a positive integer', c[k]);
  }
  check(c.microBatchSize <= c.batchSize, where, 'microBatchSize', `must be <= batchSize (${c.batchSize})`, c.microBatchSize);
  check(c.optimizer.lr > 0, where, 'optimizer.lr', 'must be positive', c.optimizer.lr);
  check(c.beta > 0, where, 'beta', 'must be positive', c.beta);
  check(['fast', 'reference'].includes(c.kernels), where, 'kernels', "must be 'fast' or 'reference'", c.kernels);
  return c;
}

export interface EvalRecord extends PreferenceMetrics {
  epoch: number;
  step: number;
  split: string;
}

export interface StepRecord {
  epoch: number;
  step: number;
  loss: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number | null;
  phase: 'reference' | 'eval' | 'train';
}

export interface PreferenceTrainInput {
  /** Initial weights; never modified (the trainer trains copies). */
  base: LanguageModel;
  padId: number;
  train: EncodedPair[];
  evalSplits: Record<string, EncodedPair[]>;
  seed: number;
  /** Checkpoint folder; resumed from when it holds a checkpoint. */
  checkpointDir?: string;
  onProgress?: (p: TrainProgress) => void;
  /** Stop (after checkpointing) once this many optimizer steps are done: simulates an interruption. */
  stopAfterSteps?: number;
  /** Data-parallel workers (default: the process's pool). */
  pool?: GradientPool;
}

export interface PreferenceTrainResult {
  /** Metrics of every split at step 0 and after every epoch. */
  curve: EvalRecord[];
  trainLoss: StepRecord[];
  /** Evaluation after the last epoch, with per-example scores. */
  final: Record<string, SplitEvaluation>;
  state: RewardModelState;
  interrupted: boolean;
  referenceFingerprint: string | null;
}

interface SavedState {
  epoch: number;
  batchInEpoch: number;
  step: number;
  curve: EvalRecord[];
  trainLoss: StepRecord[];
}

export function stepsPerEpoch(nTrain: number, batchSize: number): number {
  return Math.ceil(nTrain / batchSize);
}

function toVariables(params: Record<string, tf.Tensor>): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [k, t] of Object.entries(params)) out[k] = tf.variable(t, true);
  return out;
}

export async function trainPreference(cfg: PreferenceTrainConfig, input: PreferenceTrainInput): Promise<PreferenceTrainResult> {
  const spec = { ...rewardModelSpec(cfg.rewardModel), beta: cfg.beta };
  const { base, padId, train, seed } = input;
  if (train.length === 0) throw new Error('trainPreference: empty training set');
  const evalOpts = { batchSize: cfg.evalBatchSize, padId, kernels: cfg.kernels };
  const progress = input.onProgress ?? (() => undefined);
  const perEpoch = stepsPerEpoch(train.length, cfg.batchSize);
  const totalSteps = perEpoch * cfg.epochs;
  const longest = Math.max(...train.map((p) => p.prompt.length + Math.max(p.chosen.length, p.rejected.length)));
  checkMemory(
    {
      config: base.config,
      rows: 2 * Math.min(cfg.microBatchSize, train.length),
      tokens: Math.min(longest, base.config.contextLength),
      reference: spec.kind === 'im' && spec.useReference,
      head: spec.kind !== 'im',
    },
    'train.microBatchSize',
  );

  const vars: Record<string, tf.Variable> = toVariables(base.params);
  const lmParams: Record<string, tf.Tensor> = { ...vars };
  let head: tf.Variable | null = null;
  if (spec.kind === 'ex') {
    head = initExplicitHead(base.config.dModel, deriveSeed(seed, 'ex-head'));
    vars[HEAD_VARIABLE] = head;
  }
  const state: RewardModelState = { lm: { config: base.config, params: lmParams }, head: head as tf.Tensor2D | null };
  const optimizer = new AdamW(vars, cfg.optimizer);

  // The frozen reference: computed once, on the initial weights, with the evaluation batching.
  let reference: LanguageModel | null = null;
  let referenceFingerprint: string | null = null;
  const refValues = new Map<string, PairValues>();
  if (spec.kind === 'im' && spec.useReference) {
    reference = { config: base.config, params: cloneParams(base.params) };
    referenceFingerprint = await fingerprint(reference.params);
    progress({ step: 0, totalSteps, epoch: 0, loss: null, phase: 'reference' });
    refValues.set('__train__', await pairLogProbs(reference, train, spec.aggregate, evalOpts));
    for (const [name, pairs] of Object.entries(input.evalSplits)) refValues.set(name, await pairLogProbs(reference, pairs, spec.aggregate, evalOpts));
  }

  const evaluateAll = async (): Promise<Record<string, SplitEvaluation>> => {
    const out: Record<string, SplitEvaluation> = {};
    for (const [name, pairs] of Object.entries(input.evalSplits)) {
      out[name] = await evaluateSplit(spec, state, pairs, refValues.get(name) ?? null, evalOpts);
    }
    return out;
  };
  const record = (evals: Record<string, SplitEvaluation>, epoch: number, step: number): EvalRecord[] =>
    Object.entries(evals).map(([split, e]) => ({ epoch, step, split, ...e.metrics }));

  const saved: SavedState | null = input.checkpointDir ? loadTrainingState<SavedState>(input.checkpointDir, vars, optimizer) : null;
  let { epoch, batchInEpoch, step, curve, trainLoss } = saved ?? {
    epoch: 0,
    batchInEpoch: 0,
    step: 0,
    curve: [] as EvalRecord[],
    trainLoss: [] as StepRecord[],
  };
  const checkpoint = async () => {
    if (input.checkpointDir) await saveTrainingState(input.checkpointDir, vars, optimizer, { epoch, batchInEpoch, step, curve, trainLoss });
  };
  let lastEval: Record<string, SplitEvaluation> | null = null;
  if (!saved) {
    progress({ step: 0, totalSteps, epoch: 0, loss: null, phase: 'eval' });
    lastEval = await evaluateAll();
    curve.push(...record(lastEval, 0, 0));
  }

  let interrupted = false;
  const trainRef = refValues.get('__train__') ?? null;
  let order: number[] = [];
  // `epoch` counts completed epochs and `batchInEpoch` the batches done in the current one: together with the
  // weights and optimizer they are all a resumed run needs.
  while (step < totalSteps) {
    if (batchInEpoch === 0 || order.length === 0) order = new Rng(deriveSeed(seed, 'shuffle', epoch)).shuffle(train.map((_, i) => i));
    const batchIdx = order.slice(batchInEpoch * cfg.batchSize, (batchInEpoch + 1) * cfg.batchSize);
    const grm = spec.kind === 'grm';
    const jobs = chunks(batchIdx, cfg.microBatchSize).map((micro) => ({
      kind: 'pairs' as const,
      spec,
      batch: buildPairBatch(
        micro.map((i) => train[i]),
        padId,
        base.config.contextLength,
        grm,
      ),
      reference: trainRef ? referenceSlice(trainRef, micro) : null,
      weight: micro.length / batchIdx.length, // the weighted micro-batch means add up to the batch mean
      kernels: cfg.kernels,
    }));
    const { loss: lossSum, grads: acc } = await (input.pool ?? defaultPool()).gradients(jobs, base.config, vars);
    optimizer.apply(acc);
    for (const g of Object.values(acc)) g.dispose();
    step++;
    batchInEpoch++;
    trainLoss.push({ epoch: epoch + 1, step, loss: lossSum });
    progress({ step, totalSteps, epoch: epoch + 1, loss: lossSum, phase: 'train' });
    if (batchInEpoch === perEpoch) {
      epoch++;
      batchInEpoch = 0;
      if (epoch % cfg.evalEveryEpochs === 0 || epoch === cfg.epochs) {
        progress({ step, totalSteps, epoch, loss: lossSum, phase: 'eval' });
        lastEval = await evaluateAll();
        curve.push(...record(lastEval, epoch, step));
      } else {
        lastEval = null;
      }
      await checkpoint();
    } else if (cfg.checkpointEverySteps > 0 && step % cfg.checkpointEverySteps === 0) {
      await checkpoint();
    }
    if (input.stopAfterSteps !== undefined && step >= input.stopAfterSteps && step < totalSteps) {
      await checkpoint();
      interrupted = true;
      break;
    }
  }

  if (reference) {
    const after = await fingerprint(reference.params);
    disposeParams(reference.params);
    if (after !== referenceFingerprint) throw new Error('the IM-RM reference model changed during training');
  }
  optimizer.dispose();
  const final = lastEval ?? (await evaluateAll());
  return { curve, trainLoss, final, state, interrupted, referenceFingerprint };
}
