/**
 * Reward-model variants and the one function that turns a batch of sequences into rewards. Training, evaluation,
 * notebooks and tests all call `sequenceRewards`.
 *   ex       <u, h> at the last response token (the paper's EX-RM)
 *   ex-mean  <u, h> averaged over response positions (ablation)
 *   im       beta * sum_k (log pi_theta - log pi_ref) over response tokens (the paper's IM-RM, DPO reward)
 *   im-noref beta * sum_k log pi_theta (ablation: no reference model)
 *   im-mean  beta * mean_k (log pi_theta - log pi_ref) (length-normalised; not in the paper)
 *   ex-grm   P(" Yes" | "Question: x / Answer: y / Verification: ...") (the paper's generative verifier, appendix A;
 *            trained with cross-entropy on Yes for chosen, No for rejected; pairs built by data/verifier.ts)
 */
import * as tf from '@tensorflow/tfjs';
import { type LanguageModel, forward } from '../model/transformer';
import type { KernelName } from '../model/kernels';
import type { BatchTensors, SequenceBatch } from './sequences';
import { responseLogProbs, tokenLogProbs } from './logprobs';
import { implicitReward } from './implicit';
import { type Pooling, explicitReward, poolingWeights } from './explicit';

export interface RewardModelSpec {
  kind: 'ex' | 'im' | 'grm';
  /** IM-RM: the KL coefficient beta (0.01 in every experiment of the paper). */
  beta: number;
  /** IM-RM: subtract the frozen reference model's log-probs. */
  useReference: boolean;
  /** IM-RM: sum (the paper) or mean of token log-ratios. */
  aggregate: 'sum' | 'mean';
  /** EX-RM: hidden state of the last response token (the paper) or the mean over response positions. */
  pooling: Pooling;
}

const IM: RewardModelSpec = { kind: 'im', beta: 0.01, useReference: true, aggregate: 'sum', pooling: 'last' };
const EX: RewardModelSpec = { kind: 'ex', beta: 0.01, useReference: false, aggregate: 'sum', pooling: 'last' };

export const REWARD_MODELS: Record<string, RewardModelSpec> = {
  ex: EX,
  'ex-mean': { ...EX, pooling: 'mean' },
  im: IM,
  'im-noref': { ...IM, useReference: false },
  'im-mean': { ...IM, aggregate: 'mean' },
  'ex-grm': { kind: 'grm', beta: 0.01, useReference: false, aggregate: 'sum', pooling: 'last' },
};

export function rewardModelSpec(name: string, where = 'rewardModels'): RewardModelSpec {
  const spec = REWARD_MODELS[name];
  if (!spec) throw new Error(`${where}: unknown reward model '${name}' (known: ${Object.keys(REWARD_MODELS).join(', ')})`);
  return spec;
}

/** A trainable reward model: a language model, plus the head for EX-RMs. */
export interface RewardModelState {
  lm: LanguageModel;
  head: tf.Tensor2D | null;
}

/** log pi(y|x) of every sequence of the batch, aggregated over its response tokens. (B) */
export function sequenceLogProbs(lm: LanguageModel, t: BatchTensors, aggregate: 'sum' | 'mean', kernels?: KernelName): tf.Tensor1D {
  const { logits } = forward(lm, t.ids, { kernels });
  return responseLogProbs(tokenLogProbs(logits as tf.Tensor3D, t.ids, kernels), t.responseMask, aggregate);
}

/**
 * Rewards (B) of every sequence in the batch. IM-RMs with a reference need `referenceLogProbs` (B), computed once
 * with `sequenceLogProbs` on the frozen initial model.
 */
export function sequenceRewards(
  spec: RewardModelSpec,
  state: RewardModelState,
  batch: SequenceBatch,
  t: BatchTensors,
  referenceLogProbs: tf.Tensor1D | null,
  kernels?: KernelName,
): tf.Tensor1D {
  if (spec.kind === 'ex') {
    if (!state.head) throw new Error('EX-RM needs a head');
    const { hidden } = forward(state.lm, t.ids, { kernels, logits: false });
    const weights = tf.tensor2d(poolingWeights(batch, spec.pooling), [batch.B, batch.T]);
    return explicitReward(hidden, state.head, weights);
  }
  if (spec.kind === 'grm') return sequenceLogProbs(state.lm, t, 'sum', kernels).exp() as tf.Tensor1D; // P(Yes | prompt with y)
  if (spec.useReference && !referenceLogProbs) throw new Error('IM-RM with a reference needs the reference log-probs');
  const policy = sequenceLogProbs(state.lm, t, spec.aggregate, kernels);
  return implicitReward(policy, spec.useReference ? referenceLogProbs : null, spec.beta);
}
