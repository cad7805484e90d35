/**
 * Learning dynamics of section 4: how one gradient step on a training triple (x, y+, y-) moves the reward of
 * OTHER responses (xb, yb). Predictions under Assumption 1 (hidden states fixed; EX-RM trains its head u, IM-RM
 * trains the unembedding U), with g = sigmoid(r(x,y-) - r(x,y+)) and learning rate eta:
 *   Eq. 4 (EX-RM, exact):  dr_b = eta g <h_b, h+ - h->                      (h: hidden state at the last token)
 *   Eq. 5 (IM-RM, first order):
 *     dr_b = eta g beta^2 sum_k [ sum_l rho_kl(y+) <hb_k, h+_l> - sum_l rho_kl(y-) <hb_k, h-_l> ]
 *     rho_kl(v) = <e_{yb_k} - pi(.|xb, yb<k), e_{v_l} - pi(.|x, v<l)>
 *   Constant: r = beta * sum_k log pi, so grad_U r = beta sum_k (e_{y_k} - pi_k) h_k^T; the step moves U by
 *   eta g (grad r+ - grad r-), and the change of r_b to first order is <grad_U r_b, dU> = eta g beta^2 (...):
 *   beta squared, one beta from each reward's gradient.
 * The "real step" functions take an actual plain gradient-descent step with the library's reward functions and
 * report the actual changes, to compare with the predictions.
 */
import * as tf from '@tensorflow/tfjs';
import { type LanguageModel, forward } from '../model/transformer';
import { cloneParams, disposeParams } from '../model/params';
import { type SequenceBatch, batchTensors, buildSequenceBatch } from '../rewards/sequences';
import { explicitReward, poolingWeights } from '../rewards/explicit';
import { responseLogProbs, tokenLogProbs } from '../rewards/logprobs';
import { implicitReward } from '../rewards/implicit';
import { bradleyTerryLoss } from '../rewards/loss';
import { REWARD_MODELS, sequenceLogProbs, sequenceRewards } from '../rewards/reward-model';
import { gradsByName } from '../train/checkpointing';
import { dot } from './svm';

export interface Seq {
  id: string;
  prompt: number[];
  response: number[];
}

