/**
 * The in-project pretrained base model of a profile (`pretrained:<profile>`): the pretrain run of that profile,
 * trained (cached, resumable) when missing. An experiment on another persona trait holds that trait out instead. Its identity is the pretrain experiment's (version, config, data,
 * backend); experiments that start from it hash its weights, so their own caches stay exact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProfileName } from './types';
import { ensureArtefactRun, resolveArtefactRun, resolveExperimentConfig } from './runner';
import { pretrain } from './pretrain';
import type { ProgressRenderer } from '../runs/progress';
import { setPretrainedResolver } from '../model/load';

export interface PretrainedLocation {
  /** The model folder (config.json + model.safetensors). */
  dir: string;
  runDir: string;
}

/** Pretrain overrides that hold out `trait` (the token-cue experiment's) instead of the default agreeableness. */
export function holdingOut(trait?: string): unknown {
  return trait === undefined ? undefined : { corpus: { heldOutTraits: [trait] } };
}

/** The base of a profile if the store has it (made by this engine, else by one that may share it); nothing is run. */
export async function findPretrainedBase(profile: ProfileName, seed = 1, root?: string, heldOutTrait?: string): Promise<PretrainedLocation | null> {
  const { dir } = await resolveArtefactRun(pretrain, { profile, root, overrides: holdingOut(heldOutTrait) });
  const model = path.join(dir, `seed-${seed}`, 'model');
  return fs.existsSync(path.join(model, 'config.json')) ? { dir: model, runDir: dir } : null;
}

/** The run that is (or will be) the base of a profile, as kind/hash: what names it in other runs' identities. */
export async function pretrainedBaseRun(profile: ProfileName, root?: string, heldOutTrait?: string): Promise<string> {
  const { hash } = await resolveArtefactRun(pretrain, { profile, root, overrides: holdingOut(heldOutTrait) });
  return `${pretrain.name}/${hash}`;
}

/** The base model of a profile, training it (cached, resumable) when no run exists yet. */
export async function ensurePretrainedBase(
  profile: ProfileName,
  progress?: ProgressRenderer,
  root?: string,
  heldOutTrait?: string,
): Promise<PretrainedLocation> {
  resolveExperimentConfig(pretrain, profile, holdingOut(heldOutTrait));
  const found = await findPretrainedBase(profile, 1, root, heldOutTrait);
  if (found) return found;
  const run = await ensureArtefactRun(pretrain, { profile, seeds: 1, progress, root, overrides: holdingOut(heldOutTrait) });
  return { dir: path.join(run.dir, 'seed-1', 'model'), runDir: run.dir };
}

// pretrained:<profile> model specs (lib/model/load.ts) resolve through this module.
setPretrainedResolver({
  ensure: async (profile, root, trait) => (await ensurePretrainedBase(profile as ProfileName, undefined, root, trait)).dir,
  identity: (profile, root, trait) => pretrainedBaseRun(profile as ProfileName, root, trait),
});
