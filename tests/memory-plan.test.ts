/** The memory planner (lib/train/memory-plan.ts): its parts in closed form, its refusals, and its estimate against a measured peak. */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setup } from './helpers';
import type { BackendInfo } from '../lib/backend';
import { resolveModelConfig } from '../lib/model/config';
import { initParams, paramSpecs } from '../lib/model/params';
import { AdamW } from '../lib/train/adamw';
import { GradientPool } from '../lib/train/data-parallel';
import { assertFits, checkMemory, memoryCapacity, planMemory } from '../lib/train/memory-plan';

before(setup);

const pythia1b = resolveModelConfig({ vocabSize: 50304, dModel: 2048, nLayers: 16, nHeads: 8, nKvHeads: 8, dMlp: 8192, contextLength: 512 });
const small = resolveModelConfig({ vocabSize: 2000, dModel: 128, nLayers: 2, nHeads: 4, nKvHeads: 4, dMlp: 512, contextLength: 64 });
const wasm: BackendInfo = { backend: 'wasm', tfBackend: 'wasm', tfjsVersion: '4.22.0', skipped: {} };
const gpu = (maxBinding: number): BackendInfo => ({
  backend: 'webgpu',
  tfBackend: 'webgpu',
  tfjsVersion: '4.22.0',
  skipped: {},
  webgpu: {
    vendor: 'test',
    architecture: '',
    device: '',
    description: 'a test adapter',
    software: false,
    route: 'vulkan',
    featureLevel: 'core',
    limits: {
      maxBufferSize: maxBinding,
      maxStorageBufferBindingSize: maxBinding,
      maxComputeWorkgroupStorageSize: 32768,
      maxComputeInvocationsPerWorkgroup: 256,
    },
  },
});

describe('memory plan', () => {
  it('weights, gradients (one micro-batch and the sum), AdamW moments and the reference, in closed form', () => {
    const values = paramSpecs(small).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    const p = planMemory({ config: small, rows: 2, tokens: 32 });
    assert.equal(p.weights, 4 * values);
    assert.equal(p.gradients, 8 * values);
    assert.equal(p.adamMoments, 8 * values);
    assert.equal(p.reference, 0);
    assert.equal(planMemory({ config: small, rows: 2, tokens: 32, reference: true }).reference, 4 * values);
    assert.equal(planMemory({ config: small, rows: 2, tokens: 32, head: true }).weights, 4 * (values + small.dModel));
    // Activations grow with the micro-batch; nothing else does.
    const q = planMemory({ config: small, rows: 4, tokens: 32 });
    assert.equal(q.activations, 2 * p.activations);
    assert.equal(q.total - q.activations, p.total - p.activations);
  });

  it('refuses a 1B model on wasm, naming the numbers and what to change', () => {
    const plan = planMemory({ config: pythia1b, rows: 2, tokens: 512, reference: true });
    assert.throws(
      () => assertFits(plan, memoryCapacity(wasm), 'train.microBatchSize'),
      /does not fit: needs about .*GB: weights .*the wasm heap \(4 GB at most per process\) holds 4\.00 GB\. the weights, gradients and optimiser state alone do not fit/,
    );
  });

  it('names the micro-batch knob when activations are what overflows', () => {
    const plan = planMemory({ config: small, rows: 4096, tokens: 64 });
    assert.ok(plan.weights + plan.gradients + plan.adamMoments < 2 ** 30);
    assert.throws(() => assertFits(plan, memoryCapacity(wasm), 'train.microBatchSize'), /lower train\.microBatchSize/);
    assert.doesNotThrow(() => assertFits(planMemory({ config: small, rows: 4, tokens: 64 }), memoryCapacity(wasm), 'train.microBatchSize'));
  });

  it('on WebGPU: the per-tensor binding limit always, the total only when IMRM_GPU_MEMORY_GB states it', () => {
    const plan = planMemory({ config: pythia1b, rows: 2, tokens: 512 });
    assert.throws(
      () => assertFits(plan, memoryCapacity(gpu(128 * 2 ** 20), {}), 'k'),
      /largest tensor takes .*binds at most 0\.13 GB per tensor.*a weight matrix alone exceeds that limit/,
    );
    assert.doesNotThrow(() => assertFits(plan, memoryCapacity(gpu(2 ** 32), {}), 'k'));
    assert.throws(() => assertFits(plan, memoryCapacity(gpu(2 ** 32), { IMRM_GPU_MEMORY_GB: '8' }), 'k'), /holds 8\.00 GB/);
    assert.doesNotThrow(() => assertFits(plan, memoryCapacity(gpu(2 ** 32), { IMRM_GPU_MEMORY_GB: '40' }), 'k'));
    assert.throws(() => memoryCapacity(gpu(2 ** 32), { IMRM_GPU_MEMORY_GB: 'lots' }), /IMRM_GPU_MEMORY_GB must be a positive number/);
  });

  it("the estimate is within 0.75-1.3x of a training step's measured peak", async () => {
    const rows = 4;
    const tokens = 64;
    const vars = initParams(small, 1);
    const opt = new AdamW(vars, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    const ids = Int32Array.from({ length: rows * tokens }, (_, i) => (i * 7919) % small.vocabSize);
    const pool = new GradientPool(1);
    const step = async () => {
      const { grads } = await pool.gradients([{ kind: 'windows', ids, rows, len: tokens, weight: 1, kernels: 'fast' }], small, vars);
      opt.apply(grads);
      tf.dispose(Object.values(grads));
    };
    await step(); // AdamW's moments and the cached constants exist from here on
    const peak = (await tf.profile(step)).peakBytes;
    const plan = checkMemory({ config: small, rows, tokens }, 'k');
    const ratio = plan.total / peak;
    assert.ok(ratio > 0.75 && ratio < 1.3, `estimate ${plan.total} against measured ${peak} (ratio ${ratio.toFixed(2)})`);
    opt.dispose();
    tf.dispose(Object.values(vars));
  });
});
