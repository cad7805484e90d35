import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { rotaryFrequencies } from '../lib/model/rotary';
import { modelConfigFromHf } from '../lib/model/hf-layout';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setup, assertAllClose, assertClose, tinyModel } from './helpers';
import { getKernels } from '../lib/model/kernels';
import { forward } from '../lib/model/transformer';
import { initParams, countParams } from '../lib/model/params';
import { resolveModelConfig } from '../lib/model/config';
import { loadModel, saveModel } from '../lib/model/checkpoint';
import { readSafetensors, writeSafetensors } from '../lib/model/safetensors';
import { BpeTokenizer } from '../lib/tokenizers/bpe';
import { Llama2cTokenizer } from '../lib/tokenizers/llama2c';
import { sequenceLogProbs, sequenceRewards, REWARD_MODELS } from '../lib/rewards/reward-model';
import { batchTensors, buildSequenceBatch } from '../lib/rewards/sequences';
import { ConfigError } from '../lib/config';

before(setup);

const randn = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('fast kernels equal the reference kernels (values and gradients)', () => {
  const F = getKernels('fast');
  const R = getKernels('reference');
  const ids = () => tf.tensor1d([1, 3, 3, 0, 4, 2], 'int32');
  const causal = (T: number) =>
    tf.tensor2d(
      Array.from({ length: T * T }, (_, n) => (n % T > Math.floor(n / T) ? -1e9 : 0)),
      [T, T],
    );
  const cases: Array<[string, (k: typeof F, xs: tf.Tensor[]) => tf.Tensor, () => tf.Tensor[]]> = [
    ['matmul', (k, [a, b]) => k.matmul(a as tf.Tensor2D, b as tf.Tensor2D), () => [randn([6, 8], 1), randn([8, 5], 2)]],
    ['addBias', (k, [x, b]) => k.addBias(x as tf.Tensor2D, b as tf.Tensor1D), () => [randn([64, 8], 1), randn([8], 2)]],
    ['embed', (k, [t]) => k.embed(ids(), t as tf.Tensor2D), () => [randn([5, 4], 3)]],
    [
      'layerNorm',
      (k, [x, g, b]) => k.layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
      () => [randn([6, 8], 4), randn([8], 5), randn([8], 6)],
    ],
    ['rmsNorm', (k, [x, g]) => k.rmsNorm(x as tf.Tensor2D, g as tf.Tensor1D, 1e-6), () => [randn([6, 8], 7), randn([8], 8)]],
    ['geluTanh', (k, [x]) => k.geluTanh(x as tf.Tensor2D), () => [randn([6, 8], 9).mul(3)]],
    ['pickLogProbs', (k, [x]) => k.pickLogProbs(x as tf.Tensor2D, ids()), () => [randn([6, 5], 10).mul(4)]],
    [
      'attention',
      (k, [q, kk, v]) => k.attention(q as tf.Tensor3D, kk as tf.Tensor3D, v as tf.Tensor3D, causal(5), 0.5),
      () => [randn([3, 5, 4], 12), randn([3, 5, 4], 13), randn([3, 5, 4], 14)],
    ],
  ];
  for (const [name, op, inputs] of cases) {
    it(name, () => {
      tf.tidy(() => {
        const xs = inputs();
        // A random linear functional of the output makes every output element matter for the gradient.
        const probe =
          (k: typeof F) =>
          (...a: tf.Tensor[]) => {
            const y = op(k, a);
            return y.mul(randn(y.shape, 11)).sum() as tf.Scalar;
          };
        assertAllClose(op(F, xs).dataSync(), op(R, xs).dataSync(), 1e-5, `${name} value`);
        const gf = tf.grads(probe(F))(xs);
        const gr = tf.grads(probe(R))(xs);
        gf.forEach((g, i) => assertAllClose(g.dataSync(), gr[i].dataSync(), 2e-5, `${name} grad ${i}`));
      });
    });
  }

  it('pickLogProbs stays finite for extremely unlikely tokens', () => {
    const v = tf.tidy(() => F.pickLogProbs(tf.tensor2d([[0, 200, -200]]), tf.tensor1d([2], 'int32')).dataSync()[0]);
    assertClose(v, -400, 1e-6);
  });
});

