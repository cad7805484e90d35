/**
 * Analyses of the token-cue experiment that read a model or the per-example scores:
 *   - footnote 3 of the paper: the max-margin separator of the base model's training differences
 *     h(x, y+) - h(x, y-) (hidden state at the last token) and how it scores the paraphrased differences;
 *   - accuracy per (yes-word, no-word) combination and the mean reward of each evaluation answer word,
 *     from the per-example scores a trained reward model wrote;
 *   - the Eq. 5 decomposition of a paraphrased response's reward change under the trained IM-RM.
 */
import type { LanguageModel } from '../model/transformer';
import type { EncodedPair } from '../rewards/sequences';
import { lastHiddenStates } from '../rewards/hidden-states';
import { preferenceMetrics } from '../rewards/metrics';
import { hardMarginSvm, separatorStats, NotSeparableError } from '../theory/svm';
import type { PairScore } from '../train/evaluate';
import { cueIdParts } from '../data/token-cues';
import { readJsonl } from '../data/formats';
import { type PairContribution, explainImplicitChange, implicitContributions, sequenceFeatures } from '../theory/dynamics';

// The last-token hidden states moved to lib/rewards/hidden-states.ts (theory uses them too); re-exported here.
export { lastHiddenStates } from '../rewards/hidden-states';

async function differences(lm: LanguageModel, pairs: EncodedPair[], padId: number): Promise<number[][]> {
  const chosen = await lastHiddenStates(
    lm,
    pairs.map((p) => ({ prompt: p.prompt, response: p.chosen })),
    padId,
  );
  const rejected = await lastHiddenStates(
    lm,
    pairs.map((p) => ({ prompt: p.prompt, response: p.rejected })),
    padId,
  );
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
export async function separatorAnalysis(lm: LanguageModel, train: EncodedPair[], paraphrased: EncodedPair[], padId: number): Promise<SeparatorAnalysis> {
  const z = await differences(lm, train, padId);
  let w: number[];
  let separable = true;
  try {
    w = hardMarginSvm(z).w;
  } catch (e) {
    if (!(e instanceof NotSeparableError)) throw e;
    separable = false;
    w = z[0].map((_, j) => z.reduce((s, d) => s + d[j], 0) / z.length); // mean difference as a fallback direction
  }
  const s = separatorStats(w, await differences(lm, paraphrased, padId));
  return {
    separable,
    predictedAccuracy: s.inner.fractionPositive,
    cosineMean: s.cosine.mean,
    cosineMin: s.cosine.min,
    cosineMedian: s.cosine.median,
    cosineMax: s.cosine.max,
    innerMean: s.inner.mean,
    innerQ1: s.inner.q1,
    innerQ3: s.inner.q3,
  };
}

export function readScores(file: string): PairScore[] {
  return readJsonl<PairScore>(file);
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
  for (const [key, g] of groups)
    combos[key] = preferenceMetrics(
      g.map((s) => s.chosen),
      g.map((s) => s.rejected),
    ).accuracy;
  const wordReward: Record<string, number> = {};
  for (const [w, r] of words) wordReward[w] = r.reduce((a, b) => a + b, 0) / r.length;
  return { combos, wordReward };
}

export interface DecompositionTerm {
  /** Token of the evaluated response (position k) and of the training response (position l). */
  evalToken: string;
  k: number;
  trainToken: string;
  l: number;
  against: 'chosen' | 'rejected';
  /** Summed over all training pairs whose responses hold these tokens at these positions. */
  contribution: number;
}

export interface ResponseDecomposition {
  response: string;
  /** Eq. 5 prediction of the change of its reward after one more full-batch step (lr 1). */
  total: number;
  tokenMatch: number;
  tokenMismatch: number;
  /** Per position k of the evaluated response: its token and the summed contribution. */
  perToken: Array<{ k: number; token: string; contribution: number }>;
  top: DecompositionTerm[];
}

/**
 * Eq. 5 for a trained IM-RM: how one more gradient step (lr 1) on every training pair would move the reward of
 * `target` (an evaluation response), split into position pairs (k of the target, l of a training response).
 * g = sigmoid(r- - r+) of each training pair under the trained model against the reference. Terms with the same
 * (k, token, l, token, side) are summed over training pairs.
 */
export function paraphraseDecomposition(
  trained: LanguageModel,
  reference: LanguageModel,
  train: EncodedPair[],
  target: { prompt: number[]; response: number[]; text: string },
  beta: number,
  padId: number,
  decode: (id: number) => string,
  topN = 10,
): ResponseDecomposition {
  const features = (lm: LanguageModel, seqs: Array<{ id: string; prompt: number[]; response: number[] }>) => {
    const out: ReturnType<typeof sequenceFeatures> = [];
    for (let i = 0; i < seqs.length; i += 8) out.push(...sequenceFeatures(lm, seqs.slice(i, i + 8), padId));
    return out;
  };
  const logProb = (f: ReturnType<typeof sequenceFeatures>[number]) => f.response.reduce((s, tok, k) => s + Math.log(f.probs[k][tok]), 0);
  const seqs = train.flatMap((p) => [
    { id: `${p.id}+`, prompt: p.prompt, response: p.chosen },
    { id: `${p.id}-`, prompt: p.prompt, response: p.rejected },
  ]);
  const fTrained = features(trained, seqs);
  const fRef = features(reference, seqs);
  const [b] = features(trained, [{ id: 'target', prompt: target.prompt, response: target.response }]);
  const merged = new Map<string, DecompositionTerm>();
  const all: PairContribution[] = [];
  train.forEach((_, i) => {
    const [plus, minus] = [fTrained[2 * i], fTrained[2 * i + 1]];
    const r = (j: number) => beta * (logProb(fTrained[j]) - logProb(fRef[j]));
    const g = 1 / (1 + Math.exp(r(2 * i) - r(2 * i + 1)));
    for (const c of implicitContributions(1, g, beta, b, plus, minus)) {
      all.push(c);
      const v = c.against === 'chosen' ? plus : minus;
      const key = `${c.k}|${c.l}|${c.against}|${v.response[c.l]}`;
      const term = merged.get(key) ?? {
        evalToken: decode(b.response[c.k]),
        k: c.k,
        trainToken: decode(v.response[c.l]),
        l: c.l,
        against: c.against,
        contribution: 0,
      };
      term.contribution += c.contribution;
      merged.set(key, term);
    }
  });
  const e = explainImplicitChange(all, 0);
  return {
    response: target.text,
    total: e.total,
    tokenMatch: e.tokenMatch,
    tokenMismatch: e.tokenMismatch,
    perToken: b.response.map((tok, k) => ({ k, token: decode(tok), contribution: all.filter((c) => c.k === k).reduce((s, c) => s + c.contribution, 0) })),
    top: [...merged.values()].sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution)).slice(0, topN),
  };
}
