/**
 * Hugging Face checkpoints in and out: a folder (or hub id, downloaded into the cache when a network exists) with
 * config.json, model.safetensors or sharded model-0000x-of-0000n.safetensors + model.safetensors.index.json,
 * and tokenizer.json. Tensors are read one at a time from the files (no copy of a whole shard in memory).
 * saveHfModel writes the same layout back (config.json + model.safetensors + tokenizer.json), with an EX-RM head
 * as '<Arch>ForSequenceClassification' 'score.weight', so trained models open with transformers in Python.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config';
import { type Params, checkParams } from './params';
import { type RawTensor, readSafetensor, readSafetensorsIndex, writeSafetensors, type SafetensorsIndex } from './safetensors';
import { concatColumns, neoxRows, splitColumns, transposeOutIn } from './arrays';
import { type HfArchitecture, type HfConfig, type Mapping, architectureOf, hfMappings, isIgnoredBuffer, modelConfigFromHf, nameCandidates } from './hf-layout';
import { BpeTokenizer } from '../tokenizers/bpe';
import { BpeModelTokenizer } from '../tokenizers/index';
import { download } from '../data/sources';

export interface HfModel {
  arch: HfArchitecture;
  hfConfig: HfConfig;
  config: ModelConfig;
  params: Params;
  tokenizer: BpeModelTokenizer | null;
  /** 'score.weight' of a sequence-classification checkpoint, as an EX-RM head (D, 1). */
  rewardHead: tf.Tensor2D | null;
  dir: string;
}

/** The hub (HF_ENDPOINT, as in huggingface_hub, points to a mirror). */
const hub = () => process.env.HF_ENDPOINT ?? 'https://huggingface.co';

