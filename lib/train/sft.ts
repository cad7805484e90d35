/**
 * Supervised fine-tuning on (prompt, response) documents: next-token cross-entropy on the response tokens only,
 * each document in its own padded row. Random windows of a concatenated stream (train/lm.ts) rarely hold a whole
 * prompt together with its answer, so a task whose answer must be looked up in the prompt (the Hamiltonian
 * base's edge lookup) is learned from whole documents instead.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from '../model/transformer';
import { Rng, deriveSeed } from '../random';
import { AdamW } from './adamw';
import { gradsByName } from './checkpointing';
import type { LmTrainConfig } from './lm';
import { batchTensors, buildSequenceBatch } from '../rewards/sequences';
import { sequenceLogProbs } from '../rewards/reward-model';

export interface Document {
  prompt: number[];
  response: number[];
}

/** Mean negative log-likelihood per response token of `docs` (nats). */
export function responseTokenLoss(lm: LanguageModel, docs: Document[], padId: number, cfg: Pick<LmTrainConfig, 'kernels'>): tf.Scalar {
  const batch = buildSequenceBatch(docs, padId, lm.config.contextLength);
  const t = batchTensors(batch);
  const tokens = batch.responseLengths.reduce((a, b) => a + b, 0);
  return sequenceLogProbs(lm, t, 'sum', cfg.kernels).sum().div(-tokens) as tf.Scalar;
}

export interface DocumentTrainingOptions {
  /** Continue with this optimizer (its moments and step count), e.g. across curriculum stages or a resume. */
  optimizer?: AdamW;
  /** Steps already done: training runs steps stepsDone + 1 .. cfg.steps. */
  stepsDone?: number;
}

/**
 * Trains `vars` in place up to step cfg.steps on batches of cfg.batchSize documents drawn with replacement
 * (seqLen unused). The batch of step s depends only on (seed, s), so training in chunks (stepsDone) with a kept
 * optimizer gives the same steps as one call: what a resumable trainer needs.
 */
export function trainOnDocuments(
  cfg: LmTrainConfig,
  lm: LanguageModel,
  vars: Record<string, tf.Variable>,
  docs: Document[],
  padId: number,
  seed: number,
  onStep?: (step: number, loss: number) => void,
  opts: DocumentTrainingOptions = {},
): { losses: number[] } {
  if (docs.length === 0) throw new Error('trainOnDocuments: no documents');
  const optimizer = opts.optimizer ?? new AdamW(vars, cfg.optimizer);
  const losses: number[] = [];
  for (let step = (opts.stepsDone ?? 0) + 1; step <= cfg.steps; step++) {
    const rng = new Rng(deriveSeed(seed, 'sft-batch', step));
    const chosen = Array.from({ length: cfg.batchSize }, () => docs[rng.int(docs.length)]);
    const { loss, grads } = gradsByName(() => tf.tidy(() => responseTokenLoss(lm, chosen, padId, cfg)), vars);
    optimizer.apply(grads);
    Object.values(grads).forEach((g) => g.dispose());
    const value = loss.dataSync()[0];
    loss.dispose();
    losses.push(value);
    onStep?.(step, value);
  }
  if (!opts.optimizer) optimizer.dispose();
  return { losses };
}
