/**
 * An experiment is a typed config with defaults and profiles, and a function that runs one seed. The runner
 * (runner.ts) turns that into cached runs over N seeds, identified by {name, version, config, data, backend}.
 */
import type { Progress } from '../runs/progress';
import type { Aggregate } from '../runs/stats';

export type ProfileName = 'smoke' | 'quick' | 'paper' | 'full';
export const PROFILES: ProfileName[] = ['smoke', 'quick', 'paper', 'full'];

export interface SeedContext {
  /** The master seed of this run (1, 2, ...); components derive their own seeds from it. */
  seed: number;
  /** Folder of this seed inside the run folder: checkpoints and per-seed artefacts live here. */
  dir: string;
  /** Absolute root of the run store: artefacts shared by runs (bases) live under it. */
  runsRoot: string;
  progress: Progress;
  force: boolean;
}

/** group (e.g. a reward model) -> split -> metric -> value: the shape of most experiments' metrics. */
export type MetricTable = Record<string, Record<string, Record<string, number>>>;

/**
 * An experiment's typed per-seed metrics: any tree whose leaves are numbers (an interface per experiment, e.g.
 * TokenCuesMetrics). The runner aggregates every leaf over seeds into the same tree of Aggregates.
 */
export type MetricTree = object;

/** The tree M with every number replaced by its aggregate over seeds (mean, std, 95% CI, per-seed values). */
export type Aggregated<M> = M extends number ? Aggregate : M extends object ? { [K in keyof M]: Aggregated<M[K]> } : never;

export interface SeedResult<M extends MetricTree = MetricTable> {
  metrics: M;
  /** Lines for metrics.jsonl (per-epoch evaluations, training losses...); the runner adds the seed. */
  records: Array<Record<string, unknown>>;
}

export interface Experiment<C extends object, M extends MetricTree = MetricTable> {
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
  /**
   * What identifies the data beyond the config (e.g. file checksums, the bases it starts from); part of the run
   * hash. `store.root` is the run store the run belongs to, where its bases are looked up.
   */
  dataIdentity(config: C, store?: { root: string }): unknown | Promise<unknown>;
  runSeed(config: C, ctx: SeedContext): Promise<SeedResult<M>>;
}