describe('transformer forward', () => {
  const variants: Record<string, object> = {
    'gpt2-like (learned positions, LayerNorm, GELU, tied)': {},
    'llama-like (rotary, RMSNorm, SwiGLU, grouped kv heads, untied, no bias)': {
      positions: 'rotary',
      norm: 'rmsnorm',
      activation: 'silu',
      gatedMlp: true,
      nHeads: 4,
      nKvHeads: 2,
      tiedEmbeddings: false,
      bias: 'none',
    },
    'pythia-like (partial rotary, parallel residual, exact GELU)': { positions: 'rotary', rotaryFraction: 0.5, parallelResidual: true, activation: 'gelu' },
    'qwen2-like (qkv biases only)': { positions: 'rotary', norm: 'rmsnorm', bias: 'qkv', activation: 'silu', gatedMlp: true },
  };
  for (const [name, overrides] of Object.entries(variants)) {
    it(`${name}: shapes, causality, fast = reference`, () => {
      const { model, vars } = tinyModel(overrides as object);
      tf.tidy(() => {
        const ids = tf.tensor2d(
          [
            [1, 2, 3, 4, 5],
            [5, 4, 3, 2, 1],
          ],
          [2, 5],
          'int32',
        );
        const out = forward(model, ids);
        assert.deepEqual(out.logits!.shape, [2, 5, 12]);
        assert.deepEqual(out.hidden.shape, [2, 5, 16]);
        const ref = forward(model, ids, { kernels: 'reference' });
        assertAllClose(out.logits!.dataSync(), ref.logits!.dataSync(), 1e-4, 'logits');
        // Changing the last token changes nothing before it.
        const changed = forward(
          model,
          tf.tensor2d(
            [
              [1, 2, 3, 4, 9],
              [5, 4, 3, 2, 1],
            ],
            [2, 5],
            'int32',
          ),
        );
        const a = out.logits!.slice([0, 0, 0], [1, 4, 12]).dataSync();
        const b = changed.logits!.slice([0, 0, 0], [1, 4, 12]).dataSync();
        assert.deepEqual(Array.from(a), Array.from(b));
        // Without logits, the hidden states are the same.
        assert.deepEqual(Array.from(forward(model, ids, { logits: false }).hidden.dataSync()), Array.from(out.hidden.dataSync()));
      });
      Object.values(vars).forEach((v) => v.dispose());
    });
  }

  it('initialises deterministically from the seed', () => {
    const c = resolveModelConfig({ vocabSize: 10, dModel: 8, nHeads: 2, nKvHeads: 2, nLayers: 1, dMlp: 16, contextLength: 8 });
    const a = initParams(c, 3),
      b = initParams(c, 3),
      d = initParams(c, 4);
    assert.deepEqual(Array.from(a.tok_embed.dataSync()), Array.from(b.tok_embed.dataSync()));
    assert.notDeepEqual(Array.from(a.tok_embed.dataSync()), Array.from(d.tok_embed.dataSync()));
    // GPT-2 style: residual projections are scaled down by sqrt(2 nLayers)
    assert.equal(countParams(a), 10 * 8 + 8 * 8 + 2 * 8 + 3 * (8 * 8 + 8) + (8 * 8 + 8) + 2 * 8 + (8 * 16 + 16) + (16 * 8 + 8) + 2 * 8);
    [a, b, d].forEach((p) => Object.values(p).forEach((v) => v.dispose()));
  });

  it('rejects invalid configs naming the key', () => {
    assert.throws(
      () => resolveModelConfig({ nHeads: 3 }),
      (e: Error) => e instanceof ConfigError && /'nHeads' must divide dModel/.test(e.message),
    );
    assert.throws(() => resolveModelConfig({ dmodel: 3 }), /unknown key 'dmodel'/);
    assert.throws(() => resolveModelConfig({ dModel: '64' }), /key 'dModel' must be number, got string/);
  });
});

