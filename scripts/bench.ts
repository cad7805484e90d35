/**
 * npm run bench -- [--json] [--steps N] [--warmup N] [--model bench|in-project-lm] [--variants a,b,...] [--engine wasm|native]
 * Trains the bench model (2 layers, width 128, 4 heads, context 64, batch 16, vocabulary 512; next-token loss,
 * AdamW) with four variants in the same process, interleaved step by step so machine noise hits all alike:
 *   baseline   tfjs default ops and autodiff (kernels 'reference': one-hot embedding, transpose-flag matmuls)
 *   default    the project's training path (kernels 'fast'), the batch in one pass
 *   micro-2    the default path with the batch in two micro-batches of 8, on this thread
 *   workers-2  the same two micro-batches on two workers (this thread and one worker thread): bit-identical to
 *              micro-2, so workers-2 vs micro-2 is the parallel speed-up and 2 x workers-2 - micro-2 the overhead
 *              (moving parameters and gradients between the threads; on a busy machine, waiting for a core)
 * --model in-project-lm times the in-project LM's `full` pretraining step instead (1.07M parameters, 16 x 128 tokens,
 * vocabulary 2048); --variants picks rows (e.g. default,micro-2,workers-2).
 * Each engine runs in a process of its own (a process has one backend): wasm (XNNPACK) gives the rows above, native
 * (wasm+openblas, lib/native) the same rows prefixed native- (native, native-micro-2, native-workers-2, ...). Without
 * --engine, both run one after the other (native only where its addon loads); --engine picks one.
 * Prints one JSON line per variant: variant, backend, ms_per_step (median), steps_per_s, tokens_per_s,
 * tensors_before, tensors_after.
 */
import { spawnSync } from 'node:child_process';
import { nativeProblem } from '../lib/native/openblas';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { initParams } from '../lib/model/params';
import type { KernelName } from '../lib/model/kernels';
import { AdamW } from '../lib/train/adamw';
import { lmStep } from '../lib/train/lm';
import { median } from '../lib/runs/stats';
import { GradientPool } from '../lib/train/data-parallel';
import { BENCH_SHAPE, benchData } from '../lib/train/bench';
import { inProjectLmShape } from '../lib/experiments/bench-shapes';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ENGINES: Record<string, string> = { wasm: 'wasm', native: 'wasm+openblas' };

/** Row name of a variant on an engine: the wasm rows keep their names, native ones are prefixed. */
function rowName(variant: string, backend: string): string {
  if (backend !== 'wasm+openblas') return variant;
  return variant === 'default' ? 'native' : `native-${variant}`;
}

/** Without --engine: this same command once per engine, each in its own process, their lines passed through. */
function runEngines(): void {
  const problem = nativeProblem();
  const engines = problem ? ['wasm'] : ['wasm', 'native'];
  if (problem) console.error(`bench: native rows skipped (${problem})`);
  for (const engine of engines) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, ...process.argv.slice(2), '--engine', engine], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, IMRM_BACKEND: ENGINES[engine] },
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

async function main() {
  const engineAt = process.argv.indexOf('--engine');
  if (engineAt < 0) return runEngines();
  const engine = process.argv[engineAt + 1];
  if (!ENGINES[engine]) throw new Error(`--engine must be wasm or native, got '${engine}'`);
  process.env.IMRM_BACKEND = ENGINES[engine];
  const json = process.argv.includes('--json');
  const steps = arg('--steps', 10);
  const warmup = arg('--warmup', 2);
  const info = await initBackend();
  const modelName = process.argv.includes('--model') ? process.argv[process.argv.indexOf('--model') + 1] : 'bench';
  const shape = modelName === 'in-project-lm' ? inProjectLmShape() : modelName === 'bench' ? BENCH_SHAPE() : null;
  if (!shape) throw new Error(`--model must be bench or in-project-lm, got '${modelName}'`);
  const { config } = shape;
  const [B, T] = [shape.batch, shape.context];
  const { stream, starts } = benchData(shape);
  const one = new GradientPool(1);
  const two = new GradientPool(2);
  const all: Array<{ name: string; kernels: KernelName; microBatchSize?: number; pool: GradientPool }> = [
    { name: 'baseline', kernels: 'reference', pool: one },
    { name: 'default', kernels: 'fast', pool: one },
    { name: 'micro-2', kernels: 'fast', microBatchSize: B / 2, pool: one },
    { name: 'workers-2', kernels: 'fast', microBatchSize: B / 2, pool: two },
  ];
  const picked = process.argv.includes('--variants') ? process.argv[process.argv.indexOf('--variants') + 1].split(',') : all.map((v) => v.name);
  const variants = all.filter((v) => picked.includes(v.name));
  if (variants.length !== picked.length) throw new Error(`--variants must name some of ${all.map((v) => v.name).join(', ')}`);
  const state = variants.map((v) => {
    const vars = initParams(config, 1);
    return { ...v, vars, opt: new AdamW(vars, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }), times: [] as number[], before: 0, after: 0 };
  });
  const step = async (s: (typeof state)[number]) => {
    const t0 = performance.now();
    await lmStep({ config, params: s.vars }, s.vars, s.opt, stream, starts(), T, { kernels: s.kernels, microBatchSize: s.microBatchSize, pool: s.pool });
    return performance.now() - t0; // lmStep reads the loss back, so the step has finished
  };
  for (let i = 0; i < warmup; i++) for (const s of state) await step(s);
  state.forEach((s) => (s.before = tf.memory().numTensors));
  for (let i = 0; i < steps; i++) for (const s of state) s.times.push(await step(s));
  state.forEach((s) => (s.after = tf.memory().numTensors));
  const rows = state.map((s) => {
    const ms = median(s.times);
    return {
      variant: rowName(s.name, info.backend),
      backend: info.backend,
      ms_per_step: Number(ms.toFixed(1)),
      steps_per_s: Number((1000 / ms).toFixed(3)),
      tokens_per_s: Math.round((B * T * 1000) / ms),
      tensors_before: s.before,
      tensors_after: s.after,
    };
  });
  if (json) rows.forEach((r) => console.log(JSON.stringify(r)));
  else {
    console.log(
      `${modelName} model: ${config.nLayers} layers, width ${config.dModel}, ${config.nHeads} heads, ${B} x ${T} tokens, vocab ${config.vocabSize}; ${steps} steps after ${warmup} warm-up, backend ${info.backend}`,
    );
    for (const r of rows)
      console.log(
        `${r.variant.padEnd(16)} ${String(r.ms_per_step).padStart(8)} ms/step  ${r.steps_per_s.toFixed(2)} steps/s  ${r.tokens_per_s} tokens/s  tensors ${r.tensors_before} -> ${r.tensors_after}`,
      );
    const ms = (name: string) => rows.find((r) => r.variant === name)?.ms_per_step;
    const [base, def, micro, workers] = ['baseline', 'default', 'micro-2', 'workers-2'].map((v) => ms(rowName(v, info.backend)));
    if (base && def) console.log(`speed-up of default over baseline: ${(base / def).toFixed(2)}x`);
    if (micro && workers)
      console.log(
        `two workers: ${(micro / workers).toFixed(2)}x micro-2 (ideal 2x); overhead 2 x workers-2 - micro-2 = ${(2 * workers - micro).toFixed(1)} ms/step (moving parameters and gradients, plus any time the second core is not free)`,
      );
  }
  two.close();
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
