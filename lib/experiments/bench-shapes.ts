/** Training-step shapes timed by `npm run bench` and `npm run gpu-check`, beside lib/train/bench.ts's bench model. */
import { type ModelConfig, resolveModelConfig } from '../model/config';
import type { BenchShape } from '../train/bench';
import { resolveExperimentConfig } from './runner';
import { pretrain } from './pretrain';

/** The in-project LM's full pretraining step: its architecture, batch and window. */
export function inProjectLmShape(): BenchShape {
  const c = resolveExperimentConfig(pretrain, 'full');
  return { config: resolveModelConfig({ ...c.model, vocabSize: c.tokenizer.vocabSize }), batch: c.train.batchSize, context: c.train.seqLen };
}

/** Pythia's shapes (GPT-NeoX: parallel residual, a quarter of each head rotary, untied unembedding), random weights. */
export const PYTHIA_SHAPES = {
  'pythia-14m': { dModel: 128, nLayers: 6, nHeads: 4, dMlp: 512 },
  'pythia-70m': { dModel: 512, nLayers: 6, nHeads: 8, dMlp: 2048 },
  'pythia-160m': { dModel: 768, nLayers: 12, nHeads: 12, dMlp: 3072 },
  'pythia-410m': { dModel: 1024, nLayers: 24, nHeads: 16, dMlp: 4096 },
  'pythia-1b': { dModel: 2048, nLayers: 16, nHeads: 8, dMlp: 8192 },
} as const;

export function pythiaConfig(name: keyof typeof PYTHIA_SHAPES, contextLength: number): ModelConfig {
  const s = PYTHIA_SHAPES[name];
  return resolveModelConfig({
    ...s,
    nKvHeads: s.nHeads,
    vocabSize: 50304,
    contextLength,
    positions: 'rotary',
    rotaryFraction: 0.25,
    parallelResidual: true,
    tiedEmbeddings: false,
    activation: 'gelu',
  });
}
