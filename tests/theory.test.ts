import { aggregate } from '../lib/runs/stats';
import { theorem2Conclusion } from '../lib/experiments/theorem2-report';
import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setup, assertClose, assertAllClose } from './helpers';
import { hardMarginSvm, NotSeparableError, describe as quartiles, separatorStats } from '../lib/theory/svm';
import * as dyn from '../lib/theory/dynamics';
import * as t2 from '../lib/theory/theorem2';
import { resolveModelConfig } from '../lib/model/config';
import { initParams, normalArray } from '../lib/model/params';
import { implicitReward, implicitRewardFromLogits } from '../lib/rewards/implicit';
import { logLogSlope, median, pearson, signAgreement } from '../lib/runs/stats';
import { runExperiment } from '../lib/experiments/runner';
import { dynamics } from '../lib/experiments/dynamics';
import { theorem2 } from '../lib/experiments/theorem2';
import { Rng } from '../lib/random';

before(setup);

describe('hard-margin SVM', () => {
  it('solves cases with known answers', () => {
    const a = hardMarginSvm([
      [1, 0],
      [0, 1],
    ]);
    assertAllClose(a.w, [1, 1], 1e-9);
    const b = hardMarginSvm([
      [2, 0],
      [2, 1],
    ]);
    assertAllClose(b.w, [0.5, 0], 1e-9);
    assertAllClose(b.alpha, [0.25, 0], 1e-9); // only the first vector supports the margin
    const c = hardMarginSvm([[3, 4]]);
    assertAllClose(c.w, [3 / 25, 4 / 25], 1e-9); // w = z / |z|^2
  });

  it('reports non-separable data', () => {
    assert.throws(
      () =>
        hardMarginSvm([
          [1, 1],
          [-1, -1],
        ]),
      NotSeparableError,
    );
    assert.throws(
      () =>
        hardMarginSvm([
          [1, 0],
          [0, 1],
          [-1, -0.5],
        ]),
      NotSeparableError,
    );
    assert.throws(() => hardMarginSvm([[0, 0]]), /vector 0 is zero/);
  });

  it('satisfies the KKT conditions on random separable data', () => {
    const rng = new Rng(3);
    const z = Array.from({ length: 40 }, () => [2 + rng.next(), rng.normal(), rng.normal()]);
    const r = hardMarginSvm(z);
    assert.ok(r.margins.every((m) => m >= 1 - 1e-8));
    r.alpha.forEach((a, i) => {
      if (a > 1e-9) assertClose(r.margins[i], 1, 1e-8, 'support vector margin');
    });
  });

  it('separator statistics: quartiles, cosine, inner products, fraction positive', () => {
    const q = quartiles([4, 1, 3, 2, -5]);
    assert.deepEqual(q, { mean: 1, min: -5, q1: 1, median: 2, q3: 3, max: 4, fractionPositive: 0.8 });
    const s = separatorStats(
      [1, 0],
      [
        [2, 0],
        [0, 3],
        [-1, 1],
      ],
    );
    assertAllClose([s.inner.min, s.inner.max, s.inner.fractionPositive], [-1, 2, 1 / 3], 1e-12);
    assertAllClose([s.cosine.max, s.cosine.min], [1, -Math.SQRT1_2], 1e-12);
  });
});

describe('stats for the theory', () => {
  it('pearson, sign agreement and log-log slope', () => {
    assertClose(pearson([1, 2, 3], [2, 4, 7]), 0.9933992677987828, 1e-12);
    assert.equal(signAgreement([1, -2, 0, 3], [2, -1, 0, -3]), 0.75);
    assertClose(logLogSlope([1, 10, 100], [3, 300, 30000]), 2, 1e-12);
  });
  it('median of odd and even counts, unsorted input left alone', () => {
    const xs = [5, 1, 3];
    assert.equal(median(xs), 3);
    assert.deepEqual(xs, [5, 1, 3]);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]), /no values/);
  });
});

