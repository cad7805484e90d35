/**
 * The native kernels (lib/native): cblas_sgemm on the wasm heap against a plain JavaScript product (the oracle), every
 * transpose flag and broadcast; bounds checks; the engine choice and its fallback. On a machine where the addon
 * cannot build, the product tests are skipped and say why, except in CI, which installs OpenBLAS: there the engine
 * must be native unless IMRM_NATIVE=0 asks for the fallback (.ci/run runs both).
 */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setup } from './helpers';
import { backendInfo, backendLine } from '../lib/backend';
import { blasThreads, defaultCoreType, loadAddon, nativeKernelsActive, nativeProblem } from '../lib/native/openblas';
import { Rng } from '../lib/random';
import { AdamW } from '../lib/train/adamw';
import { columnSumByOps, geluByOps, layerNormByOps, softmaxGradByOps } from '../lib/model/kernels';
import { fusedColumnSum } from '../lib/native/fused';
import { geluFused, layerNormFused, softmaxGradFused } from '../lib/model/native-kernels';

before(setup);
const native = () => backendInfo().backend === 'wasm+openblas';
/** Skips (saying why) where the native engine is not running; returns whether it is. */
function nativeOrSkip(t: { skip(reason: string): void }): boolean {
  if (native()) return true;
  t.skip(`native kernels not active (${nativeProblem() ?? `IMRM_BACKEND=${process.env.IMRM_BACKEND}`})`);
  return false;
}

/** op(A) op(B) for row-major A, B of one batch entry, in float64. */
function product(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  return out;
}

const randn = (n: number, rng: Rng) => Float32Array.from({ length: n }, () => rng.normal());

describe('engine choice', () => {
  it('CI runs the native engine unless IMRM_NATIVE=0 asks for the fallback', () => {
    if (process.env.CI !== 'true') return;
    const expected = process.env.IMRM_NATIVE === '0' ? 'wasm' : 'wasm+openblas';
    assert.equal(backendInfo().backend, expected, backendLine());
  });

  it('records the BLAS library, its processor kernel and threads in the backend info', (t) => {
    if (!nativeOrSkip(t)) return;
    const info = backendInfo().native;
    assert.ok(info, 'backend info without native details');
    assert.match(info.blas, /OpenBLAS \d+\.\d+/);
    assert.ok(info.core.length > 0 && info.threads >= 1, JSON.stringify(info));
    assert.match(backendLine(), /^backend wasm\+openblas \(OpenBLAS/);
    assert.ok(nativeKernelsActive());
  });

  it('IMRM_NATIVE=0 gives plain wasm and one line that says why', () => {
    const code = "require('./lib/backend').initBackend().then((b) => console.log(require('./lib/backend').backendLine(b)))";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, IMRM_NATIVE: '0', IMRM_BACKEND: '' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'backend wasm; not wasm+openblas: IMRM_NATIVE=0');
  });

  it('picks Haswell kernels for an AVX2+FMA processor only when OPENBLAS_CORETYPE is unset, and validates IMRM_BLAS_THREADS', () => {
    assert.equal(defaultCoreType(undefined, new Set(['sse2', 'avx2', 'fma'])), 'Haswell');
    assert.equal(defaultCoreType(undefined, new Set(['sse2', 'avx'])), null);
    assert.equal(defaultCoreType('Zen', new Set(['avx2', 'fma'])), null);
    assert.equal(blasThreads(undefined), 1);
    assert.equal(blasThreads('2'), 2);
    assert.throws(() => blasThreads('two'), /IMRM_BLAS_THREADS must be a positive integer, got 'two'/);
  });
});

