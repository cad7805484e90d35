/**
 * Supervised fine-tuning on (prompt, response) documents: next-token cross-entropy on the response tokens only,
 * each document in its own padded row. Random windows of a concatenated stream (train/lm.ts) rarely hold a whole
 * prompt together with its answer, so a task whose answer must be looked up in the prompt (the Hamiltonian
 * base's edge lookup) is learned from whole documents instead.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from '../model/transformer';
import { Rng, deriveSeed } from '../random';
import { AdamW } from './adamw';
import type { LmTrainConfig } from './lm';
import { type GradientPool, defaultPool } from './data-parallel';
import { chunks, jobLoss } from './gradient-jobs';
import { buildSequenceBatch } from '../rewards/sequences';
import { checkMemory } from './memory-plan';

export interface Document {
  prompt: number[];
  response: number[];
}

/** Mean negative log-likelihood per response token of `docs` (nats). */
export function responseTokenLoss(lm: LanguageModel, docs: Document[], padId: number, cfg: Pick<LmTrainConfig, 'kernels'>): tf.Scalar {
  const batch = buildSequenceBatch(docs, padId, lm.config.contextLength);
  const stepTokens = batch.responseLengths.reduce((a, b) => a + b, 0);
  return jobLoss({ kind: 'documents', batch, stepTokens, kernels: cfg.kernels }, { lm, head: null });
}

export interface DocumentTrainingOptions {
  /** Continue with this optimizer (its moments and step count), e.g. across curriculum stages or a resume. */
  optimizer?: AdamW;
  /** Steps already done: training runs steps stepsDone + 1 .. cfg.steps. */
  stepsDone?: number;
  /** Data-parallel workers (default: the process's pool). */
  pool?: GradientPool;
}

/**
 * Trains `vars` in place up to step cfg.steps on batches of cfg.batchSize documents drawn with replacement
 * (seqLen unused). The batch of step s depends only on (seed, s), so training in chunks (stepsDone) with a kept
 * optimizer gives the same steps as one call: what a resumable trainer needs.
 */
export async function trainOnDocuments(
  cfg: LmTrainConfig,
  lm: LanguageModel,
  vars: Record<string, tf.Variable>,
  docs: Document[],
  padId: number,
  seed: number,
  /** Awaited before the next step, so it may read the model (e.g. generate) while nothing trains. */
  onStep?: (step: number, loss: number) => void | Promise<void>,
  opts: DocumentTrainingOptions = {},
): Promise<{ losses: number[] }> {
  if (docs.length === 0) throw new Error('trainOnDocuments: no documents');
  const longest = Math.max(...docs.map((d) => d.prompt.length + d.response.length));
  const rows = Math.min(cfg.microBatchSize ?? cfg.batchSize, cfg.batchSize);
  checkMemory({ config: lm.config, rows, tokens: Math.min(longest, lm.config.contextLength) }, 'the micro-batch size (microBatchSize)');
  const optimizer = opts.optimizer ?? new AdamW(vars, cfg.optimizer);
  const losses: number[] = [];
  for (let step = (opts.stepsDone ?? 0) + 1; step <= cfg.steps; step++) {
    const rng = new Rng(deriveSeed(seed, 'sft-batch', step));
    const chosen = Array.from({ length: cfg.batchSize }, () => docs[rng.int(docs.length)]);
    // Every micro-batch divides by the step's response tokens, so the passes add up to the per-token mean.
    const stepTokens = chosen.reduce((n, d) => n + d.response.length, 0);
    const jobs = chunks(chosen, cfg.microBatchSize ?? chosen.length).map((part) => ({
      kind: 'documents' as const,
      batch: buildSequenceBatch(part, padId, lm.config.contextLength),
      stepTokens,
      kernels: cfg.kernels,
    }));
    const { loss: value, grads } = await (opts.pool ?? defaultPool()).gradients(jobs, lm.config, vars);
    optimizer.apply(grads);
    for (const g of Object.values(grads)) g.dispose();
    losses.push(value);
    await onStep?.(step, value);
  }
  if (!opts.optimizer) optimizer.dispose();
  return { losses };
}
