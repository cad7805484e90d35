/**
 * An experiment is a typed config with defaults and profiles, and a function that runs one seed. The runner
 * (runner.ts) turns that into cached runs over N seeds, identified by {name, version, config, data, backend}.
 */
import type { Progress } from '../runs/progress';

export type ProfileName = 'smoke' | 'quick' | 'paper' | 'full';
export const PROFILES: ProfileName[] = ['smoke', 'quick', 'paper', 'full'];

export interface SeedContext {
  /** The master seed of this run (1, 2, ...); components derive their own seeds from it. */
  seed: number;
  /** Folder of this seed inside the run folder: checkpoints and per-seed artefacts live here. */
  dir: string;
  progress: Progress;
  force: boolean;
}

/** group (e.g. a reward model) -> split -> metric -> value */
export type MetricTable = Record<string, Record<string, Record<string, number>>>;

export interface SeedResult {
  metrics: MetricTable;
  /** Lines for metrics.jsonl (per-epoch evaluations, training losses...); the runner adds the seed. */
  records: Array<Record<string, unknown>>;
}

export interface Experiment<C extends object> {
  name: string;
  description: string;
  /**
   * Bumped by every change that moves this experiment's numbers (part of the run identity, so cached runs of
   * the old version are not re-used). tests/pins.test.ts fails until it is bumped and the pins are updated.
   */
  version: number;
  defaults: C;
  /** Overrides of the defaults per profile: smoke (seconds, CI), quick (minutes), paper (the paper's settings where feasible). */
  profiles: Record<'smoke' | 'quick', unknown> & Partial<Record<ProfileName, unknown>>;
  /** Throws a ConfigError naming the key of the first invalid value. */
  validate(config: C): void;
  /** Units of work per seed, for the progress bar (e.g. optimizer steps). */
  workUnits(config: C): number;
  /** What identifies the data beyond the config (e.g. file checksums); part of the run hash. */
  dataIdentity(config: C): unknown | Promise<unknown>;
  runSeed(config: C, ctx: SeedContext): Promise<SeedResult>;
}
