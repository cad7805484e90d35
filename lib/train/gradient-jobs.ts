/**
 * One micro-batch's share of a training step, as plain data: what the step's loss is on these examples and with
 * which weight it enters the batch loss. The same job gives the same gradients in this process or in a worker
 * (lib/train/data-parallel.ts), because both compute it with `jobLoss`.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelName } from '../model/kernels';
import type { ModelConfig } from '../model/config';
import type { LanguageModel } from '../model/transformer';
import { type SequenceBatch, batchTensors } from '../rewards/sequences';
import { type RewardModelSpec, type RewardModelState, sequenceLogProbs, sequenceRewards } from '../rewards/reward-model';
import { bradleyTerryLoss, verifierLoss } from '../rewards/loss';
import { forward } from '../model/transformer';
import { tokenLogProbs } from '../rewards/logprobs';

/** Mean next-token loss (nats) of windows (B, L) int32: every position after the first is predicted. */
export function windowLoss(lm: LanguageModel, windows: tf.Tensor2D, kernels?: KernelName): tf.Scalar {
  const { logits } = forward(lm, windows, { kernels });
  const [B, L] = windows.shape;
  return tokenLogProbs(logits as tf.Tensor3D, windows, kernels)
    .sum()
    .div(-B * (L - 1)) as tf.Scalar;
}

/** The EX-RM head's variable name among the trainable variables (the rest are the language model's). */
export const HEAD_VARIABLE = '__head__';

export type GradientJob =
  /** Next-token loss of `rows` windows of `len` tokens (row-major ids), times `weight`. */
  | { kind: 'windows'; ids: Int32Array; rows: number; len: number; weight: number; kernels: KernelName }
  /** Response-token negative log-likelihood of the batch's documents, divided by the step's response tokens. */
  | { kind: 'documents'; batch: SequenceBatch; stepTokens: number; kernels: KernelName }
  /**
   * Bradley-Terry loss of the pairs (chosen rows first), or for an EX-GRM (spec.kind 'grm') the verifier loss,
   * times `weight`. `reference` holds the frozen reference's log-probs (chosen then rejected) for IM-RMs.
   */
  | { kind: 'pairs'; spec: RewardModelSpec; batch: SequenceBatch; reference: Float32Array | null; weight: number; kernels: KernelName };

/** The reward-model state whose parameters are `vars` (the head, if any, under HEAD_VARIABLE). */
export function stateOfVariables(config: ModelConfig, vars: Record<string, tf.Tensor>): RewardModelState {
  const { [HEAD_VARIABLE]: head, ...params } = vars;
  return { lm: { config, params } as LanguageModel, head: (head as tf.Tensor2D | undefined) ?? null };
}

/** The job's (weighted) loss; call inside tf.tidy / a gradient function. */
export function jobLoss(job: GradientJob, state: RewardModelState): tf.Scalar {
  if (job.kind === 'windows') {
    const windows = tf.tensor2d(job.ids, [job.rows, job.len], 'int32');
    return windowLoss(state.lm, windows, job.kernels).mul(job.weight);
  }
  if (job.kind === 'documents') {
    return sequenceLogProbs(state.lm, batchTensors(job.batch), 'sum', job.kernels).sum().div(-job.stepTokens) as tf.Scalar;
  }
  const t = batchTensors(job.batch);
  // EX-GRM: cross-entropy of " Yes" after the chosen and " No" after the rejected verification prompt.
  if (job.spec.kind === 'grm') return verifierLoss(sequenceLogProbs(state.lm, t, 'sum', job.kernels)).mul(job.weight) as tf.Scalar;
  const ref = job.reference ? tf.tensor1d(job.reference) : null;
  const r = sequenceRewards(job.spec, state, job.batch, t, ref, job.kernels);
  const P = job.batch.B / 2;
  return bradleyTerryLoss(r.slice(0, P), r.slice(P, P)).mul(job.weight) as tf.Scalar;
}

/** Consecutive chunks of `items` of at most `size` (the micro-batch partition of a step). */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
