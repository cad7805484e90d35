/**
 * npm run bench -- [--json] [--steps N] [--warmup N]
 * Trains the bench model (2 layers, width 128, 4 heads, context 64, batch 16, vocabulary 512; next-token loss,
 * AdamW) with two variants in the same process, interleaved step by step so machine noise hits both alike:
 *   baseline  tfjs default ops and autodiff (kernels 'reference': one-hot embedding, transpose-flag matmuls)
 *   default   the project's training path (kernels 'fast')
 * Prints one JSON line per variant: variant, backend, ms_per_step (median), steps_per_s, tokens_per_s,
 * tensors_before, tensors_after.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { resolveModelConfig } from '../lib/model/config';
import { initParams } from '../lib/model/params';
import type { KernelName } from '../lib/model/kernels';
import { AdamW } from '../lib/train/adamw';
import { gradsByName } from '../lib/train/checkpointing';
import { windowLoss } from '../lib/train/lm';
import { Rng } from '../lib/random';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main() {
  const json = process.argv.includes('--json');
  const steps = arg('--steps', 10);
  const warmup = arg('--warmup', 2);
  const info = await initBackend();
  const config = resolveModelConfig({ vocabSize: 512, dModel: 128, nLayers: 2, nHeads: 4, nKvHeads: 4, contextLength: 64, dMlp: 512 });
  const B = 16,
    T = 64;
  const rng = new Rng(1);
  const batch = () =>
    tf.tensor2d(
      Int32Array.from({ length: B * T }, () => rng.int(config.vocabSize)),
      [B, T],
      'int32',
    );
  const variants: Array<{ name: string; kernels: KernelName }> = [
    { name: 'baseline', kernels: 'reference' },
    { name: 'default', kernels: 'fast' },
  ];
  const state = variants.map((v) => {
    const vars = initParams(config, 1);
    return { ...v, vars, opt: new AdamW(vars, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }), times: [] as number[], before: 0, after: 0 };
  });
  const step = (s: (typeof state)[number]) => {
    const ids = batch();
    const t0 = performance.now();
    const { loss, grads } = gradsByName(() => tf.tidy(() => windowLoss({ config, params: s.vars }, ids, s.kernels)), s.vars);
    s.opt.apply(grads);
    loss.dataSync(); // wait for the step to finish
    const ms = performance.now() - t0;
    loss.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    ids.dispose();
    return ms;
  };
  for (let i = 0; i < warmup; i++) state.forEach((s) => step(s));
  state.forEach((s) => (s.before = tf.memory().numTensors));
  for (let i = 0; i < steps; i++) state.forEach((s) => s.times.push(step(s)));
  state.forEach((s) => (s.after = tf.memory().numTensors));
  const rows = state.map((s) => {
    const sorted = s.times.slice().sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    return {
      variant: s.name,
      backend: info.backend,
      ms_per_step: Number(median.toFixed(1)),
      steps_per_s: Number((1000 / median).toFixed(3)),
      tokens_per_s: Math.round((B * T * 1000) / median),
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
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