describe('native products (cblas_sgemm on the wasm heap)', () => {
  it('equal the plain product for every transpose flag, batch and broadcast', (t) => {
    if (!nativeOrSkip(t)) return;
    const rng = new Rng(3);
    const [m, n, k] = [5, 4, 7];
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      for (const [batchA, batchB] of [
        [3, 3],
        [1, 3],
        [3, 1],
      ]) {
        const a = randn(batchA * m * k, rng);
        const b = randn(batchB * k * n, rng);
        const at = tf.tensor3d(a, ta ? [batchA, k, m] : [batchA, m, k]);
        const bt = tf.tensor3d(b, tb ? [batchB, n, k] : [batchB, k, n]);
        const c = tf.matMul(at, bt, ta, tb);
        const got = c.dataSync();
        assert.deepEqual(c.shape, [Math.max(batchA, batchB), m, n]);
        for (let i = 0; i < Math.max(batchA, batchB); i++) {
          const want = product(a.subarray((batchA === 1 ? 0 : i) * m * k), b.subarray((batchB === 1 ? 0 : i) * k * n), m, n, k, ta, tb);
          for (let j = 0; j < m * n; j++) assert.ok(Math.abs(got[i * m * n + j] - want[j]) < 1e-4, `ta ${ta} tb ${tb} batch ${batchA}/${batchB} [${i}, ${j}]`);
        }
        tf.dispose([at, bt, c]);
      }
    }
  });

  it('an empty inner dimension gives zeros; rank-4 batches work', (t) => {
    if (!nativeOrSkip(t)) return;
    const z = tf.matMul(tf.zeros([2, 3, 0]), tf.zeros([2, 0, 4]));
    assert.deepEqual(Array.from(z.dataSync()), new Array(24).fill(0));
    const a = tf.ones([2, 2, 3, 4]);
    const c = tf.matMul(a, tf.ones([2, 2, 4, 5]));
    assert.deepEqual(c.shape, [2, 2, 3, 5]);
    assert.ok(Array.from(c.dataSync()).every((v) => v === 4));
    tf.dispose([z, a, c]);
  });

  it('the in-place AdamW equals the tfjs ops bit for bit, and leaves a shared tensor alone', (t) => {
    if (!nativeOrSkip(t)) return;
    const rng = new Rng(11);
    for (const weightDecay of [0, 0.01]) {
      const make = () => ({ w: tf.variable(tf.tensor2d(randn(6 * 5, new Rng(5)), [6, 5])), b: tf.variable(tf.tensor1d(randn(5, new Rng(6)))) });
      const [a, b] = [make(), make()];
      const config = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay };
      const [oa, ob] = [new AdamW(a, config), new AdamW(b, config)];
      for (let step = 0; step < 4; step++) {
        const grads = { w: tf.tensor2d(randn(30, rng), [6, 5]), b: tf.tensor1d(randn(5, rng)) };
        oa.apply(grads, config.lr, 'native');
        ob.apply(grads, config.lr, 'tfjs');
        tf.dispose(Object.values(grads));
      }
      for (const k of ['w', 'b'] as const) assert.deepEqual(a[k].dataSync(), b[k].dataSync(), `${k}, weight decay ${weightDecay}`);
      for (const [k, v] of Object.entries(oa.stateTensors())) assert.deepEqual(v.dataSync(), ob.stateTensors()[k].dataSync(), k);
      tf.dispose([...Object.values(a), ...Object.values(b)]);
      oa.dispose();
      ob.dispose();
    }
    // A variable whose data another live tensor shares is updated through tfjs, never in place.
    const init = tf.tensor1d([1, 2, 3]);
    const shared = { p: tf.variable(init) };
    const opt = new AdamW(shared, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    const g = tf.tensor1d([1, 1, 1]);
    opt.apply({ p: g });
    assert.deepEqual(Array.from(init.dataSync()), [1, 2, 3], 'the initial tensor is unchanged');
    assert.notDeepEqual(Array.from(shared.p.dataSync()), [1, 2, 3]);
    tf.dispose([init, g, shared.p]);
    opt.dispose();
  });

  it('refuses a matrix outside the heap instead of writing there', (t) => {
    if (!nativeOrSkip(t)) return;
    const addon = loadAddon();
    assert.ok(addon);
    const heap = new ArrayBuffer(64);
    assert.throws(() => addon.sgemm(heap, 1, 4, 4, 4, 0, 0, 0, 0, 16, 16, 16), /outside the heap/);
    assert.throws(() => addon.sgemm(heap, 1, 2, 2, 2, 0, 0, -4, 0, 0, 4, 4), /non-negative/);
  });
});

describe('Identity on the wasm engines (lib/native/shared-identity.ts)', () => {
  it('shares the data instead of copying it: a clone outlives its source, tensors are freed with the last one', (t) => {
    if (backendInfo().tfBackend !== 'wasm') return t.skip(`not a wasm engine (${backendInfo().backend})`);
    const tensors = tf.memory().numTensors;
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.clone(a);
    assert.equal(b.dataId, a.dataId, 'one buffer for both');
    a.dispose();
    assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3, 4, 5, 6]);
    b.dispose();
    assert.equal(tf.memory().numTensors, tensors);
    assert.ok(!(tf.backend() as unknown as { dataIdMap: { has(id: unknown): boolean } }).dataIdMap.has(b.dataId), 'the buffer is freed with the last tensor');
  });

  it('gradients through saved tensors equal the closed form, and an in-place AdamW never writes shared data', () => {
    // d/dx sum(x * x) = 2x; customGrad saves (clones) x for its backward pass.
    const square = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return { value: x.mul(x), gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => dy.mul(sx).mul(2) };
    }) as never) as (x: tf.Tensor) => tf.Tensor;
    const x = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((v: tf.Tensor) => square(v).sum())(x);
    assert.deepEqual(Array.from(g.dataSync()), [2, -4, 6]);
    // A variable made from a clone shares its data: the optimiser must leave the clone's source alone.
    const source = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(source);
    const vars = { p: tf.variable(copy) };
    const opt = new AdamW(vars, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    opt.apply({ p: g });
    assert.deepEqual(Array.from(source.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3]);
    assert.notDeepEqual(Array.from(vars.p.dataSync()), [1, 2, 3]);
    tf.dispose([x, g, source, copy, vars.p]);
    opt.dispose();
  });
});

