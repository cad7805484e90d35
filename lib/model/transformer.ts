/**
 * Decoder-only transformer forward pass on tfjs ops. Returns, for every position, the logits and the last-layer
 * hidden state after the final norm (the EX-RM head and the theory read the hidden state).
 * Shapes: B batch, T sequence, D width, H heads, Hkv key-value heads, hd = D / H head width, V vocabulary.
 * Right padding needs no attention mask: with causal attention, positions before the padding never see it.
 */
import * as tf from '@tensorflow/tfjs';
import { type ModelConfig, headDim } from './config';
import type { Params } from './params';
import { type Kernels, type KernelName, getKernels } from './kernels';
import { type RotaryScaling, rotaryFrequencies } from './rotary';

export interface LanguageModel {
  config: ModelConfig;
  params: Params;
}

export interface ForwardOptions {
  kernels?: KernelName;
  /** Skip the (B, T, V) logits when only hidden states are needed (EX-RM). Default true. */
  logits?: boolean;
}

export interface ForwardOutput {
  /** (B, T, V), or null when options.logits is false */
  logits: tf.Tensor3D | null;
  /** (B, T, D), after the final norm */
  hidden: tf.Tensor3D;
}

// Constants shared by every call, created once per shape and backend and kept out of tidy scopes. Per backend: a
// tensor used by another backend moves there, and WebGPU cannot give one back synchronously.
const constantCache = new Map<string, tf.Tensor>();
function cached<T extends tf.Tensor>(name: string, make: () => T): T {
  const key = `${tf.getBackend()} ${name}`;
  let t = constantCache.get(key);
  if (!t) {
    t = tf.tidy(make);
    tf.keep(t);
    constantCache.set(key, t);
  }
  return t as T;
}

/** (T, T): 0 on and below the diagonal, -1e9 above (future positions). */
function causalMask(T: number): tf.Tensor2D {
  return cached(`mask:${T}`, () => {
    const v = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) v[i * T + j] = -1e9;
    return tf.tensor2d(v, [T, T]);
  });
}

/**
 * Rotary tables in the Hugging Face "rotate half" convention, over the first `rot` of hd dimensions:
 * x' = x cos + rotateHalf(x) sin, with rotateHalf(x) = x @ R (a signed permutation; identity-free on the
 * unrotated dimensions, where cos = 1 and sin = 0). Returns cos, sin (1, T, 1, hd) and R (hd, hd).
 */
function rotaryTables(T: number, hd: number, fraction: number, base: number, scaling: RotaryScaling | null) {
  const rot = Math.round(hd * fraction);
  const key = `rope:${T}:${hd}:${rot}:${base}:${JSON.stringify(scaling)}`;
  const freqs = rotaryFrequencies(rot, base, scaling);
  const angle = (t: number, i: number) => t * freqs[i % (rot / 2)];
  const cos = cached(`${key}:cos`, () => {
    const v = new Float32Array(T * hd).fill(1);
    for (let t = 0; t < T; t++) for (let i = 0; i < rot; i++) v[t * hd + i] = Math.cos(angle(t, i));
    return tf.tensor4d(v, [1, T, 1, hd]);
  });
  const sin = cached(`${key}:sin`, () => {
    const v = new Float32Array(T * hd);
    for (let t = 0; t < T; t++) for (let i = 0; i < rot; i++) v[t * hd + i] = Math.sin(angle(t, i));
    return tf.tensor4d(v, [1, T, 1, hd]);
  });
  const R = cached(`${key}:R`, () => {
    const v = new Float32Array(hd * hd);
    const half = rot / 2;
    for (let j = 0; j < half; j++) v[(j + half) * hd + j] = -1; // out[j] = -x[j + half]
    for (let j = half; j < rot; j++) v[(j - half) * hd + j] = 1; // out[j] = x[j - half]
    return tf.tensor2d(v, [hd, hd]);
  });
  return { cos, sin, R };
}

function linear(K: Kernels, x: tf.Tensor2D, p: Params, name: string): tf.Tensor2D {
  const y = K.matmul(x, p[`${name}.weight`] as tf.Tensor2D);
  const b = p[`${name}.bias`] as tf.Tensor1D | undefined;
  return b ? K.addBias(y, b) : y;
}

function norm(K: Kernels, c: ModelConfig, x: tf.Tensor2D, p: Params, name: string): tf.Tensor2D {
  const g = p[`${name}.weight`] as tf.Tensor1D;
  return c.norm === 'layernorm' ? K.layerNorm(x, g, p[`${name}.bias`] as tf.Tensor1D, c.normEps) : K.rmsNorm(x, g, c.normEps);
}

function activate(K: Kernels, c: ModelConfig, x: tf.Tensor2D): tf.Tensor2D {
  switch (c.activation) {
    case 'gelu_tanh':
      return K.geluTanh(x);
    case 'gelu':
      return x.mul(tf.erf(x.div(Math.SQRT2)).add(1)).mul(0.5);
    case 'relu':
      return tf.relu(x);
    case 'silu':
      return x.mul(tf.sigmoid(x));
  }
}

