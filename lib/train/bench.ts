/**
 * The bench model and batch shared by `npm run bench`, `npm run profile-step` and the PyTorch yardstick
 * (../shared/bench/torch_gpt.py builds the same shapes): 2 layers, width 128, 4 heads, context 64, batch 16,
 * vocabulary 512, next-token loss, AdamW.
 */
import { type ModelConfig, resolveModelConfig } from '../model/config';
import { Rng } from '../random';

export const BENCH_BATCH = 16;
export const BENCH_CONTEXT = 64;

export function benchModelConfig(): ModelConfig {
  return resolveModelConfig({ vocabSize: 512, dModel: 128, nLayers: 2, nHeads: 4, nKvHeads: 4, contextLength: BENCH_CONTEXT, dMlp: 512 });
}

export const BENCH_SHAPE = (): BenchShape => ({ config: benchModelConfig(), batch: BENCH_BATCH, context: BENCH_CONTEXT });

export interface BenchShape {
  config: ModelConfig;
  batch: number;
  /** Tokens per window. */
  context: number;
}

/** A random token stream and a draw of window starts from it (uniform tokens, as the yardstick's). */
export function benchData(shape: BenchShape, seed = 1): { stream: Int32Array; starts: () => number[] } {
  const rng = new Rng(seed);
  const stream = Int32Array.from({ length: 1 << 16 }, () => rng.int(shape.config.vocabSize));
  return { stream, starts: () => Array.from({ length: shape.batch }, () => rng.int(stream.length - shape.context)) };
}