function hubCacheDir(id: string): string {
  const root = process.env.IMRM_CACHE_DIR ?? path.resolve(__dirname, '..', '..', '.cache');
  return path.join(root, 'hf', id.replace(/\//g, '--'));
}

/** A local folder, or a hub id fetched (config, tokenizer, weights) into the cache on first use. */
export async function resolveHfDir(spec: string): Promise<string> {
  if (fs.existsSync(spec)) {
    if (!fs.existsSync(path.join(spec, 'config.json'))) throw new Error(`${spec}: no config.json (not a Hugging Face model folder)`);
    return spec;
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(spec)) throw new Error(`'${spec}' is neither a folder nor a Hugging Face hub id (owner/name)`);
  const dir = hubCacheDir(spec);
  const get = async (file: string, required: boolean) => {
    const target = path.join(dir, file);
    if (fs.existsSync(target)) return true;
    try {
      await download(`${hub()}/${spec}/resolve/main/${file}`, target, `${spec}/${file}`, null);
      return true;
    } catch (e) {
      if (!required) return false;
      throw new Error(
        `could not download ${hub()}/${spec}/resolve/main/${file} (${(e as Error).message}); ` +
          `without a network, download the model's config.json, tokenizer.json and *.safetensors into a folder and pass that folder`,
      );
    }
  };
  await get('config.json', true);
  await get('tokenizer.json', false);
  if (!(await get('model.safetensors', false))) {
    await get('model.safetensors.index.json', true);
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
    for (const shard of new Set(Object.values(index.weight_map as Record<string, string>))) await get(shard, true);
  }
  return dir;
}

/** name -> (shard index, file descriptor owner) for a single or sharded checkpoint. */
function openWeights(dir: string): { lookup: Map<string, SafetensorsIndex>; names: string[] } {
  const single = path.join(dir, 'model.safetensors');
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  const files = fs.existsSync(single)
    ? [single]
    : fs.existsSync(indexFile)
      ? [...new Set(Object.values(JSON.parse(fs.readFileSync(indexFile, 'utf8')).weight_map as Record<string, string>))].map((f) => path.join(dir, f))
      : [];
  if (files.length === 0)
    throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json (PyTorch .bin checkpoints are not read; convert them to safetensors)`);
  const lookup = new Map<string, SafetensorsIndex>();
  for (const f of files) {
    const idx = readSafetensorsIndex(f);
    for (const name of Object.keys(idx.entries)) lookup.set(name, idx);
  }
  return { lookup, names: [...lookup.keys()] };
}

function apply(m: Mapping, t: RawTensor, c: ModelConfig): Record<string, tf.Tensor> {
  const data = t.data as Float32Array;
  switch (m.kind) {
    case 'copy':
      return { [m.ours]: tf.tensor(data, t.shape) };
    case 'transpose':
      return { [m.ours]: tf.tensor2d(transposeOutIn(data, t.shape[0], t.shape[1]), [t.shape[1], t.shape[0]]) };
    case 'split-columns': {
      const rows = t.shape.length === 2 ? t.shape[0] : 1;
      const parts = splitColumns(data, rows, m.ours.length);
      return Object.fromEntries(
        m.ours.map((name, k) => [name, t.shape.length === 2 ? tf.tensor2d(parts[k], [rows, parts[k].length / rows]) : tf.tensor1d(parts[k])]),
      );
    }
    case 'neox-qkv-weight':
      return Object.fromEntries(
        m.ours.map((name, k) => [
          name,
          tf.tensor2d(transposeOutIn(data, m.nHeads * m.headDim, c.dModel, neoxRows(k, m.nHeads, m.headDim)), [c.dModel, m.nHeads * m.headDim]),
        ]),
      );
    case 'neox-qkv-bias':
      return Object.fromEntries(m.ours.map((name, k) => [name, tf.tensor1d(Float32Array.from(neoxRows(k, m.nHeads, m.headDim), (r) => data[r]))]));
  }
}

export async function loadHfModel(spec: string): Promise<HfModel> {
  const dir = await resolveHfDir(spec);
  const where = path.join(dir, 'config.json');
  const hfConfig = JSON.parse(fs.readFileSync(where, 'utf8')) as HfConfig;
  const arch = architectureOf(hfConfig, where);
  const config = modelConfigFromHf(hfConfig, where);
  const { lookup, names } = openWeights(dir);
  const used = new Set<string>();
  const params: Params = {};
  for (const m of hfMappings(arch, config)) {
    const name = nameCandidates(arch, m.hf).find((n) => lookup.has(n));
    if (!name) throw new Error(`${dir}: checkpoint has no tensor '${m.hf}' (needed for ${arch})`);
    used.add(name);
    const t = readSafetensor(lookup.get(name) as SafetensorsIndex, name);
    Object.assign(params, apply(m, t, config));
  }
  let rewardHead: tf.Tensor2D | null = null;
  if (lookup.has('score.weight')) {
    const t = readSafetensor(lookup.get('score.weight') as SafetensorsIndex, 'score.weight');
    if (t.shape[0] !== 1) throw new Error(`${dir}: score.weight has shape [${t.shape}]; only one reward output is supported`);
    rewardHead = tf.tensor2d(t.data as Float32Array, [config.dModel, 1]);
    used.add('score.weight');
  }
  const unexpected = names.filter((n) => !used.has(n) && !isIgnoredBuffer(n) && !(config.tiedEmbeddings && /(^|\.)lm_head\.weight$/.test(n)));
  if (unexpected.length)
    throw new Error(`${dir}: tensors this ${arch} layout does not know: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}`);
  checkParams(config, params, dir);
  const tokFile = path.join(dir, 'tokenizer.json');
  let tokenizer: BpeModelTokenizer | null = null;
  if (fs.existsSync(tokFile)) {
    const bpe = new BpeTokenizer(JSON.parse(fs.readFileSync(tokFile, 'utf8')), tokFile);
    const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as number | null | undefined;
    const bos = first(hfConfig.bos_token_id) ?? null;
    const eos = first(hfConfig.eos_token_id) ?? null;
    tokenizer = new BpeModelTokenizer(bpe, bos, eos, first(hfConfig.pad_token_id) ?? eos ?? 0);
  }
  return { arch, hfConfig, config, params, tokenizer, rewardHead, dir };
}

/** Inverse of `apply`: our tensors -> the Hugging Face tensor of one mapping. */
async function invert(m: Mapping, params: Params, c: ModelConfig): Promise<RawTensor> {
  const get = async (name: string) => (await params[name].data()) as Float32Array;
  const shape = (name: string) => params[name].shape;
  switch (m.kind) {
    case 'copy':
      return { dtype: 'float32', shape: shape(m.ours), data: await get(m.ours) };
    case 'transpose': {
      const [i, o] = shape(m.ours);
      return { dtype: 'float32', shape: [o, i], data: transposeOutIn(await get(m.ours), i, o) };
    }
    case 'split-columns': {
      const parts = await Promise.all(m.ours.map(get));
      const rows = shape(m.ours[0]).length === 2 ? shape(m.ours[0])[0] : 1;
      const data = concatColumns(parts, rows);
      return { dtype: 'float32', shape: rows === 1 && shape(m.ours[0]).length === 1 ? [data.length] : [rows, data.length / rows], data };
    }
    case 'neox-qkv-weight':
    case 'neox-qkv-bias': {
      const hd = m.nHeads * m.headDim;
      const isWeight = m.kind === 'neox-qkv-weight';
      const out = new Float32Array(3 * hd * (isWeight ? c.dModel : 1));
      for (let k = 0; k < 3; k++) {
        const src = await get(m.ours[k]);
        const rows = isWeight ? transposeOutIn(src, c.dModel, hd) : src; // (hd, D) or (hd)
        const width = isWeight ? c.dModel : 1;
        neoxRows(k, m.nHeads, m.headDim).forEach((r, j) => out.set(rows.subarray(j * width, (j + 1) * width), r * width));
      }
      return { dtype: 'float32', shape: isWeight ? [3 * hd, c.dModel] : [3 * hd], data: out };
    }
  }
}

const CLASS_NAMES: Record<HfArchitecture, [string, string]> = {
  gpt2: ['GPT2LMHeadModel', 'GPT2ForSequenceClassification'],
  gpt_neox: ['GPTNeoXForCausalLM', 'GPTNeoXForSequenceClassification'],
  llama: ['LlamaForCausalLM', 'LlamaForSequenceClassification'],
  qwen2: ['Qwen2ForCausalLM', 'Qwen2ForSequenceClassification'],
};

/** Writes config.json (the original with architectures set), model.safetensors and tokenizer.json. */
export async function saveHfModel(
  dir: string,
  model: Pick<HfModel, 'arch' | 'hfConfig' | 'config' | 'params' | 'tokenizer'>,
  rewardHead: tf.Tensor | null = null,
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, RawTensor> = {};
  for (const m of hfMappings(model.arch, model.config)) tensors[m.hf] = await invert(m, model.params, model.config);
  if (rewardHead) tensors['score.weight'] = { dtype: 'float32', shape: [1, model.config.dModel], data: (await rewardHead.data()) as Float32Array };
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const [lm, cls] = CLASS_NAMES[model.arch];
  const hfConfig = { ...model.hfConfig, architectures: [rewardHead ? cls : lm], ...(rewardHead ? { num_labels: 1 } : {}) };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(hfConfig, null, 2));
  if (model.tokenizer) fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(model.tokenizer.bpe.toJSON()));
}
