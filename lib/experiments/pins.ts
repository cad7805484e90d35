/**
 * Pinned outputs: "would this change move the numbers?" answered by a test, not by memory.
 *
 * Each experiment's smoke profile (seed 1, in a fresh run store) is computed and every metric it reports is
 * compared with tests/pins/<experiment>.json, to a tolerance of 1e-6 x max(1, |pinned|). A pin file records the
 * versions it was made under (the experiment's, and those of the bases its smoke run trains). The rule:
 *   - numbers unchanged: the change keeps every cached run valid (a comment, a refactor, a faster identical kernel);
 *   - numbers moved: bump the version of the experiment (or of the base that moved) and update the pins in the
 *     same commit (`npm run pins -- --update`); the update refuses to pin new numbers under unchanged versions.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ProfileName } from './types';
import { EXPERIMENTS } from './registry';
import { runExperiment } from './runner';
import { pretrain } from './pretrain';
import { HAMILTONIAN_BASE_VERSION } from './hamiltonian-base';
import { REWARD_MODELS } from '../rewards/reward-model';

export const PIN_PROFILE: ProfileName = 'smoke';
/** |computed - pinned| <= PIN_TOLERANCE * max(1, |pinned|). */
export const PIN_TOLERANCE = 1e-6;

/** Overrides of the smoke profile for pinning, so that every code path of the experiment is covered. */
const PIN_OVERRIDES: Record<string, unknown> = {
  'token-cues': { rewardModels: Object.keys(REWARD_MODELS) },
};

/** Versions besides the experiment's own that its smoke numbers depend on (bases trained on the way). */
function upstreamVersions(name: string): Record<string, number> {
  if (name === 'hamiltonian') return { 'hamiltonian-base': HAMILTONIAN_BASE_VERSION };
  if (name === 'token-cues' || name === 'real-world') return { pretrain: pretrain.version }; // their smoke base is pretrained:smoke
  if (name === 'alignment') return { pretrain: pretrain.version, 'token-cues': EXPERIMENTS['token-cues'].version }; // its bases are pretrain runs
  return {};
}

/** Whether two version maps are equal, whatever their key order (as the pins test compares them). */
export function sameVersions(a: Record<string, number> | undefined, b: Record<string, number>): boolean {
  return a !== undefined && isDeepStrictEqual(a, b);
}

/** Backends whose pins must exist: the ones CI runs (a missing pin there fails, never skips). */
export const PINNED_BACKENDS = ['wasm', 'wasm+openblas'];

export function pinVersions(name: string): Record<string, number> {
  return { [name]: EXPERIMENTS[name].version, ...upstreamVersions(name) };
}

export interface PinFile {
  experiment: string;
  profile: ProfileName;
  overrides: unknown;
  versions: Record<string, number>;
  /** backend -> "group/split/metric" -> value */
  backends: Record<string, Record<string, number>>;
}

/** Leaves of a nested metrics object as "a/b/c" -> number; wall-clock times (keys ending in Seconds) are left out. */
export function flattenMetrics(value: unknown, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value === 'number') out[prefix] = value;
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (/seconds$/i.test(k)) continue;
      Object.assign(out, flattenMetrics(v, prefix ? `${prefix}/${k}` : k));
    }
  }
  return out;
}

/** The pinned quantities of one experiment, computed now in a fresh run store. */
export async function computePins(name: string): Promise<{ backend: string; metrics: Record<string, number> }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `imrm-pins-${name}-`));
  try {
    const run = await runExperiment(EXPERIMENTS[name], { profile: PIN_PROFILE, seeds: 1, overrides: PIN_OVERRIDES[name], root });
    const result = JSON.parse(fs.readFileSync(path.join(run.dir, 'seed-1', 'result.json'), 'utf8'));
    return { backend: run.summary.backend, metrics: flattenMetrics(result.metrics) };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Differences between pinned and computed metrics, one line each (empty: they agree). */
export function comparePins(pinned: Record<string, number>, computed: Record<string, number>, tolerance = PIN_TOLERANCE): string[] {
  const out: string[] = [];
  for (const k of Object.keys(pinned)) {
    if (!(k in computed)) out.push(`${k}: pinned ${pinned[k]}, no longer reported`);
    else {
      const [a, b] = [computed[k], pinned[k]];
      const same = (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));
      if (!same) out.push(`${k}: pinned ${b}, now ${a}`);
    }
  }
  for (const k of Object.keys(computed)) if (!(k in pinned)) out.push(`${k}: new metric ${computed[k]}, not pinned`);
  return out;
}

export function pinFilePath(name: string, dir = path.resolve(__dirname, '..', '..', 'tests', 'pins')): string {
  return path.join(dir, `${name}.json`);
}

export function readPinFile(file: string): PinFile | null {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as PinFile) : null;
}

/**
 * The pin file after an update with `computed` on `backend`, or an error when numbers moved while every version
 * stayed the same (the rule: bump a version in the same commit).
 */
export function updatedPinFile(name: string, old: PinFile | null, backend: string, computed: Record<string, number>): PinFile {
  const versions = pinVersions(name);
  const unchanged = old !== null && sameVersions(old.versions, versions);
  const pinned = old?.backends[backend];
  if (unchanged && pinned) {
    const diff = comparePins(pinned, computed);
    if (diff.length > 0) {
      throw new Error(
        `${name}: the numbers moved but the versions did not (${JSON.stringify(versions)}). ` +
          `Bump the version of what changed (the experiment's \`version\`, or a base's) and update again.\n  ${diff.slice(0, 5).join('\n  ')}`,
      );
    }
  }
  // A version bump invalidates the pins of every backend: the other backends are re-pinned when next updated there.
  const backends = unchanged ? { ...old.backends } : {};
  return { experiment: name, profile: PIN_PROFILE, overrides: PIN_OVERRIDES[name] ?? {}, versions, backends: { ...backends, [backend]: computed } };
}
