/**
 * Model checkpoints: <dir>/model.safetensors (weights, by the names of params.ts, plus optional extra tensors
 * such as an EX-RM head) + <dir>/config.json ({model: ModelConfig, tokenizer: tokenizer JSON | null, ...extra}).
 * Save/load is an exact round trip.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type ModelConfig, resolveModelConfig } from './config';
import { type Params, checkParams, paramSpecs } from './params';
import { type RawTensor, readSafetensors, writeSafetensors } from './safetensors';

export async function tensorsToRaw(tensors: Record<string, tf.Tensor>): Promise<Record<string, RawTensor>> {
  const out: Record<string, RawTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const data = (await t.data()) as Float32Array | Int32Array;
    out[name] = { dtype: t.dtype === 'int32' ? 'int32' : 'float32', shape: t.shape.slice(), data };
  }
  return out;
}

export function rawToTensors(raw: Record<string, RawTensor>, prefix = ''): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, r] of Object.entries(raw)) {
    if (name.startsWith(prefix)) out[name.slice(prefix.length)] = tf.tensor(r.data, r.shape, r.dtype);
  }
  return out;
}

export interface SavedModel {
  config: ModelConfig;
  params: Params;
  tokenizer: unknown;
  extra: Record<string, unknown>;
  /** Tensors that are not model parameters (e.g. 'reward_head'). */
  extraTensors: Record<string, tf.Tensor>;
}

export async function saveModel(
  dir: string,
  config: ModelConfig,
  params: Params,
  tokenizer: unknown = null,
  extra: Record<string, unknown> = {},
  extraTensors: Record<string, tf.Tensor> = {},
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of Object.keys(extraTensors)) if (name in params) throw new Error(`saveModel: extra tensor '${name}' clashes with a parameter`);
  writeSafetensors(path.join(dir, 'model.safetensors'), await tensorsToRaw({ ...params, ...extraTensors }), { format: 'imrm-workbench' });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model: config, tokenizer, ...extra }, null, 1));
}

export function loadModel(dir: string): SavedModel {
  const configPath = path.join(dir, 'config.json');
  if (!fs.existsSync(configPath)) throw new Error(`${dir}: no config.json (not a model checkpoint)`);
  const { model, tokenizer, ...extra } = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const config = resolveModelConfig(model, `${configPath} 'model'`);
  const all = rawToTensors(readSafetensors(path.join(dir, 'model.safetensors')).tensors);
  const names = new Set(paramSpecs(config).map((s) => s.name));
  const params: Params = {};
  const extraTensors: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(all)) (names.has(name) ? params : extraTensors)[name] = t;
  checkParams(config, params, path.join(dir, 'model.safetensors'));
  return { config, params, tokenizer: tokenizer ?? null, extra, extraTensors };
}