describe('a hand-set tiny model', () => {
  // All blocks output zero (zero output projections), so the hidden state is RMSNorm(token embedding) and
  // logits = hidden @ E^T: everything below is recomputed by hand in plain JavaScript.
  const V = 3,
    D = 2;
  const config = resolveModelConfig({
    vocabSize: V,
    dModel: D,
    nHeads: 1,
    nKvHeads: 1,
    nLayers: 1,
    dMlp: 2,
    contextLength: 8,
    norm: 'rmsnorm',
    normEps: 1e-6,
    bias: 'none',
    positions: 'rotary',
  });
  const build = (E: number[][]) => {
    const params = initParams(config, 1) as Record<string, tf.Tensor>;
    params.tok_embed = tf.tensor2d(E);
    params['blocks.0.attn.o.weight'] = tf.zeros([D, D]);
    params['blocks.0.mlp.down.weight'] = tf.zeros([2, D]);
    return { config, params };
  };
  const handLogProb = (E: number[][], context: number, next: number) => {
    const e = E[context];
    const r = 1 / Math.sqrt((e[0] ** 2 + e[1] ** 2) / 2 + 1e-6);
    const h = [e[0] * r, e[1] * r];
    const logits = E.map((row) => row[0] * h[0] + row[1] * h[1]);
    const lse = Math.log(logits.reduce((a, x) => a + Math.exp(x), 0));
    return logits[next] - lse;
  };
  const Epolicy = [
    [1, 0],
    [0.5, 2],
    [-1, 1],
  ];
  const Eref = [
    [0.2, 1],
    [1, -1],
    [0.3, 0.3],
  ];

  it('IM-RM reward = beta * sum over response tokens of log pi_theta - log pi_ref', () => {
    const policy = build(Epolicy),
      reference = build(Eref);
    // prompt [0], response [1, 2]: log pi(1 | 0) + log pi(2 | 0, 1); with blocks off, only the last token matters.
    const batch = buildSequenceBatch([{ prompt: [0], response: [1, 2] }], 0, 8);
    const r = tf.tidy(() => {
      const t = batchTensors(batch);
      const ref = sequenceLogProbs(reference, t, 'sum');
      return sequenceRewards(REWARD_MODELS.im, { lm: policy, head: null }, batch, t, ref).dataSync()[0];
    });
    const expected = 0.01 * (handLogProb(Epolicy, 0, 1) + handLogProb(Epolicy, 1, 2) - handLogProb(Eref, 0, 1) - handLogProb(Eref, 1, 2));
    assertClose(r, expected, 1e-5);
  });
});