describe('IM-RM reward from logits', () => {
  it('equals beta * (log pi - log pi_ref) computed from log-probs', () => {
    const z = tf.tensor2d([
        [1, 2, 0.5],
        [0, -1, 3],
      ]),
      z0 = tf.tensor2d([
        [0.5, 1, 1],
        [1, 1, 1],
      ]);
    const y = tf.tensor1d([1, 2], 'int32');
    const a = tf.tidy(() => implicitRewardFromLogits(z, z0, y, 0.1).dataSync());
    const lp = (m: tf.Tensor2D) => tf.logSoftmax(m).mul(tf.oneHot(y, 3).toFloat()).sum(1) as tf.Tensor1D;
    const b = tf.tidy(() => implicitReward(lp(z), lp(z0), 0.1).dataSync());
    assertAllClose(a, b, 1e-6);
  });
});

describe('learning dynamics (Eq. 4 and Eq. 5)', () => {
  const config = resolveModelConfig({ vocabSize: 20, dModel: 16, nHeads: 2, nKvHeads: 2, nLayers: 1, dMlp: 32, contextLength: 16, initStd: 0.3 });
  const lm = { config, params: {} as Record<string, tf.Tensor> };
  before(() => {
    lm.params = initParams(config, 3);
  });
  const triple = { prompt: [1, 2, 3], chosen: [4, 5, 6], rejected: [7, 8, 9] };
  const evals: dyn.Seq[] = [
    { id: 'same', prompt: [1, 2, 3], response: [4, 5, 6] },
    { id: 'para', prompt: [1, 2, 3], response: [10, 5, 6] },
    { id: 'other', prompt: [1, 11, 3], response: [12, 13] },
    { id: 'neg', prompt: [1, 2, 3], response: [7, 8, 9] },
  ];
  const features = () => {
    const [fp, fm, ...fe] = dyn.sequenceFeatures(
      lm,
      [{ id: 'c', prompt: triple.prompt, response: triple.chosen }, { id: 'r', prompt: triple.prompt, response: triple.rejected }, ...evals],
      0,
    );
    return { fp, fm, fe };
  };

  it('rho matches its closed form on hand-made distributions', () => {
    const b = {
      id: 'b',
      response: [0, 1],
      predicting: [],
      last: [],
      probs: [
        [0.5, 0.5, 0],
        [0.2, 0.3, 0.5],
      ],
    };
    const v = { id: 'v', response: [1], predicting: [], last: [], probs: [[0.1, 0.6, 0.3]] };
    const rho = dyn.rhoMatrix(b, v);
    // k = 0 (token 0) vs l = 0 (token 1): 0 - pi_v(0) - pi_b(1) + <pi_b, pi_v> = -0.1 - 0.5 + (0.05 + 0.3)
    assertClose(rho[0][0], -0.1 - 0.5 + 0.35, 1e-12);
    // k = 1 (token 1) vs l = 0 (token 1): 1 - 0.6 - 0.3 + (0.02 + 0.18 + 0.15)
    assertClose(rho[1][0], 1 - 0.6 - 0.3 + 0.35, 1e-12);
  });

  it('Eq. 4 is exact under fixed hidden states', () => {
    const { fp, fm, fe } = features();
    const head = Array.from(normalArray(16, 0.25, 5));
    const step = dyn.fixedExplicitStep(lm, head, triple, evals, 0.1, 0);
    const pred = fe.map((b) => dyn.explicitPrediction(0.1, step.g, b, fp, fm));
    const scale = Math.max(...pred.map(Math.abs));
    pred.forEach((p, i) => assert.ok(Math.abs(p - step.change[i]) / scale < 1e-4, `item ${i}: ${p} vs ${step.change[i]}`));
  });

  it('Eq. 5 (constant beta^2) is exact to first order: the error shrinks like eta^2', () => {
    const { fp, fm, fe } = features();
    const etas = [0.1, 0.3, 1, 3];
    const errors = etas.map((eta) => {
      const step = dyn.fixedImplicitStep(lm, triple, evals, eta, 0.01, 0);
      const contributions = fe.map((b) => dyn.implicitContributions(eta, step.g, 0.01, b, fp, fm));
      const pred = contributions.map((cs) => dyn.explainImplicitChange(cs).total);
      contributions.forEach((cs, i) => {
        const e = dyn.explainImplicitChange(cs);
        assertClose(e.tokenMatch + e.tokenMismatch, e.total, 1e-12, 'match + mismatch');
        assertClose(pred[i], dyn.implicitPrediction(eta, step.g, 0.01, fe[i], fp, fm), 1e-12, 'decomposition sums to the prediction');
      });
      // first order: the relative error is small at the smallest rate
      if (eta === 0.1) assert.ok(Math.max(...pred.map((p, i) => Math.abs(p - step.change[i]))) < 0.01 * Math.max(...pred.map(Math.abs)));
      return Math.max(...pred.map((p, i) => Math.abs(p - step.change[i])));
    });
    const slope = logLogSlope(etas, errors);
    assert.ok(slope > 1.8 && slope < 2.2, `slope ${slope}, errors ${errors}`);
  });

  it('full fine-tuning steps run for both reward models', () => {
    const head = Array.from(normalArray(16, 0.25, 5));
    for (const kind of ['ex', 'im'] as const) {
      const before = tf.memory().numTensors;
      const s = dyn.fullFinetuneStep(kind, lm, head, triple, evals, 0.01, 0.01, 0);
      assert.equal(s.change.length, evals.length);
      assert.ok(s.change.every(Number.isFinite) && s.change.some((c) => c !== 0));
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    }
  });
});

