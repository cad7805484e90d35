/**
 * Resumable training state: <dir>/weights.safetensors (trainable tensors under 'param.', optimizer moments under
 * 'opt.') and <dir>/state.json (counters and whatever the trainer needs to continue). Both files are replaced
 * atomically; state.json is written last, so a state file always describes complete weights.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import { rawToTensors, tensorsToRaw } from '../model/checkpoint';
import type { AdamW } from './adamw';
import { moveAside, readJsonFile, writeFileAtomic } from '../runs/lock';

export async function saveTrainingState(dir: string, vars: Record<string, tf.Variable>, optimizer: AdamW, state: Record<string, unknown>): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(vars)) tensors[`param.${k}`] = v;
  for (const [k, v] of Object.entries(optimizer.stateTensors())) tensors[`opt.${k}`] = v;
  writeSafetensors(path.join(dir, 'weights.safetensors'), await tensorsToRaw(tensors));
  writeFileAtomic(path.join(dir, 'state.json'), JSON.stringify({ ...state, optimizerStep: optimizer.step }));
}

/**
 * Restores variables and optimizer in place; returns the saved state, or null when there is no checkpoint. A
 * checkpoint that cannot be read (a crash mid-write, a damaged file) is moved aside, with one line naming it, and
 * null is returned: training starts over and, being deterministic, reaches the same result.
 */
export function loadTrainingState<S>(dir: string, vars: Record<string, tf.Variable>, optimizer: AdamW): S | null {
  const statePath = path.join(dir, 'state.json');
  if (!fs.existsSync(statePath)) return null;
  let state: { optimizerStep: number };
  let raw: ReturnType<typeof readSafetensors>['tensors'];
  try {
    state = readJsonFile(statePath);
    raw = readSafetensors(path.join(dir, 'weights.safetensors')).tensors;
  } catch (e) {
    const aside = moveAside(dir);
    console.error(`checkpoint ${dir} is unreadable (${(e as Error).message.split('\n')[0]}): moved aside to ${path.basename(aside)}; training starts over`);
    return null;
  }
  tf.tidy(() => {
    const params = rawToTensors(raw, 'param.');
    for (const [k, v] of Object.entries(vars)) {
      if (!params[k]) throw new Error(`${dir}: checkpoint has no tensor '${k}'`);
      v.assign(params[k]);
    }
    optimizer.loadState(state.optimizerStep, rawToTensors(raw, 'opt.'));
  });
  return state as S;
}

/** Named gradients from tf.variableGrads, keyed back by our parameter names. */
export function gradsByName(lossFn: () => tf.Scalar, vars: Record<string, tf.Variable>): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const names = Object.keys(vars);
  const list = names.map((n) => vars[n]);
  const { value, grads } = tf.variableGrads(lossFn, list);
  const out: Record<string, tf.Tensor> = {};
  names.forEach((n, i) => {
    const g = grads[list[i].name];
    if (g) out[n] = g;
  });
  return { loss: value, grads: out };
}

/** Adds `grads` into `acc` (disposing what it replaces). */
export function accumulate(acc: Record<string, tf.Tensor>, grads: Record<string, tf.Tensor>): void {
  for (const [k, g] of Object.entries(grads)) {
    if (acc[k]) {
      const sum = acc[k].add(g);
      acc[k].dispose();
      g.dispose();
      acc[k] = sum;
    } else {
      acc[k] = g;
    }
  }
}

/** SHA-256 of every tensor's bytes, in name order: proves a frozen model did not change. */
export async function fingerprint(tensors: Record<string, tf.Tensor>): Promise<string> {
  const hash = require('node:crypto').createHash('sha256');
  for (const name of Object.keys(tensors).sort()) {
    const d = (await tensors[name].data()) as Float32Array | Int32Array;
    hash.update(name);
    hash.update(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  }
  return hash.digest('hex');
}