describe('fused native kernels (lib/native/fused.ts) against their op-by-op forms', () => {
  it('equals the op-by-op form bit for bit, forward and gradients, in both column-sum orders', (t) => {
    if (!nativeOrSkip(t)) return;
    const rng = new Rng(21);
    for (const [n, d] of [
      [128, 64], // column sums in blocks of 32 rows
      [10, 33], // in one run
      [96, 128],
    ]) {
      const x = tf.tensor2d(
        randn(n * d, rng).map((v, i) => v * (1 + (i % 7)) + 3),
        [n, d],
      );
      const gain = tf.tensor1d(randn(d, rng));
      const bias = tf.tensor1d(randn(d, rng));
      const weights = tf.tensor2d(randn(n * d, rng), [n, d]);
      const run = (ln: typeof layerNormByOps) => {
        const y = ln(x, gain, bias, 1e-5);
        const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          ln(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5)
            .mul(weights)
            .sum(),
        )([x, gain, bias]);
        const out = [y, ...grads].map((v) => v.dataSync().slice());
        tf.dispose([y, ...grads]);
        return out;
      };
      const tensors = tf.memory().numTensors;
      const [fused, ops] = [run(layerNormFused), run(layerNormByOps)];
      ['y', 'dx', 'dgain', 'dbias'].forEach((name, i) => assert.deepEqual(fused[i], ops[i], `${name} (${n} x ${d})`));
      assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
      tf.dispose([x, gain, bias, weights]);
    }
  });

  it('GELU: value and gradient bit for bit', (t) => {
    if (!nativeOrSkip(t)) return;
    const rng = new Rng(22);
    const x = tf.tensor2d(
      randn(64 * 96, rng).map((v, i) => v * (i % 5)),
      [64, 96],
    );
    const weights = tf.tensor2d(randn(64 * 96, rng), [64, 96]);
    const run = (gelu: typeof geluByOps) => {
      const y = gelu(x);
      const g = tf.grad((a: tf.Tensor) =>
        gelu(a as tf.Tensor2D)
          .mul(weights)
          .sum(),
      )(x);
      const out = [y.dataSync().slice(), g.dataSync().slice()];
      tf.dispose([y, g]);
      return out;
    };
    const [fused, ops] = [run(geluFused), run(geluByOps)];
    assert.deepEqual(fused[0], ops[0], 'value');
    assert.deepEqual(fused[1], ops[1], 'gradient');
    tf.dispose([x, weights]);
  });

  it('softmax backward with the score scale: bit for bit, rank 3', (t) => {
    if (!nativeOrSkip(t)) return;
    const rng = new Rng(23);
    const [c, rows, cols] = [6, 17, 40];
    const p = tf.softmax(tf.tensor3d(randn(c * rows * cols, rng), [c, rows, cols]));
    const dP = tf.tensor3d(randn(c * rows * cols, rng), [c, rows, cols]);
    const [fused, ops] = [softmaxGradFused(dP, p, 0.17677669), softmaxGradByOps(dP, p, 0.17677669)];
    assert.deepEqual(fused.shape, ops.shape);
    assert.deepEqual(fused.dataSync(), ops.dataSync());
    tf.dispose([p, dP, fused, ops]);
  });

  it('column sums: bit for bit in both orders (blocks of 32 rows, one run)', (t) => {
    if (!nativeOrSkip(t)) return;
    const rng = new Rng(24);
    for (const [n, d] of [
      [128, 48],
      [10, 7],
      [96, 5],
      [64, 1],
    ]) {
      const x = tf.tensor2d(
        randn(n * d, rng).map((v, i) => v * 10 ** (i % 4)),
        [n, d],
      );
      const [fused, ops] = [fusedColumnSum(x), columnSumByOps(x)];
      assert.deepEqual(fused.dataSync(), ops.dataSync(), `${n} x ${d}`);
      tf.dispose([x, fused, ops]);
    }
  });
});
