/**
 * The WebGPU engine (lib/gpu/webgpu.ts) against Hugging Face's goldens and the wasm engine, in one process: each
 * quantity is computed on wasm, then on webgpu, from fresh tensors, and read back asynchronously.
 *
 * Runs when IMRM_BACKEND=webgpu (CI: on Mesa's software adapter, IMRM_WEBGPU_ADAPTER=software, see .ci/run); any
 * other run skips it, saying so. With IMRM_REQUIRE_WEBGPU=1 a skip fails instead (CI sets it: a skipped suite does
 * not count). Tolerances (float32; the GPU sums in other orders than XNNPACK and OpenBLAS):
 *  - against the goldens, 1e-4 relative (absolute below magnitude 1), as the wasm parity test;
 *  - against wasm, 2e-5 for forward values and rewards, 1e-4 for gradient norms and weights after training steps.
 */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import './helpers'; // the data mirror and the default-store guard
import { ARCHS, computeQuantities, goldenQuantities, type Quantities, worstErrors } from './golden-quantities';
import { backendLine, initBackend } from '../lib/backend';
import { initParams } from '../lib/model/params';
import { resolveModelConfig } from '../lib/model/config';
import { loadBaseModel } from '../lib/model/load';
import { generate } from '../lib/model/generate';
import { resolvePreferenceTrainConfig, trainPreference } from '../lib/train/preference';
import type { EncodedPair } from '../lib/rewards/sequences';
import { Rng } from '../lib/random';

const wanted = process.env.IMRM_BACKEND === 'webgpu';
const skip = wanted ? false : 'IMRM_BACKEND is not webgpu (CI runs this suite on the software adapter)';
if (!wanted && process.env.IMRM_REQUIRE_WEBGPU === '1') throw new Error('IMRM_REQUIRE_WEBGPU=1 but IMRM_BACKEND is not webgpu');

const TOL_GOLDEN = 1e-4;
const TOL_FORWARD = 2e-5;
const TOL_TRAINED = 1e-4;

/** `fn` on the plain wasm backend, then back on webgpu. Tensors must not cross: each side makes its own. */
async function onWasm<T>(fn: () => Promise<T>): Promise<T> {
  require('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  assert.ok(await tf.setBackend('wasm'));
  try {
    return await fn();
  } finally {
    assert.ok(await tf.setBackend('webgpu'));
  }
}

function assertWithin(errors: Record<string, number>, tol: (name: string) => number, what: string): void {
  const bad = Object.entries(errors).filter(([name, e]) => !(e <= tol(name)));
  assert.deepEqual(bad, [], `${what}: beyond tolerance`);
}

const worst = (errors: Record<string, number>) => Math.max(...Object.values(errors));

describe('webgpu: parity with Hugging Face and with wasm', { skip }, () => {
  before(async () => {
    const info = await initBackend('webgpu');
    console.log(`# ${backendLine(info)}`);
  });

  for (const arch of ARCHS) {
    it(`${arch}: logits, hidden states, log-probs, IM-RM and EX-RM rewards, Bradley-Terry loss, gradient norms, one SGD step`, async () => {
      const expected = goldenQuantities(arch);
      const wasm = await onWasm(() => computeQuantities(arch));
      await computeQuantities(arch); // creates the cached constants (masks) of this backend first
      const before = tf.memory().numTensors;
      const gpu = await computeQuantities(arch);
      assert.equal(tf.memory().numTensors, before, 'tensors left behind on webgpu');
      const vsGolden = worstErrors(gpu, expected);
      const vsWasm = worstErrors(gpu, wasm);
      console.log(`# ${arch}: worst error against the goldens ${worst(vsGolden).toExponential(2)}, against wasm ${worst(vsWasm).toExponential(2)}`);
      assertWithin(vsGolden, () => TOL_GOLDEN, `${arch} against the goldens`);
      assertWithin(vsWasm, (name) => (name.startsWith('gradient') || name.includes('after') ? TOL_TRAINED : TOL_FORWARD), `${arch} against wasm`);
    });
  }

  /** A cue task: the chosen response's token says which group it is in. */
  function cueTask(n: number, seed: number): EncodedPair[] {
    const rng = new Rng(seed);
    return Array.from({ length: n }, (_, i) => ({ id: `p${i}`, prompt: [2, 8 + rng.int(4)], chosen: [4 + rng.int(2), 3], rejected: [6 + rng.int(2), 3] }));
  }

  /** Trains an EX-RM or an IM-RM (with its frozen reference) for a few steps; returns every weight and the curves. */
  async function preferenceRun(rm: 'ex' | 'im'): Promise<Quantities> {
    const config = resolveModelConfig({ vocabSize: 16, dModel: 16, nLayers: 1, nHeads: 2, nKvHeads: 2, contextLength: 16, dMlp: 32 });
    const vars = initParams(config, 7);
    const train = cueTask(8, 1);
    const cfg = resolvePreferenceTrainConfig({ rewardModel: rm, batchSize: 4, microBatchSize: 2, epochs: 2, optimizer: { lr: 3e-3 } });
    const out = await trainPreference(cfg, { base: { config, params: vars as Record<string, tf.Tensor> }, padId: 0, train, evalSplits: { train }, seed: 4 });
    const q: Quantities = { 'train loss': out.trainLoss.map((s) => s.loss), 'final accuracy': [out.final.train.metrics.accuracy] };
    const weights = { ...out.state.lm.params, ...(out.state.head ? { head: out.state.head } : {}) };
    for (const [name, t] of Object.entries(weights)) q[`weight ${name}`] = Array.from(await t.data());
    tf.dispose([...Object.values(weights), ...Object.values(vars)]);
    return q;
  }

  for (const rm of ['ex', 'im'] as const) {
    it(`a preference-training run (${rm.toUpperCase()}-RM${rm === 'im' ? ', frozen reference' : ''}, 4 steps of 2 micro-batches) ends where wasm's does`, async () => {
      const wasm = await onWasm(() => preferenceRun(rm));
      const gpu = await preferenceRun(rm);
      const errors = worstErrors(gpu, wasm);
      // Under an EX-RM the final norm's bias has a zero gradient in exact arithmetic (it adds the same w·b to r+ and
      // r-); what each backend computes is rounding noise, which Adam scales to steps of about lr. Bounded by lr × steps.
      const noise = (name: string) => rm === 'ex' && name === 'weight final_norm.bias';
      const rest = Object.fromEntries(Object.entries(errors).filter(([name]) => !noise(name)));
      console.log(
        `# ${rm}-rm training: worst error against wasm ${worst(rest).toExponential(2)}${rm === 'ex' ? `; final_norm.bias ${errors['weight final_norm.bias'].toExponential(2)}` : ''}`,
      );
      assertWithin(errors, (name) => (noise(name) ? 3e-3 * 4 : TOL_TRAINED), `${rm} training against wasm`);
    });
  }

  it('greedy generation on stories260K, 40 tokens: the same tokens as wasm', async () => {
    const greedy = async () => {
      const base = await loadBaseModel('stories260K');
      const [g] = await generate(base.lm, [[1]], { maxNewTokens: 40, temperature: 0, seed: 1, stopIds: base.stopIds });
      tf.dispose(Object.values(base.lm.params));
      return g.tokens;
    };
    const wasm = await onWasm(greedy);
    const gpu = await greedy();
    assert.equal(gpu.length, 40);
    assert.deepEqual(gpu, wasm);
  });
});
