/**
 * Pinned outputs: "would this change move the numbers?" answered by a test, not by memory.
 *
 * Each experiment has two pinned configurations, each computed for seed 1 in a fresh run store, every metric it
 * reports compared with its pin file to a tolerance of 1e-6 x max(1, |pinned|):
 *   - smoke (tests/pins/<experiment>.json): the smoke profile, one worker;
 *   - paths (tests/pins/<experiment>.paths.json): a second small configuration on the code paths the quick, paper
 *     and full profiles take and smoke does not: several micro-batches per step, two data-parallel workers, longer
 *     sequences, the Hamiltonian base continuing a cached shorter curriculum.
 * A pin file records the versions it was made under (the experiment's, and those of the bases its runs train). The
 * rule:
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
import { withDefaultPool } from '../train/data-parallel';

/** |computed - pinned| <= PIN_TOLERANCE * max(1, |pinned|). */
export const PIN_TOLERANCE = 1e-6;

export interface PinConfig {
  /** 'smoke' or 'paths'; names the pin file. */
  name: PinConfigName;
  profile: ProfileName;
  /** Overrides of the profile (as `--set` would give them). */
  overrides: Record<string, unknown>;
  /** Data-parallel workers (results are bit-identical to one worker; more exercise the worker path). */
  workers: number;
  /** Overrides of a run computed first in the same store, whose cached artefacts the pinned run builds on. */
  before?: Record<string, unknown>;
}

export type PinConfigName = 'smoke' | 'paths';
export const PIN_CONFIG_NAMES: PinConfigName[] = ['smoke', 'paths'];

const ALL_REWARD_MODELS = Object.keys(REWARD_MODELS);
/** Two micro-batches of 4 in each preference step of 8 (the smoke profiles' batch), shared by two workers. */
const TWO_MICRO_BATCHES = { train: { microBatchSize: 4 } };

/** The 'paths' configuration of each experiment: what it exercises that smoke does not is said beside it. */
const PATHS_OVERRIDES: Record<string, Pick<PinConfig, 'overrides' | 'before'>> = {
  // Longer copies, a longer pretraining window split in micro-batches, two micro-batches per preference step.
  'toy-copy': { overrides: { task: { length: 6 }, pretrain: { lm: { seqLen: 48, microBatchSize: 4 } }, ...TWO_MICRO_BATCHES } },
  // The yes/no base trained in micro-batches, and the sweep of step sizes.
  dynamics: { overrides: { base: { lm: { batchSize: 8, microBatchSize: 4, seqLen: 48 } } } },
  theorem2: { overrides: { base: { lm: { batchSize: 8, microBatchSize: 4, seqLen: 48 } } } },
  // No training: a larger graph (6! responses enumerated) than smoke's.
  theorem1: { overrides: { n: 6 } },
  // The paper's curriculum shape in small: three stages (the last with permutations mixed in), two micro-batches a
  // step, and the third stage continuing from the cached two-stage base computed before.
  hamiltonian: {
    before: {
      base: {
        stages: [
          { maxVertices: 4, steps: 4, walkLength: 2 },
          { maxVertices: 5, steps: 4, walkLength: 1 },
        ],
        lm: { batchSize: 8, microBatchSize: 4 },
      },
    },
    overrides: {
      base: {
        stages: [
          { maxVertices: 4, steps: 4, walkLength: 2 },
          { maxVertices: 5, steps: 4, walkLength: 1 },
          { maxVertices: 5, steps: 3, walkLength: 1, walkFraction: 0.5 },
        ],
        lm: { batchSize: 8, microBatchSize: 4 },
      },
      ...TWO_MICRO_BATCHES,
    },
  },
  // Longer windows of the stream, in micro-batches.
  pretrain: { overrides: { train: { seqLen: 96, microBatchSize: 2 } } },
  'token-cues': { overrides: { rewardModels: ALL_REWARD_MODELS, ...TWO_MICRO_BATCHES } },
  // Sequences of up to 128 tokens (quick's length), in micro-batches of 2.
  'real-world': { overrides: { format: { maxLength: 128, maxPromptTokens: 48 }, train: { microBatchSize: 2 } } },
  alignment: { overrides: { tokenCues: TWO_MICRO_BATCHES } },
};

