/**
 * npm run profile-step -- [--steps N] [--kernels fast|reference]
 * Where a training step of the bench model (lib/train/bench.ts) spends its time, kernel by kernel (tf.profile),
 * after 3 warm-up steps: milliseconds and calls per step, and each kernel's share of the summed kernel time.
 * Custom-gradient scopes ("unnamed scope") time the kernels inside them again, so they are listed but left out of
 * the shares. docs/performance.md gives a measured breakdown.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import type { KernelName } from '../lib/model/kernels';
import { initParams } from '../lib/model/params';
import { AdamW } from '../lib/train/adamw';
import { lmStep } from '../lib/train/lm';
import { BENCH_SHAPE, benchData } from '../lib/train/bench';

async function main() {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : fallback);
  const steps = Number(value('--steps', '5'));
  const kernels = value('--kernels', 'fast') as KernelName;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer`);
  const info = await initBackend();
  const shape = BENCH_SHAPE();
  const { config } = shape;
  const vars = initParams(config, 1);
  const opt = new AdamW(vars, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const { stream, starts } = benchData(shape);
  const step = () => lmStep({ config, params: vars }, vars, opt, stream, starts(), shape.context, { kernels });
  for (let i = 0; i < 3; i++) await step();
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let wall = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const p = await tf.profile(step);
    wall += performance.now() - t0;
    for (const k of p.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += Number(k.kernelTimeMs) || 0;
      e.calls++;
      byKernel.set(k.name, e);
    }
  }
  const rows = [...byKernel.entries()].map(([name, e]) => ({ name, ms: e.ms / steps, calls: e.calls / steps })).sort((a, b) => b.ms - a.ms);
  const summed = rows.filter((r) => r.name !== 'unnamed scope').reduce((s, r) => s + r.ms, 0);
  const calls = rows.filter((r) => r.name !== 'unnamed scope').reduce((s, r) => s + r.calls, 0);
  console.log(
    `bench model, kernels '${kernels}', backend ${info.backend}: ${(wall / steps).toFixed(1)} ms per profiled step (wall), ` +
      `${summed.toFixed(1)} ms in ${calls} kernel calls`,
  );
  console.log('| kernel | ms/step | calls/step | share |\n|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.name} | ${r.ms.toFixed(2)} | ${r.calls} | ${r.name === 'unnamed scope' ? '(nested)' : `${((100 * r.ms) / summed).toFixed(1)}%`} |`);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
