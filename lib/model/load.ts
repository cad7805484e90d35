/**
 * One way to name any base model the project can use (CLI --model, experiment configs, notebooks):
 *   stories260K                             karpathy's stories260K via the data layer (mirror, cache or download)
 *   llama2c:<model.bin>,<tokenizer.bin>     any llama2.c checkpoint and tokenizer
 *   hf:<folder or hub id>                   a Hugging Face GPT-2 / GPT-NeoX / Llama / Qwen2 checkpoint
 *   pretrained:<smoke|quick|full>           the in-project pretrained LM of that profile (trained if missing)
 *   <folder>                                an in-project checkpoint (config.json + model.safetensors), a run
 *                                           folder (its seed-1/model), or a Hugging Face folder
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from './transformer';
import { loadModel } from './checkpoint';
import { readLlama2c } from './llama2c';
import { loadHfModel, resolveHfDir } from './hf';
import { type Tokenizer, type SavedTokenizer, tokenizerFromJSON } from '../tokenizers/index';
import { Llama2cTokenizer } from '../tokenizers/llama2c';
import type { BpeTokenizer } from '../tokenizers/bpe';
import { dataFile, fileSha256 } from '../data/sources';

export interface BaseModel {
  spec: string;
  lm: LanguageModel;
  tokenizer: Tokenizer;
  /** Token prepended to every prompt (the model's BOS / document separator); null when the model uses none. */
  startId: number | null;
  /** Tokens that end a generation. */
  stopIds: number[];
  /** An EX-RM head saved with the model, if any. */
  rewardHead: tf.Tensor2D | null;
  /** sha256 of the weights file(s): the identity of the model in run hashes. */
  weightsSha256: string;
  /** Human-readable provenance (file paths, notes). */
  source: string;
}

/** Releases a loaded base's tensors (weights and any saved reward head): a process that loads one per seed grows otherwise. */
export function disposeBaseModel(base: BaseModel): void {
  Object.values(base.lm.params).forEach((t) => t.dispose());
  base.rewardHead?.dispose();
}

function withStart(
  tokenizer: Tokenizer,
  startId: number | null,
  spec: string,
  lm: LanguageModel,
  source: string,
  weightsFile: string,
  rewardHead: tf.Tensor2D | null = null,
): BaseModel {
  const stopIds = tokenizer.eosId === null ? [] : [tokenizer.eosId];
  return { spec, lm, tokenizer, startId, stopIds, rewardHead, weightsSha256: fileSha256(weightsFile), source };
}

async function fromLlama2c(spec: string, modelFile: string, tokFile: string): Promise<BaseModel> {
  const m = readLlama2c(modelFile);
  const tok = Llama2cTokenizer.read(tokFile);
  if (tok.vocabSize !== m.config.vocabSize) throw new Error(`${tokFile}: ${tok.vocabSize} tokens, but ${modelFile} has a vocabulary of ${m.config.vocabSize}`);
  // llama2.c models separate stories with BOS: it starts a prompt and ends a generation.
  return {
    spec,
    lm: m,
    tokenizer: tok,
    startId: tok.bosId,
    stopIds: [tok.bosId, tok.eosId],
    rewardHead: null,
    weightsSha256: fileSha256(modelFile),
    source: `${modelFile} + ${tokFile}`,
  };
}

/** The id a Hugging Face tokenizer's post-processor puts first (e.g. Llama's <|begin_of_text|>), if any. */
function templateBos(bpe: BpeTokenizer): number | null {
  const post = bpe.toJSON().post_processor as { type?: string; single?: Array<Record<string, { id: string }>>; processors?: unknown[] } | null;
  const template =
    post?.type === 'TemplateProcessing' ? post : (post?.processors as (typeof post)[] | undefined)?.find((p) => p?.type === 'TemplateProcessing');
  const first = template?.single?.[0]?.SpecialToken?.id;
  return first ? bpe.id(first) : null;
}

async function fromHf(spec: string, where: string): Promise<BaseModel> {
  const m = await loadHfModel(where);
  if (!m.tokenizer) throw new Error(`${m.dir}: no tokenizer.json (only byte-level BPE tokenizer.json files are read)`);
  const start = templateBos(m.tokenizer.bpe);
  const weights = fs.existsSync(path.join(m.dir, 'model.safetensors'))
    ? path.join(m.dir, 'model.safetensors')
    : path.join(m.dir, 'model.safetensors.index.json');
  const base = withStart(m.tokenizer, start, spec, m, m.dir, weights, m.rewardHead);
  // Prompts need a first token to condition on: without a template BOS, use BOS/EOS (GPT-2 style).
  if (base.startId === null) base.startId = m.tokenizer.bosId ?? m.tokenizer.eosId;
  return base;
}

function fromCheckpoint(spec: string, dir: string): BaseModel {
  const saved = loadModel(dir);
  if (!saved.tokenizer) throw new Error(`${dir}: the checkpoint has no tokenizer`);
  const tokenizer = tokenizerFromJSON(saved.tokenizer as SavedTokenizer, `${dir}/config.json tokenizer`);
  const head = (saved.extraTensors.reward_head as tf.Tensor2D | undefined) ?? null;
  return withStart(tokenizer, tokenizer.bosId, spec, { config: saved.config, params: saved.params }, dir, path.join(dir, 'model.safetensors'), head);
}

