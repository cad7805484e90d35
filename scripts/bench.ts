/**
 * npm run bench -- [--json] [--steps N] [--warmup N]
 * Trains the bench model (2 layers, width 128, 4 heads, context 64, batch 16, vocabulary 512; next-token loss,
 * AdamW) with four variants in the same process, interleaved step by step so machine noise hits all alike:
 *   baseline   tfjs default ops and autodiff (kernels 'reference': one-hot embedding, transpose-flag matmuls)
 *   default    the project's training path (kernels 'fast'), the batch in one pass
 *   micro-2    the default path with the batch in two micro-batches of 8, on this thread
 *   workers-2  the same two micro-batches on two workers (this thread and one worker thread): bit-identical to
 *              micro-2, so workers-2 vs micro-2 is the parallel speed-up and 2 x workers-2 - micro-2 the cost of
 *              moving parameters and gradients between the threads
 * Prints one JSON line per variant: variant, backend, ms_per_step (median), steps_per_s, tokens_per_s,
 * tensors_before, tensors_after.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { initParams } from '../lib/model/params';
import type { KernelName } from '../lib/model/kernels';
import { AdamW } from '../lib/train/adamw';
import { lmStep } from '../lib/train/lm';
import { median } from '../lib/runs/stats';
import { GradientPool } from '../lib/train/data-parallel';
import { BENCH_BATCH, BENCH_CONTEXT, benchData, benchModelConfig } from '../lib/train/bench';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main() {
  const json = process.argv.includes('--json');
  const steps = arg('--steps', 10);
  const warmup = arg('--warmup', 2);
  const info = await initBackend();
  const config = benchModelConfig();
  const [B, T] = [BENCH_BATCH, BENCH_CONTEXT];
  const { stream, starts } = benchData();
  const one = new GradientPool(1);
  const two = new GradientPool(2);
  const variants: Array<{ name: string; kernels: KernelName; microBatchSize?: number; pool: GradientPool }> = [
    { name: 'baseline', kernels: 'reference', pool: one },
    { name: 'default', kernels: 'fast', pool: one },
    { name: 'micro-2', kernels: 'fast', microBatchSize: B / 2, pool: one },
    { name: 'workers-2', kernels: 'fast', microBatchSize: B / 2, pool: two },
  ];
  const state = variants.map((v) => {
    const vars = initParams(config, 1);
    return { ...v, vars, opt: new AdamW(vars, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }), times: [] as number[], before: 0, after: 0 };
  });
  const step = (s: (typeof state)[number]) => {
    const t0 = performance.now();
    lmStep({ config, params: s.vars }, s.vars, s.opt, stream, starts(), T, { kernels: s.kernels, microBatchSize: s.microBatchSize, pool: s.pool });
    return performance.now() - t0; // lmStep reads the loss back, so the step has finished
  };
  for (let i = 0; i < warmup; i++) state.forEach((s) => step(s));
  state.forEach((s) => (s.before = tf.memory().numTensors));
  for (let i = 0; i < steps; i++) state.forEach((s) => s.times.push(step(s)));
  state.forEach((s) => (s.after = tf.memory().numTensors));
  const rows = state.map((s) => {
    const ms = median(s.times);
    return {
      variant: s.name,
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
    console.log(`bench model: 2 layers, width 128, 4 heads, context 64, batch 16, vocab 512; ${steps} steps after ${warmup} warm-up, backend ${info.backend}`);
    for (const r of rows)
      console.log(
        `${r.variant.padEnd(9)} ${String(r.ms_per_step).padStart(8)} ms/step  ${r.steps_per_s.toFixed(2)} steps/s  ${r.tokens_per_s} tokens/s  tensors ${r.tensors_before} -> ${r.tensors_after}`,
      );
    console.log(`speed-up of default over baseline: ${(rows[0].ms_per_step / rows[1].ms_per_step).toFixed(2)}x`);
    const [micro, workers] = [rows[2].ms_per_step, rows[3].ms_per_step];
    console.log(
      `two workers: ${(micro / workers).toFixed(2)}x micro-2 (ideal 2x); moving parameters and gradients costs ~${(2 * workers - micro).toFixed(1)} ms/step`,
    );
  }
  two.close();
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
