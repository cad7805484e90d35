/**
 * The bases that ship under data/bases (lib/runs/shipped.ts), each with how the code builds it today: its run
 * identity (what must match for a shipped copy to be used) and the command that trains it. `npm run bases`
 * builds and ships them; tests/shipped-bases.test.ts compares every shipped entry with `resolveBase`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { alignment, baseOverrides } from './alignment';
import { type FamilyBase, familyBases } from './alignment-family';
import { pretrain } from './pretrain';
import { hamiltonian, baseTask } from './hamiltonian';
import { baseIdentity, baseSteps, ensureHamiltonianBase, hamiltonianBaseDir, resolveHamiltonianBase } from './hamiltonian-base';
import { ensureArtefactRun, resolveArtefactRun, resolveExperimentConfig, resolveRun, runsRoot } from './runner';
import { Progress, type ProgressRenderer } from '../runs/progress';
import type { ProfileName } from './types';
import { initBackend } from '../backend';
import { type ShippedBase, verifyShipped } from '../runs/shipped';
import { canonicalJson } from '../runs/hash';

export interface ResolvedBase {
  kind: string;
  hash: string;
  identity: unknown;
  /** Its folder in the run store, and whether the base is finished there. */
  dir: string;
  built: boolean;
}

export interface BaseRecipe {
  name: string;
  /** The experiment whose default config uses it, in these profiles (`npm run reproduce` builds it first). */
  usedBy: { experiment: string; profiles: ProfileName[] };
  /** The command that trains it (and what `npm run bases -- --update <name>` runs in-process). */
  producedBy: string;
  /**
   * The base a run would use now (resolveArtefactRun: this engine's, or a finished or shipped one of an engine that
   * may share it), or with `backend` the identity that engine builds.
   */
  resolve(root?: string, backend?: string): Promise<ResolvedBase>;
  build(root?: string, progress?: ProgressRenderer): Promise<void>;
}

function pretrainRecipe(name: string, producedBy: string, usedBy: BaseRecipe['usedBy'], request: () => { profile: 'full'; overrides?: unknown }): BaseRecipe {
  return {
    name,
    producedBy,
    usedBy,
    async resolve(root, backend) {
      const { identity, hash, dir } = backend
        ? await resolveRun(pretrain, { ...request(), root, backend })
        : await resolveArtefactRun(pretrain, { ...request(), root });
      return { kind: pretrain.name, hash, identity, dir, built: fs.existsSync(path.join(dir, 'summary.json')) };
    },
    async build(root, progress) {
      await ensureArtefactRun(pretrain, { ...request(), seeds: 1, root, progress });
    },
  };
}

// The family's bases are the same in the quick and paper profiles (only what is measured on them differs).
const alignmentBase = (b: FamilyBase) =>
  pretrainRecipe(`alignment-${b.label}`, `npm run alignment-bases -- --base ${b.label}`, { experiment: 'alignment', profiles: ['quick', 'paper'] }, () => {
    const c = resolveExperimentConfig(alignment, 'paper');
    return { profile: c.base.profile as 'full', overrides: baseOverrides(c, b) };
  });

function hamiltonianRecipe(): BaseRecipe {
  const request = () => {
    const c = resolveExperimentConfig(hamiltonian, 'paper');
    return { task: baseTask(c), base: c.base };
  };
  return {
    name: 'hamiltonian',
    producedBy: 'npm run ham-base -- --profile paper',
    usedBy: { experiment: 'hamiltonian', profiles: ['quick', 'paper'] },
    async resolve(root, backend) {
      await initBackend(); // the base's identity names the engine
      const { task, base } = request();
      const chosen = backend ? { dir: hamiltonianBaseDir(runsRoot(root), task, base, backend), backend } : resolveHamiltonianBase(runsRoot(root), task, base);
      return {
        kind: 'hamiltonian-base',
        hash: path.basename(chosen.dir),
        identity: baseIdentity(task, base, chosen.backend),
        dir: chosen.dir,
        built: fs.existsSync(path.join(chosen.dir, 'base.json')),
      };
    },
    async build(root, render) {
      const { task, base } = request();
      const progress = new Progress(baseSteps(base), render);
      await ensureHamiltonianBase(runsRoot(root), task, base, {
        onStep: (step, loss) => progress.tick(1, `hamiltonian base step ${step} loss ${loss.toFixed(3)}`),
        onResume: (step) => progress.skip(step, 'hamiltonian base resumed'),
        onWait: (h) => progress.setLabel(`hamiltonian base: waiting (${h ? `${h.host} pid ${h.pid}` : 'another process'} trains it)`),
      });
      progress.finish();
    },
  };
}

/** Every base worth shipping: the Hamiltonian base, the in-project LM (`pretrained:full`), the alignment family. */
export const BASE_RECIPES: BaseRecipe[] = [
  hamiltonianRecipe(),
  // Used by token cues and real-world shifts only when asked for (--set base=pretrained:full).
  pretrainRecipe('in-project-lm', 'npm run exp -- pretrain --profile full', { experiment: 'token-cues', profiles: [] }, () => ({ profile: 'full' })),
  ...familyBases(resolveExperimentConfig(alignment, 'paper').family).map(alignmentBase),
];

export function baseRecipe(name: string): BaseRecipe {
  const r = BASE_RECIPES.find((b) => b.name === name);
  if (!r) throw new Error(`no base named '${name}' (known: ${BASE_RECIPES.map((b) => b.name).join(', ')})`);
  return r;
}

/** How a shipped entry compares with what the code builds: problems (stale identity, damaged files), or none. */
export async function shippedBaseProblems(entry: ShippedBase, root?: string): Promise<string[]> {
  const recipe = BASE_RECIPES.find((b) => b.name === entry.name);
  if (!recipe) return [`data/bases/${entry.name} is shipped but no recipe builds it (remove it from data/bases/manifest.json)`];
  // Compared with what the engine that made it would build now: a base is an artefact that other engines use too.
  const madeBy = (entry.identity as { backend?: string } | null)?.backend;
  const now = await recipe.resolve(root, madeBy);
  const problems = verifyShipped(entry);
  if (now.kind !== entry.kind || now.hash !== entry.hash)
    problems.push(
      `data/bases/${entry.name} was built for identity ${entry.kind}/${entry.hash}, but the code now builds ${now.kind}/${now.hash} ` +
        `(what differs: ${identityDiff(entry.identity, now.identity).join(', ') || 'the data or backend'}); regenerate it: npm run bases -- --update ${entry.name}`,
    );
  return problems;
}

/** Paths of the leaves that differ between two identities (e.g. 'version', 'config.train.steps'). */
export function identityDiff(a: unknown, b: unknown, where = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => identityDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], where ? `${where}.${k}` : k));
  }
  return canonicalJson(a ?? null) === canonicalJson(b ?? null) ? [] : [where || '(root)'];
}

/** The bases the given experiments use in `profile`, in recipe order. */
export function basesUsedBy(experiments: string[], profile: ProfileName): BaseRecipe[] {
  return BASE_RECIPES.filter((b) => experiments.includes(b.usedBy.experiment) && b.usedBy.profiles.includes(profile));
}
