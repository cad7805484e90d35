/** Shared test helpers: backend set-up, tolerant comparisons, a tiny model. */
import * as assert from 'node:assert/strict';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { type ModelConfig, resolveModelConfig } from '../lib/model/config';
import { initParams } from '../lib/model/params';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Tests use temporary run stores only. The default store (./runs, where a developer's own results live) is
 * listed when a test file starts and again when it exits: anything written there fails that file, named.
 */
const DEFAULT_STORE = path.resolve(__dirname, '..', 'runs');

function storeListing(root: string, depth = 3): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(root, e.name);
    const line = `${path.relative(DEFAULT_STORE, full)} ${fs.statSync(full).mtimeMs}`;
    return e.isDirectory() && depth > 1 ? [line, ...storeListing(full, depth - 1)] : [line];
  });
}

const storeBefore = storeListing(DEFAULT_STORE);
process.on('exit', () => {
  const after = storeListing(DEFAULT_STORE);
  const changed = after.filter((l) => !storeBefore.includes(l)).map((l) => l.split(' ')[0]);
  if (changed.length === 0) return;
  console.error(`this test file wrote to the default run store ${DEFAULT_STORE}: ${changed.slice(0, 5).join(', ')}; tests must use temporary stores`);
  process.exitCode = 1;
});

// Tests read the offline data mirror beside the project (CI: ../shared/data) unless told otherwise.
process.env.IMRM_DATA_DIR ??= path.resolve(__dirname, '..', '..', 'shared', 'data');
export const SHARED_DATA = process.env.IMRM_DATA_DIR;

export async function setup(): Promise<void> {
  await initBackend();
}

export function assertClose(actual: number, expected: number, tol = 1e-5, what = ''): void {
  const ok = Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
  assert.ok(ok, `${what} expected ${expected}, got ${actual} (tolerance ${tol})`);
}

export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], tol, `${what}[${i}]`);
}

export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return resolveModelConfig({ vocabSize: 12, dModel: 16, nLayers: 1, nHeads: 2, nKvHeads: 2, contextLength: 16, dMlp: 32, ...overrides });
}

export function tinyModel(overrides: Partial<ModelConfig> = {}, seed = 7) {
  const config = tinyConfig(overrides);
  const vars = initParams(config, seed);
  return { config, vars, model: { config, params: vars as Record<string, tf.Tensor> } };
}
