/**
 * Parity with Hugging Face transformers (../shared/golden/hf-transformers, made with transformers 5.17 on tiny
 * random GPT-2, GPT-NeoX and Llama models): tokenizer ids and decoding, logits and last hidden states, and the
 * preference quantities (response log-probs, IM-RM rewards, Bradley-Terry loss, its gradient norm per Hugging Face
 * parameter, the loss after one SGD step, EX-RM rewards), all through the library's own reward functions
 * (tests/golden-quantities.ts, shared with the WebGPU parity test).
 * Tolerance 1e-4 relative (absolute below magnitude 1). The golden folder is found via IMRM_GOLDEN_DIR or
 * ../shared/golden/hf-transformers.
 */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setup } from './helpers';
import { ARCHS, GOLDEN, computeQuantities, golden, goldenQuantities, worstErrors } from './golden-quantities';
import { BpeTokenizer } from '../lib/tokenizers/bpe';
import { type HfModel, loadHfModel, saveHfModel } from '../lib/model/hf';
import { hfConfigFor, modelConfigFromHf } from '../lib/model/hf-layout';
import { readSafetensors, writeSafetensors } from '../lib/model/safetensors';
import { resolveModelConfig } from '../lib/model/config';
import { initParams } from '../lib/model/params';

const TOL = 1e-4;

describe('Hugging Face tokenizer.json (byte-level BPE)', () => {
  const tok = new BpeTokenizer(JSON.parse(fs.readFileSync(path.join(GOLDEN, 'tokenizer.json'), 'utf8')));
  for (const c of golden.tokenizer.cases as Array<{ text: string; ids: number[]; decoded: string }>) {
    it(`encodes and decodes ${JSON.stringify(c.text)}`, () => {
      assert.deepEqual(tok.encode(c.text), c.ids);
      assert.equal(tok.decode(c.ids), c.decoded);
    });
  }
});

describe('config.json spellings', () => {
  it('reads the transformers 4 and 5 rotary settings alike', () => {
    const base = {
      model_type: 'gpt_neox',
      hidden_size: 32,
      num_attention_heads: 4,
      num_hidden_layers: 1,
      vocab_size: 10,
      max_position_embeddings: 8,
      intermediate_size: 64,
    };
    const v4 = modelConfigFromHf({ ...base, rotary_pct: 0.25, rotary_emb_base: 500 });
    const v5 = modelConfigFromHf({ ...base, rope_parameters: { partial_rotary_factor: 0.25, rope_theta: 500, rope_type: 'default' } });
    assert.equal(v4.rotaryFraction, 0.25);
    assert.equal(v4.rotaryBase, 500);
    assert.deepEqual(v4, v5);
    assert.equal(modelConfigFromHf({ ...base, model_type: 'llama', rope_theta: 123 }).rotaryBase, 123);
  });
  it('names the unsupported setting', () => {
    assert.throws(() => modelConfigFromHf({ model_type: 'mistral' }), /model_type 'mistral'/);
    assert.throws(
      () =>
        modelConfigFromHf({
          model_type: 'gpt_neox',
          hidden_size: 32,
          num_attention_heads: 4,
          num_hidden_layers: 1,
          vocab_size: 10,
          max_position_embeddings: 8,
          intermediate_size: 64,
          rope_scaling: { rope_type: 'dynamic', factor: 2 },
        }),
      /rotary scaling 'dynamic'/,
    );
  });
});