describe('checkpoints', () => {
  it('save/load is an exact round trip', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-ckpt-'));
    const { config, vars } = tinyModel({ positions: 'rotary', norm: 'rmsnorm' });
    await saveModel(dir, config, vars, { type: 'vocab', mode: 'char', specials: [], tokens: ['a'] });
    const loaded = loadModel(dir);
    assert.deepEqual(loaded.config, config);
    assert.deepEqual(loaded.tokenizer, { type: 'vocab', mode: 'char', specials: [], tokens: ['a'] });
    for (const [k, v] of Object.entries(vars)) assert.deepEqual(Array.from(loaded.params[k].dataSync()), Array.from(v.dataSync()), k);
    fs.rmSync(dir, { recursive: true });
  });

  it('reads F16 and BF16 tensors and rejects malformed files with the path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-st-'));
    const file = path.join(dir, 'x.safetensors');
    // Hand-made file: F16 [1.5, -2] = 0x3e00, 0xc000; BF16 [1.5] = 0x3fc0
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } });
    const buf = Buffer.alloc(8 + header.length + 6);
    buf.writeBigUInt64LE(BigInt(header.length), 0);
    buf.write(header, 8);
    const o = 8 + header.length;
    buf.writeUInt16LE(0x3e00, o);
    buf.writeUInt16LE(0xc000, o + 2);
    buf.writeUInt16LE(0x3fc0, o + 4);
    fs.writeFileSync(file, buf);
    const { tensors } = readSafetensors(file);
    assert.deepEqual(Array.from(tensors.h.data), [1.5, -2]);
    assert.deepEqual(Array.from(tensors.b.data), [1.5]);
    writeSafetensors(file, { a: { dtype: 'int32', shape: [2], data: Int32Array.from([7, -1]) } }, { note: 'x' });
    const back = readSafetensors(file);
    assert.deepEqual(Array.from(back.tensors.a.data), [7, -1]);
    assert.deepEqual(back.metadata, { note: 'x' });
    fs.writeFileSync(file, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 123]));
    assert.throws(() => readSafetensors(file), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: malformed safetensors header`));
    fs.rmSync(dir, { recursive: true });
  });
});

describe('hostile checkpoint and tokenizer files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-hostile-'));
  const file = path.join(dir, 'bad.safetensors');
  const write = (header: unknown, dataBytes: number, lengthField?: bigint) => {
    const json = Buffer.from(JSON.stringify(header));
    const buf = Buffer.alloc(8 + json.length + dataBytes);
    buf.writeBigUInt64LE(lengthField ?? BigInt(json.length), 0);
    json.copy(buf, 8);
    fs.writeFileSync(file, buf);
  };
  const rejects = (re: RegExp) => {
    const before = process.memoryUsage().rss;
    assert.throws(
      () => readSafetensors(file),
      (e: Error) => e.message.startsWith(`${file}: `) && re.test(e.message),
    );
    assert.ok(process.memoryUsage().rss - before < 64 * 2 ** 20, 'bounded memory: nothing large was allocated');
  };

  it('a shape whose size disagrees with its data offsets names the tensor and both sizes', () => {
    write({ w: { dtype: 'F32', shape: [100000, 250000], data_offsets: [0, 16] } }, 16);
    rejects(/tensor 'w': shape \[100000, 250000\] x F32 needs 100000000000 bytes but data_offsets \[0, 16\] hold 16/);
  });

  it('offsets past the end of the file, overlapping tensors, bad dtypes and header lengths are named', () => {
    write({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8);
    rejects(/tensor 'w': data_offsets \[0, 16\] run past the end of the data \(8 bytes\)/);
    write({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12);
    rejects(/tensor 'b': data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/);
    write({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, 8);
    rejects(/tensor 'a': unsupported dtype "F64"/);
    write({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4);
    rejects(/tensor 'a': shape \[-1\] is not a list of non-negative integers/);
    write({ a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8);
    rejects(/tensor 'a': data_offsets \[8, 4\] begin after they end/);
    write({}, 0, 2n ** 62n);
    rejects(/header length 4611686018427387904 exceeds the 100000000-byte limit/);
    write({}, 0, 1000n);
    rejects(/header length 1000 exceeds the file size/);
  });

  it('a tokenizer.json with an id far outside its vocabulary or a merge of unknown tokens is one clear error', () => {
    const tok = (vocab: Record<string, number>, merges: string[]) => ({ model: { type: 'BPE', vocab, merges }, pre_tokenizer: { type: 'ByteLevel' } });
    assert.throws(
      () => new BpeTokenizer(tok({ a: 0, b: 100000000000 }, []), 'x/tokenizer.json'),
      /x\/tokenizer.json: 'model.vocab' token "b" has id 100000000000, outside \[0, 2\)/,
    );
    assert.throws(() => new BpeTokenizer(tok({ a: 0, b: 0.5 }, []), 'x/tokenizer.json'), /token "b" has id 0.5/);
    assert.throws(
      () => new BpeTokenizer(tok({ a: 0, b: 1 }, ['a c']), 'x/tokenizer.json'),
      /x\/tokenizer.json: 'model.merges' merge 0 \("a c"\) uses a token not in the vocabulary: "c"/,
    );
  });

  it('a llama2.c tokenizer whose token runs past the end of the file names the token and byte', () => {
    const buf = Buffer.alloc(4 + 8 + 2);
    buf.writeFloatLE(0, 4);
    buf.writeInt32LE(1e9, 8);
    fs.writeFileSync(path.join(dir, 'tok.bin'), buf);
    assert.throws(() => Llama2cTokenizer.read(path.join(dir, 'tok.bin')), /tok.bin: token 0 has an invalid length 1000000000 at byte 8/);
  });
});

describe('rotary frequencies', () => {
  it('are base^(-2j/rot), and Llama 3 scaling keeps short, slows long and interpolates middle wavelengths', () => {
    assertAllClose(rotaryFrequencies(4, 10000), [1, 0.01], 1e-12);
    const f = (2 * Math.PI) / 4096; // wavelength 4096: between 8192 / 4 and 8192 / 1
    const scaling = { type: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 };
    // smooth = (8192 / 4096 - 1) / (4 - 1) = 1/3 -> (2/3) f / 8 + (1/3) f = f * 10 / 24
    assertAllClose(rotaryFrequencies(4, f ** -2, scaling), [1, (f * 10) / 24], 1e-9);
    assertAllClose(rotaryFrequencies(4, 1e8, scaling), [1, 1e-4 / 8], 1e-12); // wavelength 62832 > 8192
  });

  it('reads llama3 scaling from config.json and rejects other types', () => {
    const base = {
      model_type: 'llama',
      hidden_size: 32,
      num_attention_heads: 4,
      num_hidden_layers: 1,
      vocab_size: 10,
      max_position_embeddings: 8,
      intermediate_size: 64,
    };
    const c = modelConfigFromHf({
      ...base,
      rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    });
    assert.deepEqual(c.rotaryScaling, { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 });
    assert.equal(modelConfigFromHf(base).rotaryScaling, undefined);
    assert.throws(() => modelConfigFromHf({ ...base, rope_scaling: { rope_type: 'yarn', factor: 2 } }), /rotary scaling 'yarn'/);
  });
});