/** (B T, Hn hd) -> rotated (queries and keys of rotary models) -> (B Hn, T, hd), heads repeated to H for grouped key-value heads. */
function toHeads(K: Kernels, c: ModelConfig, x: tf.Tensor2D, B: number, T: number, nh: number, rotate: boolean): tf.Tensor3D {
  const hd = headDim(c);
  let h = x.reshape([B, T, nh, hd]) as tf.Tensor4D;
  if (rotate && c.positions === 'rotary') {
    const { cos, sin, R } = rotaryTables(T, hd, c.rotaryFraction, c.rotaryBase, c.rotaryScaling ?? null);
    const rotated = K.matmul(h.reshape([B * T * nh, hd]) as tf.Tensor2D, R).reshape([B, T, nh, hd]);
    h = h.mul(cos).add(rotated.mul(sin));
  }
  const g = c.nHeads / nh;
  // Rank-4 tile: tfjs has no tile gradient above rank 4. Query head j reads key-value head floor(j / g).
  if (g > 1)
    h = h
      .reshape([B * T, nh, 1, hd])
      .tile([1, 1, g, 1])
      .reshape([B, T, c.nHeads, hd]);
  return h.transpose([0, 2, 1, 3]).reshape([B * c.nHeads, T, hd]) as tf.Tensor3D;
}

function attention(K: Kernels, c: ModelConfig, x: tf.Tensor2D, p: Params, name: string, B: number, T: number): tf.Tensor2D {
  const hd = headDim(c);
  const q = toHeads(K, c, linear(K, x, p, `${name}.q`), B, T, c.nHeads, true); // (B H, T, hd)
  const k = toHeads(K, c, linear(K, x, p, `${name}.k`), B, T, c.nKvHeads, true); // (B H, T, hd)
  const v = toHeads(K, c, linear(K, x, p, `${name}.v`), B, T, c.nKvHeads, false); // (B H, T, hd)
  const out = K.attention(q, k, v, causalMask(T), 1 / Math.sqrt(hd)); // (B H, T, hd)
  const merged = out
    .reshape([B, c.nHeads, T, hd])
    .transpose([0, 2, 1, 3])
    .reshape([B * T, c.nHeads * hd]);
  return linear(K, merged as tf.Tensor2D, p, `${name}.o`);
}

function mlp(K: Kernels, c: ModelConfig, x: tf.Tensor2D, p: Params, name: string): tf.Tensor2D {
  const up = linear(K, x, p, `${name}.up`); // (B T, M)
  const h = c.gatedMlp ? activate(K, c, linear(K, x, p, `${name}.gate`)).mul(up) : activate(K, c, up);
  return linear(K, h as tf.Tensor2D, p, `${name}.down`);
}

/** ids (B, T) int32 -> logits (B, T, V) and hidden states (B, T, D). Call inside tf.tidy. */
export function forward(model: LanguageModel, ids: tf.Tensor2D, options: ForwardOptions = {}): ForwardOutput {
  const { config: c, params: p } = model;
  const K = getKernels(options.kernels);
  const [B, T] = ids.shape;
  if (T > c.contextLength) throw new Error(`sequence length ${T} exceeds the model context (${c.contextLength})`);
  let x = K.embed(ids.reshape([B * T]) as tf.Tensor1D, p.tok_embed as tf.Tensor2D); // (B T, D)
  if (c.positions === 'learned') {
    const pos = (p.pos_embed as tf.Tensor2D).slice([0, 0], [T, c.dModel]);
    x = x
      .reshape([B, T, c.dModel])
      .add(pos)
      .reshape([B * T, c.dModel]);
  }
  for (let i = 0; i < c.nLayers; i++) {
    const b = `blocks.${i}`;
    if (c.parallelResidual) {
      x = x.add(attention(K, c, norm(K, c, x, p, `${b}.norm1`), p, `${b}.attn`, B, T)).add(mlp(K, c, norm(K, c, x, p, `${b}.norm2`), p, `${b}.mlp`));
    } else {
      x = x.add(attention(K, c, norm(K, c, x, p, `${b}.norm1`), p, `${b}.attn`, B, T));
      x = x.add(mlp(K, c, norm(K, c, x, p, `${b}.norm2`), p, `${b}.mlp`));
    }
  }
  const hidden = norm(K, c, x, p, 'final_norm'); // (B T, D)
  let logits: tf.Tensor3D | null = null;
  if (options.logits !== false) {
    const unembed = (c.tiedEmbeddings ? p.tok_embed.transpose() : p.lm_head) as tf.Tensor2D; // (D, V)
    logits = K.matmul(hidden, unembed).reshape([B, T, c.vocabSize]) as tf.Tensor3D;
  }
  return { logits, hidden: hidden.reshape([B, T, c.dModel]) };
}