export interface Triple {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

export interface SequenceFeatures {
  id: string;
  response: number[];
  /** (K, D): the hidden state that predicts response token k (position |prompt| + k - 1). */
  predicting: number[][];
  /** (D): hidden state at the last response token: the EX-RM's input. */
  last: number[];
  /** (K, V): pi(. | x, y<k) under the model's unembedding. */
  probs: number[][];
}

/** (D, V): the model's unembedding (the transposed token embedding when tied). */
export function unembedding(lm: LanguageModel): tf.Tensor2D {
  return (lm.config.tiedEmbeddings ? lm.params.tok_embed.transpose() : lm.params.lm_head) as tf.Tensor2D;
}

const tripleSeqs = (t: Triple): Seq[] => [
  { id: 'chosen', prompt: t.prompt, response: t.chosen },
  { id: 'rejected', prompt: t.prompt, response: t.rejected },
];

export function sequenceFeatures(lm: LanguageModel, seqs: Seq[], padId: number): SequenceFeatures[] {
  const batch = buildSequenceBatch(seqs, padId, lm.config.contextLength);
  const [hidden, probs] = tf.tidy(() => {
    const out = forward(lm, batchTensors(batch).ids);
    return [out.hidden, tf.softmax(out.logits as tf.Tensor3D)];
  });
  const H = hidden.arraySync() as number[][][];
  const P = probs.arraySync() as number[][][];
  hidden.dispose();
  probs.dispose();
  return seqs.map((s, b) => {
    const start = s.prompt.length;
    const positions = s.response.map((_, k) => start + k - 1);
    return { id: s.id, response: s.response, predicting: positions.map((p) => H[b][p]), last: H[b][batch.lastIndex[b]], probs: positions.map((p) => P[b][p]) };
  });
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Eq. 4. */
export function explicitPrediction(eta: number, g: number, b: SequenceFeatures, plus: SequenceFeatures, minus: SequenceFeatures): number {
  return eta * g * (dot(b.last, plus.last) - dot(b.last, minus.last));
}

/** rho_kl(v) for every response position k of b and l of v: (Kb, Kv). Each entry lies in [-2, 2]. */
export function rhoMatrix(b: SequenceFeatures, v: SequenceFeatures): number[][] {
  return b.response.map((tb, k) => v.response.map((tv, l) => (tb === tv ? 1 : 0) - v.probs[l][tb] - b.probs[k][tv] + dot(b.probs[k], v.probs[l])));
}

export interface PairContribution {
  /** Position in b's response, and in the training response it is paired with. */
  k: number;
  l: number;
  against: 'chosen' | 'rejected';
  /** Same token at both positions. */
  match: boolean;
  rho: number;
  inner: number;
  /** This pair's term of the Eq. 5 prediction (sign included: rejected terms enter with a minus). */
  contribution: number;
}

/** Every term of the Eq. 5 prediction for response b. Their sum is implicitPrediction. */
export function implicitContributions(
  eta: number,
  g: number,
  beta: number,
  b: SequenceFeatures,
  plus: SequenceFeatures,
  minus: SequenceFeatures,
): PairContribution[] {
  const out: PairContribution[] = [];
  const scale = eta * g * beta * beta;
  for (const [v, against, sign] of [
    [plus, 'chosen', 1],
    [minus, 'rejected', -1],
  ] as const) {
    const rho = rhoMatrix(b, v);
    b.response.forEach((tb, k) =>
      v.response.forEach((tv, l) => {
        const inner = dot(b.predicting[k], v.predicting[l]);
        out.push({ k, l, against, match: tb === tv, rho: rho[k][l], inner, contribution: sign * scale * rho[k][l] * inner });
      }),
    );
  }
  return out;
}

/** Eq. 5. */
export function implicitPrediction(eta: number, g: number, beta: number, b: SequenceFeatures, plus: SequenceFeatures, minus: SequenceFeatures): number {
  return implicitContributions(eta, g, beta, b, plus, minus).reduce((a, c) => a + c.contribution, 0);
}

export interface Explanation {
  total: number;
  /** Sum of the terms where the two positions hold the same token, and where they hold different tokens. */
  tokenMatch: number;
  tokenMismatch: number;
  /** The terms with the largest absolute contribution, largest first. */
  top: PairContribution[];
}

/** "Why did this response's IM-RM reward go down?": the position pairs behind the Eq. 5 prediction. */
export function explainImplicitChange(contributions: PairContribution[], topN = 8): Explanation {
  const sum = (cs: PairContribution[]) => cs.reduce((a, c) => a + c.contribution, 0);
  return {
    total: sum(contributions),
    tokenMatch: sum(contributions.filter((c) => c.match)),
    tokenMismatch: sum(contributions.filter((c) => !c.match)),
    top: contributions
      .slice()
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
      .slice(0, topN),
  };
}

export interface StepOutcome {
  /** sigmoid(r- - r+) on the training triple before the step. */
  g: number;
  before: number[];
  after: number[];
  change: number[];
}

function outcome(g: number, before: ArrayLike<number>, after: ArrayLike<number>): StepOutcome {
  const b = Array.from(before),
    a = Array.from(after);
  return { g, before: b, after: a, change: a.map((v, i) => v - b[i]) };
}

/** Hidden states of a batch, as a constant (Assumption 1). */
function fixedHidden(lm: LanguageModel, batch: SequenceBatch): tf.Tensor3D {
  return tf.tidy(() => forward(lm, batchTensors(batch).ids, { logits: false }).hidden);
}

/** One plain gradient-descent step of the EX-RM head u (D) with hidden states fixed; actual reward changes. */
export function fixedExplicitStep(lm: LanguageModel, head: number[], triple: Triple, evalSeqs: Seq[], eta: number, padId: number): StepOutcome {
  const ctx = lm.config.contextLength;
  const tb = buildSequenceBatch(tripleSeqs(triple), padId, ctx),
    eb = buildSequenceBatch(evalSeqs, padId, ctx);
  const Ht = fixedHidden(lm, tb),
    He = fixedHidden(lm, eb);
  const wt = tf.tensor2d(poolingWeights(tb, 'last'), [tb.B, tb.T]),
    we = tf.tensor2d(poolingWeights(eb, 'last'), [eb.B, eb.T]);
  const u0 = tf.tensor2d(head, [head.length, 1]);
  const rewards = (u: tf.Tensor2D, H: tf.Tensor3D, w: tf.Tensor2D) => explicitReward(H, u, w);
  const loss = (u: tf.Tensor2D) => {
    const r = rewards(u, Ht, wt);
    return bradleyTerryLoss(r.slice(0, 1), r.slice(1, 1));
  };
  const [g, before, after] = tf.tidy(() => {
    const r = rewards(u0, Ht, wt).dataSync();
    const grad = tf.grad((u) => loss(u as tf.Tensor2D))(u0);
    const u1 = u0.sub(grad.mul(eta)) as tf.Tensor2D;
    return [sigmoid(r[1] - r[0]), rewards(u0, He, we).dataSync(), rewards(u1, He, we).dataSync()];
  }) as [number, Float32Array, Float32Array];
  [Ht, He, wt, we, u0].forEach((t) => t.dispose());
  return outcome(g, before, after);
}

/** One plain gradient-descent step of the unembedding U with hidden states fixed; actual IM-RM reward changes. */
export function fixedImplicitStep(lm: LanguageModel, triple: Triple, evalSeqs: Seq[], eta: number, beta: number, padId: number): StepOutcome {
  const ctx = lm.config.contextLength;
  const tb = buildSequenceBatch(tripleSeqs(triple), padId, ctx),
    eb = buildSequenceBatch(evalSeqs, padId, ctx);
  const Ht = fixedHidden(lm, tb),
    He = fixedHidden(lm, eb);
  const tt = batchTensors(tb),
    et = batchTensors(eb);
  const U0 = tf.tidy(() => unembedding(lm).clone());
  const logProbs = (U: tf.Tensor2D, H: tf.Tensor3D, t: typeof tt) => {
    const [B, T, D] = H.shape;
    const logits = tf.matMul(H.reshape([B * T, D]) as tf.Tensor2D, U).reshape([B, T, U.shape[1]]) as tf.Tensor3D;
    return responseLogProbs(tokenLogProbs(logits, t.ids), t.responseMask);
  };
  const [g, before, after] = tf.tidy(() => {
    const refT = logProbs(U0, Ht, tt),
      refE = logProbs(U0, He, et);
    const r0 = implicitReward(refT, refT, beta).dataSync(); // policy = reference before the step
    const grad = tf.grad((U) => {
      const r = implicitReward(logProbs(U as tf.Tensor2D, Ht, tt), refT, beta);
      return bradleyTerryLoss(r.slice(0, 1), r.slice(1, 1));
    })(U0);
    const U1 = U0.sub(grad.mul(eta)) as tf.Tensor2D;
    return [sigmoid(r0[1] - r0[0]), implicitReward(logProbs(U0, He, et), refE, beta).dataSync(), implicitReward(logProbs(U1, He, et), refE, beta).dataSync()];
  }) as [number, Float32Array, Float32Array];
  [Ht, He, tt.ids, tt.responseMask, et.ids, et.responseMask, U0].forEach((t) => t.dispose());
  return outcome(g, before, after);
}

/**
 * One plain gradient-descent step on ALL parameters (the EX-RM also trains its head), with the library's reward
 * functions: what actually happens when representations move too.
 */
export function fullFinetuneStep(
  kind: 'ex' | 'im',
  lm: LanguageModel,
  head: number[],
  triple: Triple,
  evalSeqs: Seq[],
  eta: number,
  beta: number,
  padId: number,
): StepOutcome {
  const spec = { ...REWARD_MODELS[kind], beta };
  const ctx = lm.config.contextLength;
  const tb = buildSequenceBatch(tripleSeqs(triple), padId, ctx),
    eb = buildSequenceBatch(evalSeqs, padId, ctx);
  const frozen = cloneParams(lm.params);
  const vars: Record<string, tf.Variable> = {};
  for (const [k, t] of Object.entries(frozen)) vars[k] = tf.variable(t, true);
  if (kind === 'ex') {
    const initial = tf.tensor2d(head, [head.length, 1]);
    vars.__head__ = tf.variable(initial, true);
    initial.dispose();
  }
  const state = {
    lm: { config: lm.config, params: Object.fromEntries(Object.entries(vars).filter(([k]) => k !== '__head__')) },
    head: (vars.__head__ ?? null) as tf.Tensor2D | null,
  };
  const reference = { config: lm.config, params: frozen };
  const rewards = (batch: SequenceBatch) =>
    tf.tidy(() => {
      const t = batchTensors(batch);
      const ref = kind === 'im' ? sequenceLogProbs(reference, t, 'sum') : null;
      return sequenceRewards(spec, state, batch, t, ref);
    });
  const read = (t: tf.Tensor) => {
    const v = t.dataSync();
    t.dispose();
    return v;
  };
  const r0 = read(rewards(tb));
  const before = read(rewards(eb));
  const { loss, grads } = gradsByName(() => {
    const r = rewards(tb);
    return bradleyTerryLoss(r.slice(0, 1), r.slice(1, 1));
  }, vars);
  loss.dispose();
  tf.tidy(() => {
    for (const [k, g] of Object.entries(grads)) vars[k].assign(vars[k].sub(g.mul(eta)));
  });
  Object.values(grads).forEach((g) => g.dispose());
  const after = read(rewards(eb));
  Object.values(vars).forEach((v) => v.dispose());
  disposeParams(frozen);
  return outcome(sigmoid(r0[1] - r0[0]), before, after);
}

/** Fraction of b's response tokens that occur anywhere in v's response. */
export function tokenOverlap(b: number[], v: number[]): number {
  const set = new Set(v);
  return b.filter((t) => set.has(t)).length / b.length;
}
