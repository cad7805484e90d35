/**
 * karpathy's llama2.c checkpoints (e.g. stories260K.bin) as a library model.
 * File: 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative: separate classifier),
 * seq_len), then float32 token_embedding (V, D), rms_att (L, D), wq (L, D, D), wk (L, KV, D), wv (L, KV, D),
 * wo (L, D, D), rms_ffn (L, D), w1 (L, M, D), w2 (L, D, M), w3 (L, M, D), rms_final (D), freq_cis_real and
 * freq_cis_imag (T, hd/2; recomputed here), then wcls (V, D) if not shared. Matrices are PyTorch (out, in);
 * ours are (in, out). llama2.c rotates interleaved pairs (0,1), (2,3), ... while our rotary rotates halves
 * (j, j + hd/2): permuting each head's q and k output rows (evens first, then odds) makes the two identical,
 * because q.k is unchanged when both are permuted alike.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { type ModelConfig, resolveModelConfig } from './config';
import { type Params, checkParams } from './params';
import { transposeOutIn } from './arrays';

/** Row order turning interleaved rotary pairs into rotate-half layout, per head. */
export function interleavedToHalf(nHeads: number, hd: number): number[] {
  const order: number[] = [];
  for (let h = 0; h < nHeads; h++) {
    for (let j = 0; j < hd / 2; j++) order.push(h * hd + 2 * j);
    for (let j = 0; j < hd / 2; j++) order.push(h * hd + 2 * j + 1);
  }
  return order;
}

export interface Llama2cModel {
  config: ModelConfig;
  params: Params;
}

export function readLlama2c(file: string): Llama2cModel {
  const buf = fs.readFileSync(file);
  if (buf.length < 28) throw new Error(`${file}: too short for a llama2.c header`);
  const [dim, hidden, nLayers, nHeads, nKvHeads, vocabRaw, seqLen] = Array.from({ length: 7 }, (_, i) => buf.readInt32LE(4 * i));
  const shared = vocabRaw > 0;
  const V = Math.abs(vocabRaw);
  const hd = dim / nHeads;
  const kv = nKvHeads * hd;
  const config = resolveModelConfig(
    {
      vocabSize: V,
      dModel: dim,
      nLayers,
      nHeads,
      nKvHeads,
      contextLength: seqLen,
      dMlp: hidden,
      norm: 'rmsnorm',
      normEps: 1e-5,
      positions: 'rotary',
      rotaryFraction: 1,
      rotaryBase: 10000,
      activation: 'silu',
      gatedMlp: true,
      bias: 'none',
      parallelResidual: false,
      tiedEmbeddings: shared,
    },
    `${file} header`,
  );
  const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + 28, buf.byteOffset + buf.length - ((buf.length - 28) % 4)));
  let off = 0;
  const take = (n: number, what: string) => {
    if (off + n > floats.length) throw new Error(`${file}: file ends inside ${what} (needs ${n} floats at float ${off})`);
    const out = floats.subarray(off, off + n);
    off += n;
    return out;
  };
  const perLayer = (n: number, what: string) => {
    const all = take(nLayers * n, what);
    return Array.from({ length: nLayers }, (_, l) => all.subarray(l * n, (l + 1) * n));
  };
  const emb = take(V * dim, 'token_embedding');
  const rmsAtt = perLayer(dim, 'rms_att');
  const wq = perLayer(dim * dim, 'wq');
  const wk = perLayer(kv * dim, 'wk');
  const wv = perLayer(kv * dim, 'wv');
  const wo = perLayer(dim * dim, 'wo');
  const rmsFfn = perLayer(dim, 'rms_ffn');
  const w1 = perLayer(hidden * dim, 'w1');
  const w2 = perLayer(dim * hidden, 'w2');
  const w3 = perLayer(hidden * dim, 'w3');
  const rmsFinal = take(dim, 'rms_final');
  take(seqLen * (hd / 2) * 2, 'freq_cis'); // precomputed rotary tables: ours are computed in transformer.ts
  const wcls = shared ? null : take(V * dim, 'wcls');

  const p: Params = {};
  const qOrder = interleavedToHalf(nHeads, hd);
  const kOrder = interleavedToHalf(nKvHeads, hd);
  p.tok_embed = tf.tensor2d(emb.slice(), [V, dim]);
  for (let l = 0; l < nLayers; l++) {
    const b = `blocks.${l}`;
    p[`${b}.norm1.weight`] = tf.tensor1d(rmsAtt[l].slice());
    p[`${b}.norm2.weight`] = tf.tensor1d(rmsFfn[l].slice());
    p[`${b}.attn.q.weight`] = tf.tensor2d(transposeOutIn(wq[l], dim, dim, qOrder), [dim, dim]);
    p[`${b}.attn.k.weight`] = tf.tensor2d(transposeOutIn(wk[l], kv, dim, kOrder), [dim, kv]);
    p[`${b}.attn.v.weight`] = tf.tensor2d(transposeOutIn(wv[l], kv, dim), [dim, kv]);
    p[`${b}.attn.o.weight`] = tf.tensor2d(transposeOutIn(wo[l], dim, dim), [dim, dim]);
    p[`${b}.mlp.gate.weight`] = tf.tensor2d(transposeOutIn(w1[l], hidden, dim), [dim, hidden]);
    p[`${b}.mlp.up.weight`] = tf.tensor2d(transposeOutIn(w3[l], hidden, dim), [dim, hidden]);
    p[`${b}.mlp.down.weight`] = tf.tensor2d(transposeOutIn(w2[l], dim, hidden), [hidden, dim]);
  }
  p['final_norm.weight'] = tf.tensor1d(rmsFinal.slice());
  if (wcls) p.lm_head = tf.tensor2d(transposeOutIn(wcls, V, dim), [dim, V]);
  checkParams(config, p, file);
  return { config, params: p };
}
