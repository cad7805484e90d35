/**
 * Decoder-only transformer configuration. One config covers the project's own small models and the layouts of
 * the imported ones (GPT-2: learned positions + LayerNorm + GELU; Pythia: rotary (partial) + parallel residual;
 * Llama: RMSNorm + rotary + SwiGLU + grouped key-value heads).
 */
import { check, mergeConfig } from '../config';
import type { RotaryScaling } from './rotary';

export interface ModelConfig {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Key-value heads (grouped-query attention); must divide nHeads. Equal to nHeads for plain multi-head. */
  nKvHeads: number;
  contextLength: number;
  /** Hidden width of the MLP. */
  dMlp: number;
  norm: 'layernorm' | 'rmsnorm';
  normEps: number;
  positions: 'learned' | 'rotary';
  /** Fraction of each head's dimensions that rotary embeddings rotate (Pythia: 0.25). */
  rotaryFraction: number;
  rotaryBase: number;
  /** Llama 3's frequency rescaling (lib/model/rotary.ts); absent: plain rotary (and absent from config hashes). */
  rotaryScaling?: RotaryScaling;
  /** MLP activation; with gatedMlp, act(x W_gate) * (x W_up) (SwiGLU = silu + gated). */
  activation: 'gelu' | 'gelu_tanh' | 'relu' | 'silu';
  gatedMlp: boolean;
  /** Which linear layers carry biases: all, none, or only the q/k/v projections (Qwen2). */
  bias: 'all' | 'none' | 'qkv';
  /** GPT-NeoX style: x + attn(norm1(x)) + mlp(norm2(x)) instead of two sequential residual steps. */
  parallelResidual: boolean;
  /** Unembedding = transposed token embedding. */
  tiedEmbeddings: boolean;
  /** Std of the normal init of weight matrices; residual output projections use initStd / sqrt(2 nLayers). */
  initStd: number;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  vocabSize: 512,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 4,
  contextLength: 64,
  dMlp: 512,
  norm: 'layernorm',
  normEps: 1e-5,
  positions: 'learned',
  rotaryFraction: 1,
  rotaryBase: 10000,
  rotaryScaling: undefined,
  activation: 'gelu_tanh',
  gatedMlp: false,
  bias: 'all',
  parallelResidual: false,
  tiedEmbeddings: true,
  initStd: 0.02,
};

const POSITIVE_INTS: Array<keyof ModelConfig> = ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'nKvHeads', 'contextLength', 'dMlp'];

/** Merges overrides into the defaults and checks every constraint; errors name the key. */
export function resolveModelConfig(overrides: unknown = {}, where = 'model config'): ModelConfig {
  const c = mergeConfig(DEFAULT_MODEL_CONFIG, overrides, where);
  for (const k of POSITIVE_INTS) check(Number.isInteger(c[k]) && (c[k] as number) > 0, where, k, 'must be a positive integer', c[k]);
  check(c.dModel % c.nHeads === 0, where, 'nHeads', `must divide dModel (${c.dModel})`, c.nHeads);
  check(c.nHeads % c.nKvHeads === 0, where, 'nKvHeads', `must divide nHeads (${c.nHeads})`, c.nKvHeads);
  check(['layernorm', 'rmsnorm'].includes(c.norm), where, 'norm', "must be 'layernorm' or 'rmsnorm'", c.norm);
  check(['learned', 'rotary'].includes(c.positions), where, 'positions', "must be 'learned' or 'rotary'", c.positions);
  check(['gelu', 'gelu_tanh', 'relu', 'silu'].includes(c.activation), where, 'activation', 'must be gelu, gelu_tanh, relu or silu', c.activation);
  check(['all', 'none', 'qkv'].includes(c.bias), where, 'bias', "must be 'all', 'none' or 'qkv'", c.bias);
  const headDim = c.dModel / c.nHeads;
  const rotDims = Math.round(headDim * c.rotaryFraction);
  check(
    c.rotaryFraction > 0 && c.rotaryFraction <= 1 && rotDims % 2 === 0,
    where,
    'rotaryFraction',
    `must be in (0, 1] and rotate an even number of the ${headDim} head dimensions`,
    c.rotaryFraction,
  );
  check(c.normEps > 0, where, 'normEps', 'must be positive', c.normEps);
  if (c.rotaryScaling) {
    const r = c.rotaryScaling;
    check(
      r.type === 'llama3' && r.factor > 0 && r.lowFreqFactor > 0 && r.highFreqFactor > r.lowFreqFactor && r.originalContext > 0,
      where,
      'rotaryScaling',
      "must be {type: 'llama3', factor > 0, lowFreqFactor > 0, highFreqFactor > lowFreqFactor, originalContext > 0}",
      r,
    );
  }
  check(c.initStd > 0, where, 'initStd', 'must be positive', c.initStd);
  return c;
}

export function headDim(c: ModelConfig): number {
  return c.dModel / c.nHeads;
}
