import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setup, assertClose, tinyModel } from './helpers';
import { AdamW } from '../lib/train/adamw';
import { trainPreference, resolvePreferenceTrainConfig } from '../lib/train/preference';
import { trainLanguageModel, validationPerplexity, resolveLmTrainConfig } from '../lib/train/lm';
import { fingerprint } from '../lib/train/checkpointing';
import type { EncodedPair } from '../lib/rewards/sequences';
import { verifierLoss } from '../lib/rewards/loss';
import { verifierPairs } from '../lib/data/verifier';
import { Rng } from '../lib/random';
import { responseTokenLoss, trainOnDocuments } from '../lib/train/sft';
import { tokenLogProbs } from '../lib/rewards/logprobs';
import { forward } from '../lib/model/transformer';

before(setup);

/** A learnable toy: the chosen response is token 4 or 5, the rejected one token 6 or 7 (a token cue). */
function cueTask(n: number, seed: number): EncodedPair[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    prompt: [2, 8 + rng.int(4), 8 + rng.int(4)],
    chosen: [4 + rng.int(2), 3],
    rejected: [6 + rng.int(2), 3],
  }));
}

const trainCfg = (rm: string, extra: object = {}) =>
  resolvePreferenceTrainConfig({ rewardModel: rm, batchSize: 8, microBatchSize: 8, epochs: 3, evalBatchSize: 16, optimizer: { lr: 3e-3 }, ...extra });

describe('AdamW', () => {
  it('matches a hand-computed first step with decoupled weight decay', () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW({ p }, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5 });
    opt.apply({ p: tf.tensor1d([0.5, 0]) });
    // step 1: m_hat = g, v_hat = g^2 -> update = g / (|g| + eps) = sign(g); then + wd * p
    const v = p.dataSync();
    assertClose(v[0], 1 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.5 * 1), 1e-6);
    assertClose(v[1], -2 - 0.1 * (0 + 0.5 * -2), 1e-6);
    assert.equal(opt.step, 1);
  });
});

describe('preference training smoke', () => {
  const train = cueTask(16, 1);
  const evalSplits = { train, test: cueTask(8, 2) };
  for (const rm of ['ex', 'im', 'im-noref', 'ex-mean', 'im-mean']) {
    it(`${rm}: loss decreases, every trainable tensor changes, base and reference untouched, tensors flat`, async () => {
      const { model, vars } = tinyModel();
      const before = await fingerprint(model.params);
      const counts: number[] = [];
      const out = await trainPreference(trainCfg(rm), {
        base: model,
        padId: 0,
        train,
        evalSplits,
        seed: 3,
        onProgress: (p) => {
          if (p.phase === 'train') counts.push(tf.memory().numTensors);
        },
      });
      assert.equal(counts.length, 6);
      assert.ok(
        counts.slice(1).every((c) => c === counts[1]),
        `numTensors not flat: ${counts}`,
      );
      const losses = out.trainLoss.map((l) => l.loss);
      assert.ok(losses.every(Number.isFinite));
      assert.ok(losses[losses.length - 1] < losses[0], `loss did not decrease: ${losses}`);
      const first = out.curve.find((c) => c.split === 'train' && c.epoch === 0)!;
      const last = out.curve.find((c) => c.split === 'train' && c.epoch === 3)!;
      assert.ok(last.loss < first.loss, `eval loss did not decrease: ${first.loss} -> ${last.loss}`);
      for (const [name, t] of Object.entries(out.state.lm.params)) {
        assert.notDeepEqual(Array.from(t.dataSync()), Array.from(model.params[name].dataSync()), `${name} did not change`);
      }
      assert.equal(await fingerprint(model.params), before, 'the base model changed');
      if (rm === 'im') {
        assert.equal(out.referenceFingerprint, before, 'the reference is not a copy of the base');
        // step 0: policy = reference, so every reward is exactly 0
        for (const c of out.curve.filter((c) => c.epoch === 0)) {
          assert.equal(c.accuracy, 0.5);
          assert.equal(c.tieRate, 1);
        }
      }
      Object.values(out.state.lm.params).forEach((t) => t.dispose());
      out.state.head?.dispose();
      Object.values(vars).forEach((v) => v.dispose());
    });
  }

  it('accumulating micro-batches gives the same training as whole batches', async () => {
    const { model, vars } = tinyModel();
    const runs: Awaited<ReturnType<typeof trainPreference>>[] = [];
    for (const micro of [8, 4, 3]) {
      runs.push(await trainPreference(trainCfg('im', { microBatchSize: micro, epochs: 1 }), { base: model, padId: 0, train, evalSplits, seed: 3 }));
    }
    for (const r of runs.slice(1)) {
      r.trainLoss.forEach((l, i) => assertClose(l.loss, runs[0].trainLoss[i].loss, 1e-5, 'step loss'));
      assertClose(r.final.test.metrics.loss, runs[0].final.test.metrics.loss, 1e-4, 'final eval loss');
    }
    Object.values(vars).forEach((v) => v.dispose());
  });

  it('an interrupted and resumed run ends exactly like an uninterrupted one', async () => {
    const { model, vars } = tinyModel();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-resume-'));
    const cfg = trainCfg('ex', { checkpointEverySteps: 1 });
    const whole = await trainPreference(cfg, { base: model, padId: 0, train, evalSplits, seed: 5 });
    // Stop mid-epoch (step 3 of 6), then resume from the checkpoint.
    const part = await trainPreference(cfg, { base: model, padId: 0, train, evalSplits, seed: 5, checkpointDir: dir, stopAfterSteps: 3 });
    assert.equal(part.interrupted, true);
    assert.equal(part.trainLoss.length, 3);
    const resumed = await trainPreference(cfg, { base: model, padId: 0, train, evalSplits, seed: 5, checkpointDir: dir });
    assert.equal(resumed.interrupted, false);
    assert.deepEqual(resumed.trainLoss, whole.trainLoss);
    assert.deepEqual(resumed.curve, whole.curve);
    assert.deepEqual(resumed.final.test.scores, whole.final.test.scores);
    fs.rmSync(dir, { recursive: true });
    Object.values(vars).forEach((v) => v.dispose());
  });

  it('rejects bad training configs naming the key', () => {
    assert.throws(() => resolvePreferenceTrainConfig({ rewardModel: 'xx' }), /rewardModel.*unknown reward model 'xx'/);
    assert.throws(() => resolvePreferenceTrainConfig({ microBatchSize: 64, batchSize: 32 }), /'microBatchSize' must be <= batchSize/);
    assert.throws(() => resolvePreferenceTrainConfig({ optimizer: { lr: -1 } }), /'optimizer.lr' must be positive/);
    assert.throws(() => resolvePreferenceTrainConfig({ optimizer: { learningRate: 1 } }), /unknown key 'optimizer.learningRate'/);
  });
});