/** The pinned configurations of an experiment: smoke, then paths. */
export function pinConfigs(name: string): PinConfig[] {
  return [
    // Every reward model of token-cues in smoke too, so that each one's smoke path is pinned.
    { name: 'smoke', profile: 'smoke', overrides: name === 'token-cues' ? { rewardModels: ALL_REWARD_MODELS } : {}, workers: 1 },
    { name: 'paths', profile: 'smoke', workers: 2, ...PATHS_OVERRIDES[name] },
  ];
}

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
  /** Absent in files written before the second configuration: smoke. */
  config?: PinConfigName;
  profile: ProfileName;
  overrides: unknown;
  workers?: number;
  before?: unknown;
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

/** The pinned quantities of one experiment's configuration, computed now in a fresh run store. */
export async function computePins(name: string, config: PinConfig): Promise<{ backend: string; metrics: Record<string, number> }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `imrm-pins-${name}-`));
  const experiment = EXPERIMENTS[name];
  try {
    return await withDefaultPool(config.workers, async () => {
      if (config.before) await runExperiment(experiment, { profile: config.profile, seeds: 1, overrides: config.before, root });
      const run = await runExperiment(experiment, { profile: config.profile, seeds: 1, overrides: config.overrides, root });
      const result = JSON.parse(fs.readFileSync(path.join(run.dir, 'seed-1', 'result.json'), 'utf8'));
      return { backend: run.summary.backend, metrics: flattenMetrics(result.metrics) };
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Why a pin file no longer describes the configuration the code pins (empty: it does). */
export function staleConfig(file: PinFile, config: PinConfig): string[] {
  const recorded = { profile: file.profile, overrides: file.overrides, workers: file.workers ?? 1, before: file.before };
  const now = { profile: config.profile, overrides: config.overrides, workers: config.workers, before: config.before };
  return isDeepStrictEqual(JSON.parse(JSON.stringify(recorded)), JSON.parse(JSON.stringify(now)))
    ? []
    : [`pinned with ${JSON.stringify(recorded)}, the code pins ${JSON.stringify(now)}`];
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

export function pinFilePath(name: string, config: PinConfigName = 'smoke', dir = path.resolve(__dirname, '..', '..', 'tests', 'pins')): string {
  return path.join(dir, config === 'smoke' ? `${name}.json` : `${name}.${config}.json`);
}

export function readPinFile(file: string): PinFile | null {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as PinFile) : null;
}

/**
 * The pin file after an update with `computed` on `backend`, or an error when numbers moved while every version
 * stayed the same (the rule: bump a version in the same commit).
 */
export function updatedPinFile(name: string, config: PinConfig, old: PinFile | null, backend: string, computed: Record<string, number>): PinFile {
  const versions = pinVersions(name);
  const unchanged = old !== null && sameVersions(old.versions, versions);
  const pinned = old?.backends[backend];
  if (unchanged && pinned) {
    const diff = comparePins(pinned, computed);
    if (diff.length > 0) {
      throw new Error(
        `${name} (${config.name}): the numbers moved but the versions did not (${JSON.stringify(versions)}). ` +
          `Bump the version of what changed (the experiment's \`version\`, or a base's) and update again.\n  ${diff.slice(0, 5).join('\n  ')}`,
      );
    }
  }
  // A version bump invalidates the pins of every backend: the other backends are re-pinned when next updated there.
  const backends = unchanged ? { ...old.backends } : {};
  const { name: configName, profile, overrides, workers, before } = config;
  return { experiment: name, config: configName, profile, overrides, workers, before, versions, backends: { ...backends, [backend]: computed } };
}
