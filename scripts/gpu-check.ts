/**
 * npm run gpu-check: for someone who just got a GPU machine. Finds the WebGPU adapter (a hardware one; a software one
 * only with IMRM_WEBGPU_ADAPTER=software), prints it and its limits, times a large matrix product, a training step
 * of the bench model and of the in-project LM, and one EX-RM and one IM-RM preference step (frozen reference) on
 * Pythia-shaped models with random weights at 160M and 410M (and 14M on a software adapter), with their peak memory, or the planner's refusal.
 * Exits 1 with one line when there is no adapter, saying what to install. Also runs from its bundle
 * (npm run gpu-check:bundle), without node_modules.
 */
import * as tf from '@tensorflow/tfjs';
import { backendLine, startWebGpu } from '../lib/backend';
import { findAdapter } from '../lib/gpu/webgpu';
import { type PYTHIA_SHAPES, inProjectLmShape, pythiaConfig } from '../lib/experiments/bench-shapes';
import { initParams } from '../lib/model/params';
import { REWARD_MODELS, sequenceLogProbs } from '../lib/rewards/reward-model';
import { batchTensors, buildPairBatch } from '../lib/rewards/sequences';
import { initExplicitHead } from '../lib/rewards/explicit';
import { AdamW } from '../lib/train/adamw';
import { BENCH_SHAPE, type BenchShape, benchData } from '../lib/train/bench';
import { GradientPool } from '../lib/train/data-parallel';
import { HEAD_VARIABLE } from '../lib/train/gradient-jobs';
import { lmStep } from '../lib/train/lm';
import { checkMemory, describePlan } from '../lib/train/memory-plan';
import { Rng } from '../lib/random';

const ADAM = { lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

async function timeMatMul(n: number): Promise<string> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const once = async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  await once(); // compiles the shader
  const t0 = performance.now();
  await once();
  const s = (performance.now() - t0) / 1000;
  tf.dispose([a, b]);
  return `matrix product ${n} x ${n}: ${((2 * n ** 3) / s / 1e9).toFixed(1)} GFLOP/s (${(s * 1000).toFixed(0)} ms, read-back included)`;
}

async function timeLmStep(name: string, shape: BenchShape, steps: number): Promise<string> {
  const vars = initParams(shape.config, 1);
  const opt = new AdamW(vars, { ...ADAM, lr: 1e-3 });
  const { stream, starts } = benchData(shape);
  await lmStep({ config: shape.config, params: vars }, vars, opt, stream, starts(), shape.context); // shaders compile
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await lmStep({ config: shape.config, params: vars }, vars, opt, stream, starts(), shape.context);
  const ms = (performance.now() - t0) / steps;
  opt.dispose();
  tf.dispose(Object.values(vars));
  return `${name} training step (${shape.batch} x ${shape.context} tokens): ${ms.toFixed(0)} ms/step`;
}

/** One EX-RM and one IM-RM step on a pair of `tokens`-token sequences, or the planner's refusal. */
async function preferenceStep(model: keyof typeof PYTHIA_SHAPES, tokens: number): Promise<string[]> {
  const config = pythiaConfig(model, tokens);
  const out: string[] = [];
  for (const rm of ['ex', 'im'] as const) {
    const what = `${model} ${rm.toUpperCase()}-RM step (1 pair, ${tokens} tokens${rm === 'im' ? ', frozen reference' : ''})`;
    let plan: ReturnType<typeof checkMemory>;
    try {
      plan = checkMemory({ config, rows: 2, tokens, reference: rm === 'im', head: rm === 'ex' }, '--tokens');
    } catch (e) {
      out.push(`${what}: refused by the memory planner: ${(e as Error).message}`);
      continue;
    }
    const rng = new Rng(3);
    const ids = (n: number) => Array.from({ length: n }, () => rng.int(config.vocabSize));
    const half = tokens / 2;
    const batch = buildPairBatch([{ id: 'p', prompt: ids(half), chosen: ids(half), rejected: ids(half) }], 0, tokens);
    const vars: Record<string, tf.Variable> = initParams(config, 1);
    if (rm === 'ex') vars[HEAD_VARIABLE] = initExplicitHead(config.dModel, 2);
    const reference =
      rm === 'im' ? ((await tf.tidy(() => sequenceLogProbs({ config, params: vars }, batchTensors(batch), 'sum')).data()) as Float32Array) : null;
    const opt = new AdamW(vars, ADAM);
    const pool = new GradientPool(1);
    const step = async () => {
      const { grads } = await pool.gradients([{ kind: 'pairs', spec: REWARD_MODELS[rm], batch, reference, weight: 1, kernels: 'fast' }], config, vars);
      opt.apply(grads);
      tf.dispose(Object.values(grads));
    };
    await step();
    const t0 = performance.now();
    const peak = (await tf.profile(step)).peakBytes;
    out.push(`${what}: ${(performance.now() - t0).toFixed(0)} ms/step, peak ${(peak / 2 ** 30).toFixed(2)} GiB (planned ${describePlan(plan)})`);
    opt.dispose();
    tf.dispose(Object.values(vars));
  }
  return out;
}

async function main() {
  const found = await findAdapter();
  if (found instanceof Error) {
    console.error(`gpu-check: ${found.message}`);
    process.exit(1);
  }
  const info = await startWebGpu(found);
  console.log(backendLine(info));
  console.log(`limits: ${JSON.stringify(info.webgpu?.limits)}`);
  const software = info.webgpu?.software;
  console.log(await timeMatMul(software ? 512 : 4096));
  console.log(await timeLmStep('bench model', BENCH_SHAPE(), software ? 1 : 10));
  console.log(await timeLmStep('in-project LM', inProjectLmShape(), software ? 1 : 5));
  // On a software adapter the preference step runs on Pythia-14m (160M exceeds its 128 MB per tensor, 70M takes minutes).
  const models = software ? (['pythia-14m', 'pythia-160m', 'pythia-410m'] as const) : (['pythia-160m', 'pythia-410m'] as const);
  for (const model of models) for (const line of await preferenceStep(model, 128)) console.log(line);
}

main().catch((e) => {
  console.error(`gpu-check: ${(e as Error).message}`);
  process.exit(1);
});