describe('language-model training', () => {
  it('a zero model is uniform: validation perplexity = vocabulary size', async () => {
    const { model, vars } = tinyModel();
    for (const v of Object.values(vars)) v.assign(tf.zerosLike(v));
    const stream = Int32Array.from({ length: 40 }, (_, i) => i % 12);
    assertClose(await validationPerplexity(model, stream, 8, 4), 12, 1e-5);
    Object.values(vars).forEach((v) => v.dispose());
  });

  it('learns a periodic stream', async () => {
    const { model, vars } = tinyModel();
    const stream = Int32Array.from({ length: 400 }, (_, i) => [3, 5, 7, 9, 11][i % 5]);
    const cfg = resolveLmTrainConfig({ steps: 30, batchSize: 4, seqLen: 12, optimizer: { lr: 1e-2 } });
    const before = await validationPerplexity(model, stream, 12, 8);
    const { losses } = await trainLanguageModel(cfg, model, vars, stream, 1);
    const after = await validationPerplexity(model, stream, 12, 8);
    assert.ok(losses[29] < losses[0] / 2, `loss ${losses[0]} -> ${losses[29]}`);
    assert.ok(after < before / 2, `perplexity ${before} -> ${after}`);
    Object.values(vars).forEach((v) => v.dispose());
  });
});

