/**
 * Analyses of the token-cue experiment that read a model or the per-example scores:
 *   - footnote 3 of the paper: the max-margin separator of the base model's training differences
 *     h(x, y+) - h(x, y-) (hidden state at the last token) and how it scores the paraphrased differences;
 *   - accuracy per (yes-word, no-word) combination and the mean reward of each evaluation answer word,
 *     from the per-example scores a trained reward model wrote.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { LanguageModel, forward } from '../model/transformer';
import { EncodedPair, batchTensors, buildSequenceBatch } from '../rewards/sequences';
import { preferenceMetrics } from '../rewards/metrics';
import { hardMarginSvm, separatorStats, NotSeparableError } from '../theory/svm';
import { PairScore } from '../train/evaluate';
import { cueIdParts } from '../data/token-cues';

/** Hidden state after the final norm at the last token of prompt + response, for every sequence. */
export function lastHiddenStates(lm: LanguageModel, seqs: Array<{ prompt: number[]; response: number[] }>, padId: number, batchSize = 32): number[][] {
  const out: number[][] = [];
  for (let from = 0; from < seqs.length; from += batchSize) {
    const batch = buildSequenceBatch(seqs.slice(from, from + batchSize), padId, lm.config.contextLength);
    const h = tf.tidy(() => {
      const hidden = forward(lm, batchTensors(batch).ids, { logits: false }).hidden;
      const rows = batch.lastIndex.map((t, b) => b * batch.T + t);
      return tf.gather(hidden.reshape([batch.B * batch.T, lm.config.dModel]), rows);
    });
    out.push(...(h.arraySync() as number[][]));
    h.dispose();
  }
  return out;
}

function differences(lm: LanguageModel, pairs: EncodedPair[], padId: number): number[][] {
  const chosen = lastHiddenStates(lm, pairs.map((p) => ({ prompt: p.prompt, response: p.chosen })), padId);
  const rejected = lastHiddenStates(lm, pairs.map((p) => ({ prompt: p.prompt, response: p.rejected })), padId);
  return chosen.map((h, i) => h.map((v, j) => v - rejected[i][j]));
}

export interface SeparatorAnalysis {
  separable: boolean;
  /** Paraphrased pairs the separator ranks correctly: what an EX-RM with frozen features would get. */
  predictedAccuracy: number;
  cosineMean: number;
  cosineMin: number;
  cosineMedian: number;
  cosineMax: number;
  innerMean: number;
  innerQ1: number;
  innerQ3: number;
}

/** Footnote 3 on `lm` (the base, before training): separator of the training differences vs the paraphrases. */
export function separatorAnalysis(lm: LanguageModel, train: EncodedPair[], paraphrased: EncodedPair[], padId: number): SeparatorAnalysis {
  const z = differences(lm, train, padId);
  let w: number[];
  let separable = true;
  try {
    w = hardMarginSvm(z).w;
  } catch (e) {
    if (!(e instanceof NotSeparableError)) throw e;
    separable = false;
    w = z[0].map((_, j) => z.reduce((s, d) => s + d[j], 0) / z.length); // mean difference as a fallback direction
  }
  const s = separatorStats(w, differences(lm, paraphrased, padId));
  return {
    separable, predictedAccuracy: s.inner.fractionPositive,
    cosineMean: s.cosine.mean, cosineMin: s.cosine.min, cosineMedian: s.cosine.median, cosineMax: s.cosine.max,
    innerMean: s.inner.mean, innerQ1: s.inner.q1, innerQ3: s.inner.q3,
  };
}

export function readScores(file: string): PairScore[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Accuracy (ties 1/2) per (chosen word, rejected word), and the mean reward of each answer word. */
export function wordBreakdown(scores: PairScore[]): { combos: Record<string, number>; wordReward: Record<string, number> } {
  const groups = new Map<string, PairScore[]>();
  const words = new Map<string, number[]>();
  for (const s of scores) {
    const { chosenWord, rejectedWord } = cueIdParts(s.id);
    const key = `${chosenWord}|${rejectedWord}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
    words.set(chosenWord, [...(words.get(chosenWord) ?? []), s.chosen]);
    words.set(rejectedWord, [...(words.get(rejectedWord) ?? []), s.rejected]);
  }
  const combos: Record<string, number> = {};
  for (const [key, g] of groups) combos[key] = preferenceMetrics(g.map((s) => s.chosen), g.map((s) => s.rejected)).accuracy;
  const wordReward: Record<string, number> = {};
  for (const [w, r] of words) wordReward[w] = r.reduce((a, b) => a + b, 0) / r.length;
  return { combos, wordReward };
}