/** Where a spec's model lives, before anything is loaded. */
type ResolvedSpec = { kind: 'llama2c'; model: string; tokenizer: string } | { kind: 'hf'; dir: string } | { kind: 'checkpoint'; dir: string };

/** Options of a spec that trains on demand: `pretrained:<profile>` holds out this persona trait (default agreeableness). */
export interface SpecOptions {
  heldOutTrait?: string;
  /** The run store where `pretrained:<profile>` is looked up (and trained when missing); default runs/ or IMRM_RUNS_DIR. */
  root?: string;
}

/**
 * How `pretrained:<profile>` specs are found: provided by lib/experiments/pretrained-base.ts when it loads (the
 * model layer does not reach up into the experiments; they register themselves here).
 */
export interface PretrainedResolver {
  /** The model folder of the profile's base, trained first when missing. */
  ensure(profile: string, root: string | undefined, heldOutTrait: string | undefined): Promise<string>;
  /** What names the base in run identities, without training it (its pretrain run, kind/hash). */
  identity(profile: string, root: string | undefined, heldOutTrait: string | undefined): Promise<string>;
}

let pretrainedResolver: PretrainedResolver | null = null;

export function setPretrainedResolver(r: PretrainedResolver): void {
  pretrainedResolver = r;
}

function pretrained(spec: string): PretrainedResolver {
  if (!pretrainedResolver) throw new Error(`model spec '${spec}': pretrained:<profile> needs lib/experiments/pretrained-base loaded (import it once)`);
  return pretrainedResolver;
}

async function resolveSpec(spec: string, opts: SpecOptions = {}): Promise<ResolvedSpec> {
  if (spec === 'stories260K') {
    return { kind: 'llama2c', model: await dataFile('stories260K/stories260K.bin'), tokenizer: await dataFile('stories260K/tok512.bin') };
  }
  if (spec.startsWith('llama2c:')) {
    const [model, tokenizer] = spec.slice('llama2c:'.length).split(',');
    if (!model || !tokenizer) throw new Error(`model spec '${spec}': expected llama2c:<model.bin>,<tokenizer.bin>`);
    for (const f of [model, tokenizer]) if (!fs.existsSync(f)) throw new Error(`model spec '${spec}': ${f} does not exist`);
    return { kind: 'llama2c', model, tokenizer };
  }
  if (spec.startsWith('hf:')) return { kind: 'hf', dir: await resolveHfDir(spec.slice(3)) };
  if (spec.startsWith('pretrained:')) {
    return { kind: 'checkpoint', dir: await pretrained(spec).ensure(spec.slice('pretrained:'.length), opts.root, opts.heldOutTrait) };
  }
  if (!fs.existsSync(spec)) {
    throw new Error(
      `model spec '${spec}': no such folder (use stories260K, llama2c:<model.bin>,<tokenizer.bin>, hf:<folder or hub id>, pretrained:<profile>, or a checkpoint folder)`,
    );
  }
  const config = path.join(spec, 'config.json');
  if (fs.existsSync(config)) {
    const json = JSON.parse(fs.readFileSync(config, 'utf8'));
    if (json.model_type) return { kind: 'hf', dir: spec };
    if (json.model) return { kind: 'checkpoint', dir: spec };
  }
  const seedModel = path.join(spec, 'seed-1', 'model');
  if (fs.existsSync(path.join(seedModel, 'config.json'))) return { kind: 'checkpoint', dir: seedModel };
  throw new Error(`model spec '${spec}': the folder holds no model (config.json with 'model' or 'model_type', or seed-1/model)`);
}

export async function loadBaseModel(spec: string, opts: SpecOptions = {}): Promise<BaseModel> {
  const r = await resolveSpec(spec, opts);
  if (r.kind === 'llama2c') return fromLlama2c(spec, r.model, r.tokenizer);
  if (r.kind === 'hf') return fromHf(spec, r.dir);
  return fromCheckpoint(spec, r.dir);
}

/**
 * What identifies a model spec's weights in run hashes, without loading them: the sha256 of its weights file(s), or
 * for pretrained:<profile> the pretrain run that makes them (kind/hash: its identity fixes the weights), so that
 * nothing is trained to name it.
 */
export async function baseModelIdentity(spec: string, opts: SpecOptions = {}): Promise<{ spec: string; sha256?: string[]; run?: string }> {
  if (spec.startsWith('pretrained:')) {
    return { spec, run: await pretrained(spec).identity(spec.slice('pretrained:'.length), opts.root, opts.heldOutTrait) };
  }
  const r = await resolveSpec(spec, opts);
  const files =
    r.kind === 'llama2c'
      ? [r.model, r.tokenizer]
      : fs
          .readdirSync(r.dir)
          .filter((f) => f.endsWith('.safetensors') || f === 'config.json' || f === 'tokenizer.json')
          .sort()
          .map((f) => path.join(r.dir, f));
  return { spec, sha256: files.map((f) => fileSha256(f)) };
}

/** Prompt ids: the start token (if any), then the text's tokens. */
export function promptIds(base: BaseModel, text: string): number[] {
  return [...(base.startId === null ? [] : [base.startId]), ...base.tokenizer.encode(text)];
}
