/**
 * Evaluation of a reward model over whole splits, in fixed-size batches in split order. The reference
 * log-probs of an IM-RM are computed with the same batching, so at step 0 (policy = reference) every IM-RM reward
 * is exactly 0 and accuracy exactly 1/2.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from '../model/transformer';
import type { KernelName } from '../model/kernels';
import { type EncodedPair, batchTensors, buildPairBatch } from '../rewards/sequences';
import { type RewardModelSpec, type RewardModelState, sequenceLogProbs, sequenceRewards } from '../rewards/reward-model';
import { type PreferenceMetrics, preferenceMetricsAsync } from '../rewards/metrics';

export interface EvalOptions {
  batchSize: number;
  padId: number;
  kernels?: KernelName;
}

/** Per-pair values of a split, in split order. */
export interface PairValues {
  chosen: Float32Array;
  rejected: Float32Array;
}

export interface PairScore {
  id: string;
  chosen: number;
  rejected: number;
  lenChosen: number;
  lenRejected: number;
  /** 1 if r+ > r-, 0.5 on a tie, 0 otherwise */
  correct: number;
}

export interface SplitEvaluation {
  metrics: PreferenceMetrics;
  scores: PairScore[];
}

/** Runs `perBatch` on consecutive pair batches and gathers its (2P) outputs into chosen/rejected arrays. */
async function mapPairs(
  pairs: EncodedPair[],
  opts: EvalOptions,
  contextLength: number,
  perBatch: (batch: ReturnType<typeof buildPairBatch>, from: number) => tf.Tensor1D,
): Promise<PairValues> {
  const chosen = new Float32Array(pairs.length);
  const rejected = new Float32Array(pairs.length);
  for (let from = 0; from < pairs.length; from += opts.batchSize) {
    const chunk = pairs.slice(from, from + opts.batchSize);
    const batch = buildPairBatch(chunk, opts.padId, contextLength);
    const out = tf.tidy(() => perBatch(batch, from));
    const values = (await out.data()) as Float32Array; // read outside tidy: much faster on wasm
    out.dispose();
    chosen.set(values.subarray(0, chunk.length), from);
    rejected.set(values.subarray(chunk.length), from);
  }
  return { chosen, rejected };
}

/** Response log-probs of every chosen and rejected response under `lm` (used once for the frozen reference). */
export function pairLogProbs(lm: LanguageModel, pairs: EncodedPair[], aggregate: 'sum' | 'mean', opts: EvalOptions): Promise<PairValues> {
  return mapPairs(pairs, opts, lm.config.contextLength, (batch) => sequenceLogProbs(lm, batchTensors(batch), aggregate, opts.kernels));
}

/** Reference log-probs of pairs [from, from + n) laid out as a pair batch: chosen then rejected. */
/** The reference values of the pairs at `indices`: chosen ones, then rejected ones (the pair-batch row order). */
export function referenceSlice(ref: PairValues, indices: number[]): Float32Array {
  const out = new Float32Array(indices.length * 2);
  indices.forEach((i, k) => {
    out[k] = ref.chosen[i];
    out[indices.length + k] = ref.rejected[i];
  });
  return out;
}

export function rewardsOnPairs(
  spec: RewardModelSpec,
  state: RewardModelState,
  pairs: EncodedPair[],
  reference: PairValues | null,
  opts: EvalOptions,
): Promise<PairValues> {
  return mapPairs(pairs, opts, state.lm.config.contextLength, (batch, from) => {
    const idx = Array.from({ length: batch.B / 2 }, (_, k) => from + k);
    const ref = reference ? tf.tensor1d(referenceSlice(reference, idx)) : null;
    return sequenceRewards(spec, state, batch, batchTensors(batch), ref, opts.kernels);
  });
}

export async function evaluateSplit(
  spec: RewardModelSpec,
  state: RewardModelState,
  pairs: EncodedPair[],
  reference: PairValues | null,
  opts: EvalOptions,
): Promise<SplitEvaluation> {
  const r = await rewardsOnPairs(spec, state, pairs, reference, opts);
  const scores = pairs.map((p, i) => ({
    id: p.id,
    chosen: r.chosen[i],
    rejected: r.rejected[i],
    lenChosen: p.chosen.length,
    lenRejected: p.rejected.length,
    correct: r.chosen[i] > r.rejected[i] ? 1 : r.chosen[i] === r.rejected[i] ? 0.5 : 0,
  }));
  return { metrics: await preferenceMetricsAsync(r.chosen, r.rejected), scores };
}
