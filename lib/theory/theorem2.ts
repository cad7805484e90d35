/**
 * Theorem 2 of the paper (single-token responses, fixed hidden states, gradient descent to convergence):
 *  - IM-RM trains the unembedding U. For a pair (x, y+, y-) the gradient of r(x,y+) - r(x,y-) with respect to row
 *    U_v is beta (1[v = y+] - 1[v = y-]) h_x: the softmax normaliser cancels, so rows of tokens that never appear
 *    as a training response never move, and two such tokens keep the reward difference they had at the start: 0.
 *    Accuracy on unseen-token pairs is exactly 1/2.
 *  - EX-RM trains u on h(x, y); on separable data gradient descent on the logistic loss converges in direction to
 *    the hard-margin SVM u* of the training differences, so it ranks an unseen pair correctly iff
 *    <u*, h(x, y+) - h(x, y-)> > 0.
 * The data: prompts x with hidden state h_x (the state that predicts the response token), and per (x, y) the
 * hidden state h(x, y) at the response token; constructed here, or read from a library model.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, deriveSeed } from '../random';
import { type LanguageModel, forward } from '../model/transformer';
import { buildSequenceBatch, batchTensors } from '../rewards/sequences';
import { implicitRewardFromLogits } from '../rewards/implicit';
import { bradleyTerryLoss } from '../rewards/loss';
import { preferenceMetrics } from '../rewards/metrics';
import { normalArray } from '../model/params';
import { unembedding } from './dynamics';
import { oneHotFloat } from '../model/kernels';
import { cosine, hardMarginSvm, separatorStats, type SvmResult } from './svm';

export interface SingleTokenPair {
  x: number;
  chosen: number;
  rejected: number;
}

export interface SingleTokenData {
  dim: number;
  vocabSize: number;
  /** (n_x, D): h_x, the hidden state that predicts the response token. */
  promptHidden: number[][];
  /** h(x, y) (D) for every (x, y) used: key `${x}:${y}`. */
  responseHidden: Map<string, number[]>;
  /** (D, V) initial unembedding. */
  unembedding: number[][];
  train: SingleTokenPair[];
  unseen: SingleTokenPair[];
  trainTokens: number[];
  unseenTokens: number[];
}

export interface ConstructedConfig {
  dim: number;
  prompts: number;
  /** Tokens per class: chosen/rejected x seen in training/unseen. */
  tokensPerClass: number;
  /** Separation of chosen and rejected tokens along a hidden "quality" direction, relative to unit noise. */
  margin: number;
}

export const DEFAULT_CONSTRUCTED: ConstructedConfig = { dim: 16, prompts: 12, tokensPerClass: 3, margin: 1.5 };

const key = (x: number, y: number) => `${x}:${y}`;

/**
 * Hidden states h(x, y) = a_x + t_y with token vectors t_y = +-margin * q + noise (q a fixed unit direction;
 * + for chosen tokens, - for rejected): training differences t_{y+} - t_{y-} are separable when the margin is large
 * enough, and unseen tokens follow the same direction, so u* ranks most of them correctly.
 */
export function constructedData(c: ConstructedConfig, seed: number): SingleTokenData {
  const rng = new Rng(deriveSeed(seed, 'theorem2-data'));
  const gauss = (n: number, s = 1) => Array.from({ length: n }, () => rng.normal() * s);
  const q = gauss(c.dim);
  const qn = Math.sqrt(q.reduce((a, v) => a + v * v, 0));
  const dir = q.map((v) => v / qn);
  const V = 4 * c.tokensPerClass;
  const tokens = Array.from({ length: V }, (_, i) => i);
  const [trainC, trainR, unseenC, unseenR] = [0, 1, 2, 3].map((g) => tokens.slice(g * c.tokensPerClass, (g + 1) * c.tokensPerClass));
  const tokenVec = new Map<number, number[]>();
  for (const t of tokens) {
    const sign = trainC.includes(t) || unseenC.includes(t) ? 1 : -1;
    tokenVec.set(
      t,
      gauss(c.dim).map((v, i) => v + sign * c.margin * dir[i]),
    );
  }
  // Prompt states share a common component, as a language model's do (a random zero-mean cloud would leave no
  // single unembedding direction that ranks a token pair the same way for every prompt).
  const common = gauss(c.dim);
  const promptHidden = Array.from({ length: c.prompts }, () => gauss(c.dim, 0.5).map((v, i) => v + common[i]));
  const responseHidden = new Map<string, number[]>();
  for (let x = 0; x < c.prompts; x++)
    for (const t of tokens)
      responseHidden.set(
        key(x, t),
        promptHidden[x].map((v, i) => v + (tokenVec.get(t) as number[])[i]),
      );
  const pairs = (cs: number[], rs: number[]) => promptHidden.flatMap((_, x) => cs.flatMap((a) => rs.map((b) => ({ x, chosen: a, rejected: b }))));
  const U = Array.from({ length: c.dim }, () => gauss(V, 1 / Math.sqrt(c.dim)));
  return {
    dim: c.dim,
    vocabSize: V,
    promptHidden,
    responseHidden,
    unembedding: U,
    train: pairs(trainC, trainR),
    unseen: pairs(unseenC, unseenR),
    trainTokens: [...trainC, ...trainR],
    unseenTokens: [...unseenC, ...unseenR],
  };
}

