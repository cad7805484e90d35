import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setup, assertClose, assertAllClose } from './helpers';
import { preferenceMetrics } from '../lib/rewards/metrics';
import { bradleyTerryLoss } from '../lib/rewards/loss';
import { implicitReward } from '../lib/rewards/implicit';
import { explicitReward, poolingWeights } from '../lib/rewards/explicit';
import { buildPairBatch, buildSequenceBatch } from '../lib/rewards/sequences';
import { responseLogProbs, tokenLogProbs } from '../lib/rewards/logprobs';

before(setup);

const softplus = (x: number) => Math.log(1 + Math.exp(x));

describe('preferenceMetrics', () => {
  it('matches a hand computation with a tie', () => {
    const m = preferenceMetrics([1, 2, 3, 0], [0, 2, 4, -1]);
    // wins: 1>0, 0>-1; tie: 2=2; loss: 3<4  -> (2 + 0.5) / 4
    assert.equal(m.accuracy, 0.625);
    assert.equal(m.tieRate, 0.25);
    // rewards 1,0,2,2,3,4,0,-1: mean 1.375, sum of squared deviations 19.875, sample variance 19.875 / 7
    const std = Math.sqrt(19.875 / 7);
    assertClose(m.rewardStd, std, 1e-12);
    assertClose(m.normalizedMargin, 0.75 / (std + 1e-8), 1e-12);
    assertClose(m.loss, (softplus(-1) + softplus(0) + softplus(1) + softplus(-1)) / 4, 1e-6);
    assert.equal(m.meanChosen, 1.5);
    assert.equal(m.meanRejected, 1.25);
  });

  it('scores all-equal rewards (an untrained IM-RM) as accuracy 1/2, tie rate 1, margin 0', () => {
    const m = preferenceMetrics([0, 0, 0], [0, 0, 0]);
    assert.equal(m.accuracy, 0.5);
    assert.equal(m.tieRate, 1);
    assert.equal(m.normalizedMargin, 0);
    assertClose(m.loss, Math.log(2), 1e-6);
  });

  it('rejects mismatched inputs', () => {
    assert.throws(() => preferenceMetrics([1, 2], [1]), /equally many/);
    assert.throws(() => preferenceMetrics([], []), /equally many/);
  });
});

describe('bradleyTerryLoss', () => {
  it('is mean -log sigmoid(r+ - r-), stable at extremes', () => {
    const v = tf.tidy(() => bradleyTerryLoss(tf.tensor1d([2, -1, 100, -100]), tf.tensor1d([0.5, 1, 0, 0])).dataSync()[0]);
    const expected = (softplus(-1.5) + softplus(2) + 0 + 100) / 4;
    assertClose(v, expected, 1e-6);
  });

  it('has gradient -sigmoid(r- - r+) / P with respect to r+', () => {
    const g = tf.tidy(() =>
      tf
        .grad((c: tf.Tensor) => bradleyTerryLoss(c as tf.Tensor1D, tf.tensor1d([0, 1])))(tf.tensor1d([1, 1]))
        .dataSync(),
    );
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    assertAllClose(g, [-sig(-1) / 2, -sig(0) / 2], 1e-6);
  });
});

describe('implicitReward', () => {
  it('is beta times the log-ratio, or beta log pi without reference', () => {
    const r = tf.tidy(() => implicitReward(tf.tensor1d([-3, -5]), tf.tensor1d([-4, -5]), 0.01).dataSync());
    assertAllClose(r, [0.01, 0], 1e-7);
    const n = tf.tidy(() => implicitReward(tf.tensor1d([-3, -5]), null, 0.1).dataSync());
    assertAllClose(n, [-0.3, -0.5], 1e-7);
  });
});

