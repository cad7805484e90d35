import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setup, tinyModel } from './helpers';
import { GradientPool, type GradientSum, defaultPool, defaultWorkers, withDefaultPool } from '../lib/train/data-parallel';
import { fingerprint } from '../lib/train/checkpointing';
import { resolveLmTrainConfig, trainLanguageModel } from '../lib/train/lm';
import { resolveScheduledLmConfig, trainScheduledLm } from '../lib/train/lm-schedule';
import { trainOnDocuments } from '../lib/train/sft';
import { resolvePreferenceTrainConfig, trainPreference } from '../lib/train/preference';
import type { EncodedPair } from '../lib/rewards/sequences';
import { Rng } from '../lib/random';

before(setup);
const two = new GradientPool(2);
after(() => two.close());
const one = new GradientPool(1);

const stream = Int32Array.from({ length: 400 }, (_, i) => [3, 5, 7, 9, 10][i % 5] + (i % 7 === 0 ? 1 : 0));
const docs = Array.from({ length: 8 }, (_, i) => ({ prompt: [2, 4 + i, 1], response: [4 + i, 3] }));
function cueTask(n: number, seed: number): EncodedPair[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({ id: `p${i}`, prompt: [2, 8 + rng.int(4)], chosen: [4 + rng.int(2), 3], rejected: [6 + rng.int(2), 3] }));
}

/** EX-GRM pairs: each response inside its own verification prompt, " Yes" (23) scored, " No" (24) the rejected target. */
const verifierTask = (pairs: EncodedPair[]): EncodedPair[] =>
  pairs.map((p) => ({
    ...p,
    prompt: [...p.prompt, ...p.chosen, 22],
    chosen: [23],
    rejected: [23],
    rejectedPrompt: [...p.prompt, ...p.rejected, 22],
    rejectedTarget: [24],
  }));

/** Trains a fresh tiny model with `pool`; returns the final parameters' fingerprint and the losses. */
type Run = (pool: GradientPool) => Promise<{ weights: string; losses: number[] }>;

const lm: Run = async (pool) => {
  const { model, vars } = tinyModel();
  const cfg = resolveLmTrainConfig({ steps: 4, batchSize: 6, microBatchSize: 2, seqLen: 10, optimizer: { lr: 1e-2 } });
  const { losses } = await trainLanguageModel(cfg, model, vars, stream, 1, undefined, pool);
  const weights = await fingerprint(vars);
  Object.values(vars).forEach((v) => v.dispose());
  return { weights, losses };
};

const sft: Run = async (pool) => {
  const { model, vars } = tinyModel();
  const cfg = resolveLmTrainConfig({ steps: 4, batchSize: 5, microBatchSize: 2, optimizer: { lr: 1e-2 } });
  const { losses } = await trainOnDocuments(cfg, model, vars, docs, 0, 3, undefined, { pool });
  const weights = await fingerprint(vars);
  Object.values(vars).forEach((v) => v.dispose());
  return { weights, losses };
};

const preference =
  (rm: string): Run =>
  async (pool) => {
    const { model, vars } = tinyModel({ vocabSize: 32, contextLength: 24 });
    const train = rm === 'ex-grm' ? verifierTask(cueTask(12, 1)) : cueTask(12, 1);
    const cfg = resolvePreferenceTrainConfig({ rewardModel: rm, batchSize: 6, microBatchSize: 2, epochs: 2, optimizer: { lr: 3e-3 } });
    const out = await trainPreference(cfg, { base: model, padId: 0, train, evalSplits: { train }, seed: 4, pool });
    const weights = await fingerprint({ ...out.state.lm.params, ...(out.state.head ? { head: out.state.head } : {}) });
    const losses = out.trainLoss.map((s) => s.loss);
    Object.values(out.state.lm.params).forEach((t) => t.dispose());
    out.state.head?.dispose();
    Object.values(vars).forEach((v) => v.dispose());
    return { weights, losses };
  };

