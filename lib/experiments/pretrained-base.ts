/**
 * Finding the in-project pretrained base model of a profile. The exact run (same config, data and code version)
 * is preferred; when the library code changed since it was trained, the newest completed run with the same
 * config and data is used instead (retraining an hour-long model after every refactor helps no one) and the
 * code-version difference is reported. Experiments that start from it hash its weights, so their own caches
 * stay exact.
 */
import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson, codeVersion } from '../runs/hash';
import { initBackend } from '../backend';
import { ProfileName } from './types';
import { resolveExperimentConfig, runDirectory, runExperiment } from './runner';
import { pretrain } from './pretrain';
import { ProgressRenderer } from '../runs/progress';

export interface PretrainedLocation {
  /** The model folder (config.json + model.safetensors). */
  dir: string;
  runDir: string;
  /** Set when the run was made by a different library code version than the current one. */
  codeVersionNote: string | null;
}

export async function findPretrainedBase(profile: ProfileName, seed = 1, root?: string): Promise<PretrainedLocation | null> {
  const exact = await runDirectory(pretrain, { profile, root });
  const modelOf = (run: string) => path.join(run, `seed-${seed}`, 'model');
  if (fs.existsSync(path.join(modelOf(exact), 'config.json'))) return { dir: modelOf(exact), runDir: exact, codeVersionNote: null };
  const parent = path.dirname(exact);
  if (!fs.existsSync(parent)) return null;
  const config = resolveExperimentConfig(pretrain, profile);
  const wanted = { config, data: await pretrain.dataIdentity(config), code: codeVersion(pretrain.sourceFile), backend: (await initBackend()).backend };
  const candidates = fs.readdirSync(parent).map((h) => path.join(parent, h))
    .filter((d) => d !== exact && fs.existsSync(path.join(modelOf(d), 'config.json')) && fs.existsSync(path.join(d, 'config.json')))
    .map((d) => ({ d, identity: JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8')), mtime: fs.statSync(path.join(modelOf(d), 'config.json')).mtimeMs }))
    .filter((x) => canonicalJson(x.identity.config) === canonicalJson(wanted.config) && canonicalJson(x.identity.data) === canonicalJson(wanted.data) && x.identity.backend === wanted.backend)
    .sort((a, b) => b.mtime - a.mtime);
  if (candidates.length === 0) return null;
  const best = candidates[0];
  return { dir: modelOf(best.d), runDir: best.d, codeVersionNote: `trained by library code ${best.identity.code}; the current code is ${wanted.code}` };
}

/** The base model of a profile, training it (cached, resumable) when no run exists yet. */
export async function ensurePretrainedBase(profile: ProfileName, progress?: ProgressRenderer, root?: string): Promise<PretrainedLocation> {
  resolveExperimentConfig(pretrain, profile);
  const found = await findPretrainedBase(profile, 1, root);
  if (found) return found;
  const run = await runExperiment(pretrain, { profile, seeds: 1, progress, root });
  return { dir: path.join(run.dir, 'seed-1', 'model'), runDir: run.dir, codeVersionNote: null };
}