describe('sequence batches', () => {
  it('masks exactly the response tokens and pads on the right', () => {
    const b = buildSequenceBatch(
      [
        { prompt: [5, 6], response: [7] },
        { prompt: [5], response: [8, 9, 10] },
      ],
      0,
      8,
    );
    assert.equal(b.T, 4);
    assert.deepEqual(Array.from(b.ids), [5, 6, 7, 0, 5, 8, 9, 10]);
    assert.deepEqual(Array.from(b.responseMask), [0, 0, 1, 0, 0, 1, 1, 1]);
    assert.deepEqual(b.lastIndex, [2, 3]);
    assert.deepEqual(b.responseLengths, [1, 3]);
  });

  it('puts chosen sequences first, then rejected', () => {
    const b = buildPairBatch(
      [
        { id: 'a', prompt: [1], chosen: [2], rejected: [3] },
        { id: 'b', prompt: [1], chosen: [4], rejected: [5] },
      ],
      0,
      8,
    );
    assert.deepEqual(Array.from(b.ids), [1, 2, 1, 4, 1, 3, 1, 5]);
  });

  it('names the example that is too long or empty', () => {
    assert.throws(
      () => buildPairBatch([{ id: 'x7', prompt: [1, 2, 3], chosen: [4, 5], rejected: [6] }], 0, 4),
      /example 'x7': 5 tokens exceed the model context of 4/,
    );
    assert.throws(() => buildSequenceBatch([{ id: 'e', prompt: [], response: [1] }], 0, 4), /example 'e': empty prompt/);
    assert.throws(() => buildSequenceBatch([{ id: 'e', prompt: [1], response: [] }], 0, 4), /example 'e': empty response/);
  });
});

describe('response log-probs', () => {
  // One sequence [0, 1, 2] over a vocabulary of 3; logits at positions 0 and 1 predict tokens 1 and 2.
  const logits = [
    [
      [1, 2, 0],
      [0.5, -1, 3],
      [9, 9, 9],
    ],
  ];
  const logSoftmax = (row: number[]) => {
    const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
    return row.map((x) => x - lse);
  };
  for (const kernels of ['fast', 'reference'] as const) {
    it(`reads log pi(y_t | y_<t) from the logits at t - 1 (${kernels} kernels)`, () => {
      const lp = tf.tidy(() => tokenLogProbs(tf.tensor3d(logits), tf.tensor2d([[0, 1, 2]], [1, 3], 'int32'), kernels).arraySync());
      assertAllClose(lp[0], [0, logSoftmax(logits[0][0])[1], logSoftmax(logits[0][1])[2]], 1e-6);
    });
  }

  it('sums over response tokens only: the prompt is never scored, every response token is', () => {
    const ids = tf.tensor2d([[0, 1, 2]], [1, 3], 'int32');
    const mask = tf.tensor2d([[0, 0, 1]]); // prompt [0, 1], response [2]
    const lp = tf.tidy(() => responseLogProbs(tokenLogProbs(tf.tensor3d(logits), ids), mask).dataSync()[0]);
    assertClose(lp, logSoftmax(logits[0][1])[2], 1e-6);
    // Changing the logits that predict the prompt token leaves it unchanged; changing the response's changes it.
    const promptChanged = [
      [
        [5, -5, 0],
        [0.5, -1, 3],
        [9, 9, 9],
      ],
    ];
    const lp2 = tf.tidy(() => responseLogProbs(tokenLogProbs(tf.tensor3d(promptChanged), ids), mask).dataSync()[0]);
    assert.equal(lp2, lp);
    const both = tf.tidy(() => responseLogProbs(tokenLogProbs(tf.tensor3d(logits), ids), tf.tensor2d([[0, 1, 1]])).dataSync()[0]);
    assertClose(both, logSoftmax(logits[0][0])[1] + logSoftmax(logits[0][1])[2], 1e-6);
    const mean = tf.tidy(() => responseLogProbs(tokenLogProbs(tf.tensor3d(logits), ids), tf.tensor2d([[0, 1, 1]]), 'mean').dataSync()[0]);
    assertClose(mean, both / 2, 1e-6);
  });
});

describe('explicitReward', () => {
  it('applies the head to the last response token, or the mean over response tokens', () => {
    const batch = buildSequenceBatch(
      [
        { prompt: [1], response: [2, 3] },
        { prompt: [1, 1], response: [2] },
      ],
      0,
      8,
    );
    // hidden (2, 3, 2): h[b][t] = [b + t, 1]
    const hidden = [
      [
        [0, 1],
        [1, 1],
        [2, 1],
      ],
      [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
    ];
    const head = [[2], [-1]]; // r = 2 h0 - h1
    const run = (pooling: 'last' | 'mean') =>
      tf.tidy(() => explicitReward(tf.tensor3d(hidden), tf.tensor2d(head), tf.tensor2d(poolingWeights(batch, pooling), [2, 3])).dataSync());
    // last: seq 0 -> t = 2: 2*2 - 1 = 3; seq 1 -> t = 2: 2*3 - 1 = 5
    assertAllClose(run('last'), [3, 5], 1e-6);
    // mean: seq 0 over t = 1, 2: (1 + 3) / 2 = 2; seq 1 over t = 2: 5
    assertAllClose(run('mean'), [2, 5], 1e-6);
  });
});
