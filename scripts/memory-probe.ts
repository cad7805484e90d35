/**
 * npm run memory-probe -- --model pythia-70m|pythia-160m|pythia-410m|pythia-1b [--train [--workers N]] [--reference] [--tokens T]
 * Does a model of that shape fit this machine's backend? Builds random fp32 weights of the Pythia shape, runs one
 * forward pass (or, with --train, one AdamW training step on the next-token loss, plus a frozen reference copy
 * with --reference as an IM-RM needs) on one sequence of T tokens, and prints the bytes tfjs holds at the peak.
 * The wasm backend keeps every tensor in one WebAssembly heap of at most 4 GB, whatever the machine's RAM.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { PYTHIA_SHAPES, pythiaConfig } from '../lib/experiments/bench-shapes';
import { paramSpecs } from '../lib/model/params';
import { AdamW } from '../lib/train/adamw';
import { GradientPool } from '../lib/train/data-parallel';
import { windowLoss } from '../lib/train/lm';
import { describePlan, planMemory } from '../lib/train/memory-plan';

async function main() {
  const argv = process.argv.slice(2);
  const name = argv[argv.indexOf('--model') + 1];
  if (!(name in PYTHIA_SHAPES) || !argv.includes('--model')) throw new Error(`--model must be one of ${Object.keys(PYTHIA_SHAPES).join(', ')}`);
  const T = argv.includes('--tokens') ? Number(argv[argv.indexOf('--tokens') + 1]) : 128;
  const train = argv.includes('--train');
  const workers = argv.includes('--workers') ? Number(argv[argv.indexOf('--workers') + 1]) : 1;
  const backend = await initBackend();
  const config = pythiaConfig(name as keyof typeof PYTHIA_SHAPES, T);
  let peak = 0;
  const note = () => {
    peak = Math.max(peak, tf.memory().numBytes);
  };
  const t0 = Date.now();
  try {
    const vars: Record<string, tf.Variable> = {};
    for (const s of paramSpecs(config)) {
      const init = tf.randomNormal(s.shape, 0, 0.02, 'float32', 1);
      vars[s.name] = tf.variable(init, train);
      init.dispose();
    }
    const params = Object.values(vars).reduce((n, v) => n + v.size, 0);
    const reference = argv.includes('--reference') ? Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, tf.clone(v)])) : null;
    note();
    const lm = { config, params: vars as Record<string, tf.Tensor> };
    const ids = tf.tensor2d(
      Int32Array.from({ length: T }, (_, i) => (i * 7919) % 50304),
      [1, T],
      'int32',
    );
    if (train) {
      const opt = new AdamW(vars, { lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
      // With workers: one sequence per worker, summed here (this thread also holds every worker's gradients).
      const sequence = (await ids.data()) as Int32Array;
      const jobs = Array.from({ length: workers }, () => ({
        kind: 'windows' as const,
        ids: sequence,
        rows: 1,
        len: T,
        weight: 1 / workers,
        kernels: 'fast' as const,
      }));
      const pool = new GradientPool(workers);
      // The profile's peak includes what the backward pass holds at its fullest, between the points note() sees.
      const profile = await tf.profile(async () => {
        const { grads } = await pool.gradients(jobs, config, vars);
        opt.apply(grads);
        tf.dispose(Object.values(grads));
      });
      pool.close();
      peak = Math.max(peak, profile.peakBytes);
      opt.dispose();
    } else {
      const out = tf.tidy(() => windowLoss(lm, ids));
      await out.data();
      note();
      out.dispose();
    }
    if (reference) tf.dispose(Object.values(reference));
    const plan = planMemory({ config, rows: train ? 1 : 0, tokens: T, reference: reference !== null });
    const estimate = train ? plan.total : plan.weights + plan.reference;
    console.log(`planner's estimate (lib/train/memory-plan.ts): ${(estimate / 2 ** 30).toFixed(2)} GiB${train ? ` = ${describePlan(plan)}` : ''}`);
    console.log(
      `${name} (${(params / 1e6).toFixed(0)}M params, ${backend.backend}): ${train ? `training step (${workers} worker(s), ${workers} x ${T} tokens)` : `forward on ${T} tokens`} fits; peak tfjs memory ${(peak / 2 ** 30).toFixed(2)} GiB, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  } catch (e) {
    console.log(
      `${name} (${backend.backend}): ${train ? 'training step' : 'forward'} on ${T} tokens does NOT fit (${(e as Error).message.slice(0, 80)}); peak tfjs memory before failing ${(peak / 2 ** 30).toFixed(2)} GiB`,
    );
  }
}

main();
