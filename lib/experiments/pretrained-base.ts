/**
 * Finding the in-project pretrained base model of a profile. The exact run (same config, data and code version)
 * is preferred; when the library code changed since it was trained, the newest completed run with the same
 * config and data is used instead (retraining an hour-long model after every refactor helps no one) and the
 * code-version difference is reported. Experiments that start from it hash its weights, so their own caches
 * stay exact.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ProfileName } from './types';
import { resolveExperimentConfig, resolveRun, runExperiment, runsOfOtherCode } from './runner';
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
  const { dir: exact, identity } = await resolveRun(pretrain, { profile, root });
  const model = (run: string) => path.join(run, `seed-${seed}`, 'model');
  if (fs.existsSync(path.join(model(exact), 'config.json'))) return { dir: model(exact), runDir: exact, codeVersionNote: null };
  const other = runsOfOtherCode(exact, identity, path.join(`seed-${seed}`, 'model', 'config.json'))[0];
  if (!other) return null;
  return { dir: model(other.dir), runDir: other.dir, codeVersionNote: `trained by library code ${other.code}; the current code is ${identity.code}` };
}

/** The base model of a profile, training it (cached, resumable) when no run exists yet. */
export async function ensurePretrainedBase(profile: ProfileName, progress?: ProgressRenderer, root?: string): Promise<PretrainedLocation> {
  resolveExperimentConfig(pretrain, profile);
  const found = await findPretrainedBase(profile, 1, root);
  if (found) return found;
  const run = await runExperiment(pretrain, { profile, seeds: 1, progress, root });
  return { dir: path.join(run.dir, 'seed-1', 'model'), runDir: run.dir, codeVersionNote: null };
}