describe('data-parallel training (--workers)', () => {
  const cases: Array<[string, Run]> = [
    ['language-model pretraining', lm],
    ['supervised training on documents', sft],
    ['EX-RM preference training', preference('ex')],
    ['IM-RM preference training (frozen reference)', preference('im')],
    ['EX-GRM verifier training', preference('ex-grm')],
  ];
  for (const [what, run] of cases) {
    it(`${what}: 2 workers give bit-identical weights and losses to 1`, async () => {
      const a = await run(one);
      const b = await run(two);
      assert.deepEqual(b.losses, a.losses);
      assert.equal(b.weights, a.weights);
    });
  }

  it('a resumed run with workers ends where an uninterrupted one does, with flat tensor memory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-'));
    const cfg = resolveScheduledLmConfig({ steps: 6, batchSize: 4, microBatchSize: 1, seqLen: 8, warmupSteps: 2, evalEvery: 0, checkpointEvery: 2 });
    const train = async (pool: GradientPool, checkpointDir?: string, stopAfterSteps?: number) => {
      const { model, vars } = tinyModel();
      await trainScheduledLm(cfg, model, vars, { train: stream, validation: stream.subarray(0, 64), seed: 2, pool, checkpointDir, stopAfterSteps });
      return vars;
    };
    const whole = await train(one);
    const countBefore = tf.memory().numTensors;
    Object.values(await train(two, dir, 3)).forEach((v) => v.dispose());
    const resumed = await train(two, dir);
    assert.equal(await fingerprint(resumed), await fingerprint(whole));
    Object.values(resumed).forEach((v) => v.dispose());
    assert.ok(tf.memory().numTensors <= countBefore + Object.keys(whole).length, 'tensors leaked');
    Object.values(whole).forEach((v) => v.dispose());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a failing job names the worker and its error', async () => {
    const { config, vars } = tinyModel();
    const good = { kind: 'windows' as const, ids: new Int32Array([1, 2, 3]), rows: 1, len: 3, weight: 1, kernels: 'fast' as const };
    const bad = { ...good, rows: 2 };
    const warm = await two.gradients([good, good], config, vars); // first use caches constants (masks)
    Object.values(warm.grads).forEach((g) => g.dispose());
    const before = tf.memory().numTensors;
    await assert.rejects(() => two.gradients([good, bad], config, vars), /gradient worker 1: .*should have 6 values but has 3/);
    await assert.rejects(() => two.gradients([bad, good], config, vars), /should have 6 values but has 3/);
    assert.equal(tf.memory().numTensors, before);
    // The pool is still usable: no answer was left behind.
    const { grads } = await two.gradients([good, good], config, vars);
    Object.values(grads).forEach((g) => g.dispose());
    Object.values(vars).forEach((v) => v.dispose());
  });

  it('sums micro-batches as they come: peak tensor memory does not grow with their number', async () => {
    const { config, vars } = tinyModel({ vocabSize: 64, dModel: 32, dMlp: 64 });
    const gradientBytes = Object.values(vars).reduce((n, v) => n + v.size * 4, 0);
    const job = { kind: 'windows' as const, ids: new Int32Array(8).fill(3), rows: 1, len: 8, weight: 1, kernels: 'fast' as const };
    const peak = async (pool: GradientPool, n: number) => {
      let sum: GradientSum | null = null;
      const info = await tf.profile(async () => {
        sum = await pool.gradients(
          Array.from({ length: n }, () => job),
          config,
          vars,
        );
      });
      Object.values((sum as unknown as GradientSum).grads).forEach((g) => g.dispose());
      return info.peakBytes;
    };
    for (const pool of [one, two]) {
      await peak(pool, 4); // warm: constants (masks) cached on first use
      const few = await peak(pool, 4);
      const many = await peak(pool, 12);
      // Buffering every micro-batch would add 8 gradient copies; summing as they arrive adds none.
      assert.ok(
        many - few < gradientBytes,
        `${pool.workers} worker(s): peak ${few} B with 4 micro-batches, ${many} B with 12 (one gradient copy: ${gradientBytes} B)`,
      );
    }
    Object.values(vars).forEach((v) => v.dispose());
  });

  it('a worker that dies mid-step, or at start-up, fails the step within seconds, naming it', async () => {
    const { config, vars } = tinyModel();
    const job = { kind: 'windows' as const, ids: new Int32Array([1, 2, 3]), rows: 1, len: 3, weight: 1, kernels: 'fast' as const };
    const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
    const before = tf.memory().numTensors;
    const dying = new GradientPool(2, { entry: fixture('worker-exits-mid-step.ts') });
    await assert.rejects(() => dying.gradients([job, job], config, vars), /gradient worker 1 died \(exit code 7\)/);
    dying.close();
    const broken = new GradientPool(2, { entry: fixture('worker-fails-at-start.ts') });
    await assert.rejects(() => broken.gradients([job, job, job, job], config, vars), /gradient worker 1 died \(exit code 1: .*this backend cannot start here/);
    // The next step starts a new worker (which fails the same way here), rather than waiting on the dead one.
    await assert.rejects(() => broken.gradients([job, job], config, vars), /gradient worker 1 died/);
    broken.close();
    assert.equal(tf.memory().numTensors, before);
    Object.values(vars).forEach((v) => v.dispose());
  });

  it("an answer of an abandoned step is never read as the next step's", async () => {
    const { config, vars } = tinyModel();
    const good = { kind: 'windows' as const, ids: new Int32Array([1, 2, 3]), rows: 1, len: 3, weight: 1, kernels: 'fast' as const };
    const bad = { ...good, rows: 2 };
    const reference = await one.gradients([good, good], config, vars);
    // This thread's job 0 fails while the worker computes job 1: its answer arrives after the step was abandoned.
    await assert.rejects(() => two.gradients([bad, good], config, vars), /should have 6 values but has 3/);
    const next = await two.gradients([good, good], config, vars);
    for (const [name, g] of Object.entries(reference.grads)) assert.deepEqual(next.grads[name].dataSync(), g.dataSync(), name);
    assert.equal(next.loss, reference.loss);
    for (const s of [reference, next]) Object.values(s.grads).forEach((g) => g.dispose());
    Object.values(vars).forEach((v) => v.dispose());
  });

  it('restores the process pool when the work under it throws', async () => {
    const before = defaultPool().workers;
    await assert.rejects(
      withDefaultPool(before + 1, async () => {
        assert.equal(defaultPool().workers, before + 1);
        throw new Error('base build failed');
      }),
      /base build failed/,
    );
    assert.equal(defaultPool().workers, before);
  });

  it('the default shares the cores among --jobs processes', () => {
    assert.equal(defaultWorkers(1, 2), 2);
    assert.equal(defaultWorkers(2, 2), 1);
    assert.equal(defaultWorkers(3, 16), 5);
    assert.equal(defaultWorkers(4, 2), 1);
    assert.throws(() => new GradientPool(0), /positive integer/);
  });
});