describe('supervised training on whole documents', () => {
  it('the loss is the mean negative log-prob of the response tokens only (hand-computed from token log-probs)', () => {
    const { vars, model } = tinyModel();
    const docs = [
      { prompt: [2, 5], response: [6, 7, 3] },
      { prompt: [2, 8, 9, 10], response: [4] },
    ];
    const loss = tf.tidy(() => responseTokenLoss(model, docs, 0, { kernels: 'fast' }).dataSync()[0]);
    const lp = (ids: number[]) =>
      tf.tidy(() =>
        Array.from(
          tokenLogProbs(
            forward(model, tf.tensor2d([ids], [1, ids.length], 'int32')).logits as tf.Tensor3D,
            tf.tensor2d([ids], [1, ids.length], 'int32'),
          ).dataSync(),
        ),
      );
    const a = lp([2, 5, 6, 7, 3]).slice(2),
      b = lp([2, 8, 9, 10, 4]).slice(4);
    assertClose(loss, -[...a, ...b].reduce((x, y) => x + y, 0) / 4, 1e-5, 'loss');
    Object.values(vars).forEach((v) => v.dispose());
  });

  it('learns a response that is looked up in the prompt, with flat tensor memory', async () => {
    const { vars, model } = tinyModel({ vocabSize: 12, contextLength: 16 });
    // The answer repeats the prompt's second token: learnable only by attending to the prompt.
    const docs = Array.from({ length: 8 }, (_, i) => ({ prompt: [2, 4 + i, 1], response: [4 + i, 3] }));
    const cfg = resolveLmTrainConfig({ steps: 150, batchSize: 8, optimizer: { lr: 1e-2 } });
    const before = tf.memory().numTensors;
    const { losses } = await trainOnDocuments(cfg, model, vars, docs, 0, 3);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(losses[149] < losses[0] / 4, `loss ${losses[0]} -> ${losses[149]}`);
    assert.deepEqual((await trainOnDocuments({ ...cfg, steps: 0 }, model, vars, docs, 0, 3)).losses, []);
    await assert.rejects(() => trainOnDocuments(cfg, model, vars, [], 0, 3), /no documents/);
    Object.values(vars).forEach((v) => v.dispose());
  });

  it('training in chunks with a kept optimizer takes the same steps as one call', async () => {
    const docs = Array.from({ length: 8 }, (_, i) => ({ prompt: [2, 4 + i, 1], response: [4 + i, 3] }));
    const cfg = resolveLmTrainConfig({ steps: 6, batchSize: 4, optimizer: { lr: 1e-2 } });
    const whole = tinyModel({ vocabSize: 12, contextLength: 16 });
    const once = (await trainOnDocuments(cfg, whole.model, whole.vars, docs, 0, 5)).losses;
    const parts = tinyModel({ vocabSize: 12, contextLength: 16 });
    const optimizer = new AdamW(parts.vars, cfg.optimizer);
    const first = (await trainOnDocuments({ ...cfg, steps: 2 }, parts.model, parts.vars, docs, 0, 5, undefined, { optimizer })).losses;
    const rest = (await trainOnDocuments(cfg, parts.model, parts.vars, docs, 0, 5, undefined, { optimizer, stepsDone: 2 })).losses;
    optimizer.dispose();
    assert.equal(rest.length, 4);
    [...first, ...rest].forEach((l, i) => assertClose(l, once[i], 1e-6, `step ${i + 1}`));
    [whole, parts].forEach((m) => Object.values(m.vars).forEach((v) => v.dispose()));
  });
});

describe('EX-GRM (generative verifier)', () => {
  it('verifierLoss is the mean negative log-probability of the targets', () => {
    assertClose(verifierLoss(tf.tensor1d([-1, -3])).dataSync()[0], 2);
  });

  it('builds verification prompts: each response in its own prompt, scored on Yes, rejected trained on No', () => {
    const enc = (t: string) => [...t].map((c) => c.charCodeAt(0));
    const [p] = verifierPairs([{ id: 'a', prompt: 'Is it?\n', chosen: 'yes', rejected: 'no' }], (t) => [0, ...enc(t)], enc, 'test');
    assert.equal(String.fromCharCode(...p.prompt.slice(1)), 'Question: Is it?\nAnswer: yes\nVerification: Is the answer correct (Yes/No)?');
    assert.equal(
      String.fromCharCode(...(p.rejectedPrompt as number[]).slice(1)),
      'Question: Is it?\nAnswer: no\nVerification: Is the answer correct (Yes/No)?',
    );
    assert.deepEqual([p.chosen, p.rejected, p.rejectedTarget], [enc('Yes'), enc('Yes'), enc('No')]);
  });

  it('learns to say Yes after chosen and No after rejected answers; its reward is P(Yes)', async () => {
    // Token cue inside the prompt: chosen answers are tokens 4-5, rejected 6-7; Yes = 10, No = 11.
    const grmTask = (n: number, seed: number): EncodedPair[] =>
      cueTask(n, seed).map((p) => ({
        id: p.id,
        prompt: [...p.prompt, p.chosen[0]],
        chosen: [10],
        rejectedPrompt: [...p.prompt, p.rejected[0]],
        rejected: [10],
        rejectedTarget: [11],
      }));
    const { model } = tinyModel();
    const train = grmTask(16, 1);
    const out = await trainPreference(trainCfg('ex-grm', { epochs: 6 }), { base: model, padId: 0, train, evalSplits: { train }, seed: 3 });
    const losses = out.trainLoss.map((l) => l.loss);
    assert.ok(losses[losses.length - 1] < losses[0], `loss did not decrease: ${losses}`);
    const last = out.curve.filter((c) => c.split === 'train').pop()!;
    assert.ok(last.accuracy > 0.9, `train accuracy ${last.accuracy}`);
    assert.ok(last.meanChosen > last.meanRejected && last.meanChosen <= 1 && last.meanRejected >= 0);
  });
});