/**
 * Hidden states read from a library model: for each prompt (token ids) h_x is the last prompt position's state,
 * and h(x, y) the state at the response token y appended to the prompt.
 */
export function modelData(
  lm: LanguageModel,
  prompts: number[][],
  trainChosen: number[],
  trainRejected: number[],
  unseenChosen: number[],
  unseenRejected: number[],
  padId: number,
): SingleTokenData {
  const tokens = [...trainChosen, ...trainRejected, ...unseenChosen, ...unseenRejected];
  const seqs = prompts.flatMap((p) => tokens.map((t) => ({ prompt: p, response: [t] })));
  const batch = buildSequenceBatch(seqs, padId, lm.config.contextLength);
  const [hidden, U] = tf.tidy(() => [forward(lm, batchTensors(batch).ids, { logits: false }).hidden, unembedding(lm)]);
  const H = hidden.arraySync() as number[][][];
  const Ua = U.arraySync() as number[][];
  hidden.dispose();
  U.dispose();
  const promptHidden: number[][] = [];
  const responseHidden = new Map<string, number[]>();
  seqs.forEach((s, b) => {
    const x = Math.floor(b / tokens.length);
    if (b % tokens.length === 0) promptHidden.push(H[b][s.prompt.length - 1]);
    responseHidden.set(key(x, s.response[0]), H[b][s.prompt.length]);
  });
  const pairs = (cs: number[], rs: number[]) => prompts.flatMap((_, x) => cs.flatMap((a) => rs.map((b) => ({ x, chosen: a, rejected: b }))));
  return {
    dim: lm.config.dModel,
    vocabSize: lm.config.vocabSize,
    promptHidden,
    responseHidden,
    unembedding: Ua,
    train: pairs(trainChosen, trainRejected),
    unseen: pairs(unseenChosen, unseenRejected),
    trainTokens: [...trainChosen, ...trainRejected],
    unseenTokens: [...unseenChosen, ...unseenRejected],
  };
}

export interface TrainConfig {
  steps: number;
  lr: number;
  beta: number;
  /** Record the curves at these many log-spaced steps. */
  checkpoints: number;
}

export interface CurvePoint {
  step: number;
  trainAccuracy: number;
  unseenAccuracy: number;
  unseenTieRate: number;
  /** EX-RM only: cosine between u_t and the SVM separator u*. */
  cosToSvm?: number;
}

export interface Theorem2Result {
  im: { curve: CurvePoint[]; unseenRowsUnchanged: boolean; finalUnseenAccuracy: number; finalTrainAccuracy: number };
  ex: { curve: CurvePoint[]; finalUnseenAccuracy: number; finalTrainAccuracy: number; finalCos: number; svmUnseenAccuracy: number };
  svm: SvmResult;
  separator: ReturnType<typeof separatorStats>;
}

export function logSpacedSteps(total: number, count: number): number[] {
  const out = new Set<number>([0, total]);
  for (let i = 0; i < count; i++) out.add(Math.round(Math.exp((Math.log(total) * i) / Math.max(1, count - 1))));
  return [...out].filter((s) => s <= total).sort((a, b) => a - b);
}

function differences(d: SingleTokenData, pairs: SingleTokenPair[]): number[][] {
  return pairs.map((p) => {
    const a = d.responseHidden.get(key(p.x, p.chosen)) as number[],
      b = d.responseHidden.get(key(p.x, p.rejected)) as number[];
    return a.map((v, i) => v - b[i]);
  });
}