describe('Theorem 2', () => {
  it('IM-RM: unseen pairs tie exactly (accuracy 1/2), their unembedding rows never move; EX-RM converges to u*', () => {
    const d = t2.constructedData(t2.DEFAULT_CONSTRUCTED, 1);
    const r = t2.runTheorem2(d, { im: { steps: 300, lr: 100, beta: 0.01, checkpoints: 4 }, ex: { steps: 1500, lr: 1, beta: 0.01, checkpoints: 6 } }, 1);
    for (const p of r.im.curve) {
      assert.equal(p.unseenAccuracy, 0.5);
      assert.equal(p.unseenTieRate, 1);
    }
    assert.equal(r.im.unseenRowsUnchanged, true);
    assert.equal(r.im.finalTrainAccuracy, 1);
    const cos = r.ex.curve.map((p) => p.cosToSvm as number);
    assert.ok(cos[cos.length - 1] > 0.95 && cos[cos.length - 1] > cos[1], `cos ${cos}`);
    assert.equal(r.ex.finalUnseenAccuracy, r.ex.svmUnseenAccuracy);
  });
});

describe('theory experiments (smoke)', () => {
  it('dynamics and theorem2 run and write their artefacts', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-theory-'));
    const d = await runExperiment(dynamics, { profile: 'smoke', seeds: 1, root });
    assert.ok(d.summary.results.ex.fixed.eq4MaxRelError.mean < 1e-3);
    assert.ok(fs.existsSync(path.join(d.dir, 'seed-1', 'dynamics.json')));
    const t = await runExperiment(theorem2, { profile: 'smoke', seeds: 1, root });
    assert.equal(t.summary.results.im.constructed.unseenAccuracy.mean, 0.5);
    assert.equal(t.summary.results.im.model.unseenAccuracy.mean, 0.5);
    assert.ok(fs.existsSync(path.join(t.dir, 'seed-1', 'theorem2.json')));
    fs.rmSync(root, { recursive: true });
  });
});

describe('Theorem 2 reading (hand-made aggregates)', () => {
  it('states exact ties only when every source tied on every unseen pair', () => {
    const a = (...v: number[]) => aggregate(v);
    const src = (acc: number, ties: number) => ({ unseenAccuracy: a(acc, acc), unseenTieRate: a(ties, ties), unseenRowsUnchanged: a(1, 1) });
    const ex = { unseenAccuracy: a(0.8, 0.9), svmUnseenAccuracy: a(0.8, 0.9), cosToSvm: a(0.99, 0.98) };
    const s = (im: object) => ({ seeds: [1, 2], results: { im, ex: { constructed: ex, model: ex } } });
    assert.match(theorem2Conclusion(s({ constructed: src(0.5, 1), model: src(0.5, 1) }) as never), /every unseen pair ties, accuracy exactly ½/);
    assert.match(theorem2Conclusion(s({ constructed: src(0.5, 1), model: src(0.55, 0.9) }) as never), /did NOT tie exactly/);
  });
});
