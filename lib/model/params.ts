/**
 * Parameter names, shapes and seeded initialisation. Linear weights are stored (in, out) so a layer is the plain
 * 2-D product x @ W that is fast on wasm. Names:
 *   tok_embed (V, D); pos_embed (T, D) [learned positions]; lm_head (D, V) [untied]
 *   blocks.{i}.norm1.{weight,bias}, blocks.{i}.norm2.{weight,bias}   (bias only for LayerNorm)
 *   blocks.{i}.attn.{q,k,v,o}.{weight,bias}    q (D, H hd), k and v (D, Hkv hd), o (H hd, D)
 *   blocks.{i}.mlp.{up,gate,down}.{weight,bias} up and gate (D, M), down (M, D)   (gate only when gated)
 *   final_norm.{weight,bias}
 * Init: weights ~ N(0, initStd^2), residual output projections (attn.o, mlp.down) ~ N(0, initStd^2 / (2 nLayers))
 * as in GPT-2; biases 0; norm gains 1. Every tensor draws from its own seed derived from (seed, name), so the
 * values are identical on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { type ModelConfig, headDim } from './config';
import { Rng, deriveSeed } from '../random';

export type Params = Record<string, tf.Tensor>;

export interface ParamSpec {
  name: string;
  shape: number[];
  init: 'normal' | 'zeros' | 'ones';
  std?: number;
}

export function paramSpecs(c: ModelConfig): ParamSpec[] {
  const hd = headDim(c);
  const specs: ParamSpec[] = [];
  const w = (name: string, shape: number[], std = c.initStd) => specs.push({ name, shape, init: 'normal', std });
  const zeros = (name: string, shape: number[]) => specs.push({ name, shape, init: 'zeros' });
  const norm = (name: string) => {
    specs.push({ name: `${name}.weight`, shape: [c.dModel], init: 'ones' });
    if (c.norm === 'layernorm') zeros(`${name}.bias`, [c.dModel]);
  };
  const residualStd = c.initStd / Math.sqrt(2 * c.nLayers);
  w('tok_embed', [c.vocabSize, c.dModel]);
  if (c.positions === 'learned') w('pos_embed', [c.contextLength, c.dModel]);
  for (let i = 0; i < c.nLayers; i++) {
    const p = `blocks.${i}`;
    norm(`${p}.norm1`);
    const outs: Record<string, number> = { q: c.nHeads * hd, k: c.nKvHeads * hd, v: c.nKvHeads * hd };
    for (const [name, out] of Object.entries(outs)) {
      w(`${p}.attn.${name}.weight`, [c.dModel, out]);
      if (c.bias !== 'none') zeros(`${p}.attn.${name}.bias`, [out]);
    }
    w(`${p}.attn.o.weight`, [c.nHeads * hd, c.dModel], residualStd);
    if (c.bias === 'all') zeros(`${p}.attn.o.bias`, [c.dModel]);
    norm(`${p}.norm2`);
    const mlpIn = c.gatedMlp ? ['up', 'gate'] : ['up'];
    for (const name of mlpIn) {
      w(`${p}.mlp.${name}.weight`, [c.dModel, c.dMlp]);
      if (c.bias === 'all') zeros(`${p}.mlp.${name}.bias`, [c.dMlp]);
    }
    w(`${p}.mlp.down.weight`, [c.dMlp, c.dModel], residualStd);
    if (c.bias === 'all') zeros(`${p}.mlp.down.bias`, [c.dModel]);
  }
  norm('final_norm');
  if (!c.tiedEmbeddings) w('lm_head', [c.dModel, c.vocabSize]);
  return specs;
}

/** Fills a Float32Array with N(0, std^2) draws from a seeded generator. */
export function normalArray(size: number, std: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

/** Fresh parameters as trainable tf.Variables (names as above). */
export function initParams(c: ModelConfig, seed: number): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const s of paramSpecs(c)) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (s.init === 'normal') values = normalArray(size, s.std as number, deriveSeed(seed, 'init', s.name));
    else values = new Float32Array(size).fill(s.init === 'ones' ? 1 : 0);
    const initial = tf.tensor(values, s.shape);
    out[s.name] = tf.variable(initial, true); // unnamed: tfjs variable names are global and must be unique
    initial.dispose();
  }
  return out;
}

/** Checks that `params` has exactly the tensors and shapes the config implies; names the first mismatch. */
export function checkParams(c: ModelConfig, params: Params, where: string): void {
  const specs = paramSpecs(c);
  const expected = new Set(specs.map((s) => s.name));
  for (const s of specs) {
    const t = params[s.name];
    if (!t) throw new Error(`${where}: missing parameter '${s.name}'`);
    if (t.shape.join(',') !== s.shape.join(',')) {
      throw new Error(`${where}: parameter '${s.name}' has shape [${t.shape}], config implies [${s.shape}]`);
    }
  }
  for (const name of Object.keys(params)) {
    if (!expected.has(name)) throw new Error(`${where}: unexpected parameter '${name}'`);
  }
}

export function countParams(params: Params): number {
  return Object.values(params).reduce((n, t) => n + t.size, 0);
}

/** Detached copies (plain tensors, not variables): e.g. the frozen reference model of an IM-RM. */
export function cloneParams(params: Params): Params {
  const out: Params = {};
  for (const [k, t] of Object.entries(params)) out[k] = tf.keep(tf.clone(t));
  return out;
}

export function disposeParams(params: Params): void {
  for (const t of Object.values(params)) t.dispose();
}