/** IM-RM on fixed h_x: full-batch gradient descent on U; rewards from logits (exact ties for unmoved tokens). */
export function trainImplicit(d: SingleTokenData, cfg: TrainConfig): Theorem2Result['im'] {
  const at = new Set(logSpacedSteps(cfg.steps, cfg.checkpoints));
  const H = tf.tensor2d(d.promptHidden);
  const U0 = tf.tensor2d(d.unembedding);
  const U = tf.variable(U0.clone());
  const rowsOf = (pairs: SingleTokenPair[]) =>
    oneHotFloat(
      tf.tensor1d(
        pairs.map((p) => p.x),
        'int32',
      ),
      d.promptHidden.length,
    );
  const sets = [d.train, d.unseen].map((pairs) => ({
    pairs,
    select: rowsOf(pairs),
    chosen: tf.tensor1d(
      pairs.map((p) => p.chosen),
      'int32',
    ),
    rejected: tf.tensor1d(
      pairs.map((p) => p.rejected),
      'int32',
    ),
  }));
  const z0 = tf.matMul(H, U0);
  const rewards = (s: (typeof sets)[number], Ut: tf.Tensor2D) => {
    const z = tf.matMul(s.select, tf.matMul(H, Ut)) as tf.Tensor2D; // (P, V): the logits of each pair's prompt
    const zr = tf.matMul(s.select, z0) as tf.Tensor2D;
    return [implicitRewardFromLogits(z, zr, s.chosen, cfg.beta), implicitRewardFromLogits(z, zr, s.rejected, cfg.beta)];
  };
  const curve: CurvePoint[] = [];
  const measure = (step: number) => {
    const [train, unseen] = sets.map((s) => tf.tidy(() => rewards(s, U).map((r) => r.dataSync())));
    const mt = preferenceMetrics(train[0], train[1]),
      mu = preferenceMetrics(unseen[0], unseen[1]);
    curve.push({ step, trainAccuracy: mt.accuracy, unseenAccuracy: mu.accuracy, unseenTieRate: mu.tieRate });
  };
  for (let step = 0; step <= cfg.steps; step++) {
    if (at.has(step)) measure(step);
    if (step === cfg.steps) break;
    tf.tidy(() => {
      const grad = tf.grad((Ut) => {
        const [rc, rr] = rewards(sets[0], Ut as tf.Tensor2D);
        return bradleyTerryLoss(rc, rr);
      })(U);
      U.assign(U.sub(grad.mul(cfg.lr)));
    });
  }
  const after = U.arraySync(),
    before = U0.arraySync(); // compare float32 with float32
  const unseenRowsUnchanged = d.unseenTokens.every((t) => before.every((row, i) => row[t] === after[i][t]));
  [H, U0, U, z0, ...sets.flatMap((s) => [s.select, s.chosen, s.rejected])].forEach((t) => t.dispose());
  const last = curve[curve.length - 1];
  return { curve, unseenRowsUnchanged, finalUnseenAccuracy: last.unseenAccuracy, finalTrainAccuracy: last.trainAccuracy };
}

/** EX-RM on fixed h(x, y): full-batch gradient descent on u from N(0, 1/(D+1)); cosine to u* over training. */
export function trainExplicit(d: SingleTokenData, cfg: TrainConfig, svm: SvmResult, seed: number): Theorem2Result['ex'] {
  const at = new Set(logSpacedSteps(cfg.steps, cfg.checkpoints));
  const sets = [d.train, d.unseen].map((pairs) => ({
    c: tf.tensor2d(pairs.map((p) => d.responseHidden.get(key(p.x, p.chosen)) as number[])),
    r: tf.tensor2d(pairs.map((p) => d.responseHidden.get(key(p.x, p.rejected)) as number[])),
  }));
  const u = tf.variable(tf.tensor2d(Array.from(normalArray(d.dim, Math.sqrt(1 / (d.dim + 1)), deriveSeed(seed, 'theorem2-head'))), [d.dim, 1]));
  // <u, h> for a (P, D) block of single-position hidden states: explicitReward with one position of weight 1.
  const reward = (H: tf.Tensor2D, ut: tf.Tensor2D) => tf.matMul(H, ut).reshape([H.shape[0]]) as tf.Tensor1D;
  const curve: CurvePoint[] = [];
  for (let step = 0; step <= cfg.steps; step++) {
    if (at.has(step)) {
      const [train, unseen] = sets.map((s) => tf.tidy(() => [reward(s.c, u).dataSync(), reward(s.r, u).dataSync()]));
      const mt = preferenceMetrics(train[0], train[1]),
        mu = preferenceMetrics(unseen[0], unseen[1]);
      curve.push({ step, trainAccuracy: mt.accuracy, unseenAccuracy: mu.accuracy, unseenTieRate: mu.tieRate, cosToSvm: cosine(u.dataSync(), svm.w) });
    }
    if (step === cfg.steps) break;
    tf.tidy(() => {
      const grad = tf.grad((ut) => bradleyTerryLoss(reward(sets[0].c, ut as tf.Tensor2D), reward(sets[0].r, ut as tf.Tensor2D)))(u);
      u.assign(u.sub(grad.mul(cfg.lr)));
    });
  }
  sets.forEach((s) => {
    s.c.dispose();
    s.r.dispose();
  });
  u.dispose();
  const last = curve[curve.length - 1];
  const unseenDiffs = differences(d, d.unseen);
  const svmUnseenAccuracy = unseenDiffs.filter((z) => z.reduce((a, v, i) => a + v * svm.w[i], 0) > 0).length / unseenDiffs.length;
  return { curve, finalUnseenAccuracy: last.unseenAccuracy, finalTrainAccuracy: last.trainAccuracy, finalCos: last.cosToSvm as number, svmUnseenAccuracy };
}

export function runTheorem2(d: SingleTokenData, cfg: { im: TrainConfig; ex: TrainConfig }, seed: number): Theorem2Result {
  const svm = hardMarginSvm(differences(d, d.train));
  return {
    im: trainImplicit(d, cfg.im),
    ex: trainExplicit(d, cfg.ex, svm, seed),
    svm,
    separator: separatorStats(svm.w, differences(d, d.unseen)),
  };
}