for (const arch of ARCHS) {
  describe(`${arch}: parity with transformers`, () => {
    const g = golden.models[arch];
    let ref: HfModel;
    before(async () => {
      await setup();
      ref = await loadHfModel(path.join(GOLDEN, g.preference.reference_dir));
    });

    it('logits, hidden states, log-probs, IM-RM rewards, Bradley-Terry loss, gradient norms, one SGD step, EX-RM rewards', async () => {
      const expected = goldenQuantities(arch);
      const ours = await computeQuantities(arch);
      const bad = Object.entries(worstErrors(ours, expected)).filter(([, e]) => !(e <= TOL));
      assert.deepEqual(bad, [], 'beyond tolerance');
      const norms = (q: Record<string, number[]>) => Object.keys(q).filter((k) => k.startsWith('gradient norm')).length;
      assert.equal(norms(ours), norms(expected), 'one gradient norm per Hugging Face parameter');
    });

    it('saves back in the Hugging Face layout: same tensors, names and config', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `imrm-hf-${arch}-`));
      const head = tf.tensor2d(
        Array.from({ length: ref.config.dModel }, (_, i) => i / 10),
        [ref.config.dModel, 1],
      );
      await saveHfModel(dir, ref, head);
      const back = await loadHfModel(dir);
      assert.deepEqual(back.config, ref.config);
      for (const [k, v] of Object.entries(ref.params)) assert.deepEqual(Array.from(back.params[k].dataSync()), Array.from(v.dataSync()), k);
      assert.deepEqual(Array.from((back.rewardHead as tf.Tensor).dataSync()), Array.from(head.dataSync()));
      const original = JSON.parse(fs.readFileSync(path.join(GOLDEN, arch, 'config.json'), 'utf8'));
      const saved = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      assert.match(saved.architectures[0], /ForSequenceClassification$/);
      assert.equal(saved.hidden_size ?? saved.n_embd, original.hidden_size ?? original.n_embd);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
}

describe('Hugging Face checkpoints: shards and Qwen2 layout', () => {
  before(setup);

  it('reads a sharded checkpoint (model.safetensors.index.json) like the single file', async () => {
    const src = path.join(GOLDEN, 'llama');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-shards-'));
    const single = await loadHfModel(src);
    const names = Object.keys(readSafetensors(path.join(src, 'model.safetensors')).tensors).sort();
    const all = readSafetensors(path.join(src, 'model.safetensors')).tensors;
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((list, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(path.join(dir, file), Object.fromEntries(list.map((n) => [n, all[n]])));
      for (const n of list) weightMap[n] = file;
    });
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    fs.copyFileSync(path.join(src, 'config.json'), path.join(dir, 'config.json'));
    const sharded = await loadHfModel(dir);
    for (const [k, v] of Object.entries(single.params)) assert.deepEqual(Array.from(sharded.params[k].dataSync()), Array.from(v.dataSync()), k);
  });

  it('writes and reads the Qwen2 layout (biases on q, k, v only); no transformers reference here, so a round trip', async () => {
    const config = resolveModelConfig({
      vocabSize: 50,
      dModel: 16,
      nLayers: 1,
      nHeads: 4,
      nKvHeads: 2,
      contextLength: 16,
      dMlp: 24,
      norm: 'rmsnorm',
      positions: 'rotary',
      activation: 'silu',
      gatedMlp: true,
      bias: 'qkv',
      tiedEmbeddings: false,
    });
    const params = initParams(config, 5);
    const { arch, hfConfig } = hfConfigFor(config, { bos: null, eos: 0, pad: 0 });
    assert.equal(arch, 'qwen2');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-qwen2-'));
    await saveHfModel(dir, { arch, hfConfig, config, params, tokenizer: null });
    const names = Object.keys(readSafetensors(path.join(dir, 'model.safetensors')).tensors);
    assert.ok(names.includes('model.layers.0.self_attn.q_proj.bias') && !names.includes('model.layers.0.self_attn.o_proj.bias'));
    const back = await loadHfModel(dir);
    assert.deepEqual(back.config, config);
    for (const [k, v] of Object.entries(params)) assert.deepEqual(Array.from(back.params[k].dataSync()), Array.from(v.dataSync()), k);
  });
});

describe('Hugging Face hub ids', () => {
  it('downloads config, tokenizer and weights into the cache once (HF_ENDPOINT pointing at a local server)', async () => {
    const served: string[] = [];
    const server = http.createServer((req, res) => {
      const m = /^\/test\/tiny-llama\/resolve\/main\/(.+)$/.exec(req.url ?? '');
      const file = m && (m[1] === 'tokenizer.json' ? path.join(GOLDEN, 'tokenizer.json') : path.join(GOLDEN, 'llama', m[1]));
      if (!file || !fs.existsSync(file)) {
        res.writeHead(404);
        res.end();
        return;
      }
      served.push(m![1]);
      res.writeHead(200, { 'content-length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.IMRM_CACHE_DIR };
    process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    process.env.IMRM_CACHE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-hub-'));
    try {
      const m = await loadHfModel('test/tiny-llama');
      assert.equal(m.arch, 'llama');
      assert.ok(m.tokenizer);
      assert.deepEqual(served.sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
      await loadHfModel('test/tiny-llama');
      assert.equal(served.length, 3, 'the second load reads the cache');
    } finally {
      server.close();
      if (saved.endpoint === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved.endpoint;
      if (saved.cache === undefined) delete process.env.IMRM_CACHE_DIR;
      else process.env.IMRM_CACHE_DIR = saved.cache;
    }
  });
});
