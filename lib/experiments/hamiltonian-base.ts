/**
 * The Hamiltonian experiment's base model pi_ref: a small transformer that learns the prompt format and edge lookup
 * (next-token training on prompts followed by random walks along the graph's edges or random permutations) but not
 * the task. The paper starts from a pretrained LM that already looks things up in its context; ours learns it here.
 *
 * A curriculum of stages: stage k trains stages[k].steps steps on fresh graphs of minVertices..stages[k].maxVertices
 * vertices (lookup is discovered on small graphs, then extended). Training is resumable (a checkpoint every
 * checkpointEverySteps steps in <dir>.partial) and the finished base is cached by its own identity (version, edge
 * probability, generation budget, base config, backend) under <runs>/hamiltonian-base/<hash>: every seed, profile and
 * run with the same base shares it, so a run's time goes to the reward models.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { check } from '../config';
import { Rng, deriveSeed } from '../random';
import { resolveModelConfig } from '../model/config';
import { loadModel, saveModel } from '../model/checkpoint';
import type { LanguageModel } from '../model/transformer';
import { VocabTokenizer } from '../tokenizers/vocab';
import { EDGE_SEP, type Graph, SEP, graphPrompt, randomGraph, randomWalk, vertexSequence } from '../data/hamiltonian';
import { type LmTrainConfig, resolveLmTrainConfig } from '../train/lm';
import { AdamW } from '../train/adamw';
import { loadTrainingState, saveTrainingState } from '../train/checkpointing';
import { type Document, trainOnDocuments } from '../train/sft';
import { type LockHolder, buildOnce } from '../runs/lock';
import { hashOf } from '../runs/hash';
import { installShipped, isShipped } from '../runs/shipped';
import { artefactBackends, engineId } from '../backend';
import { provenance } from '../runs/env';
import { type Architecture, pretrainBase } from './base-lm';

export interface BaseStage {
  maxVertices: number;
  steps: number;
  walkLength: number;
  walkFraction?: number;
}

export interface HamiltonianBaseConfig {
  /** Pretraining documents per stage: fresh graphs (drawn from the base's own seed), each with one answer. */
  graphs: number;
  /** Fraction of pretraining answers that are random walks (the rest: random permutations); stages may override it. */
  walkFraction: number;
  /** Smallest vertex count of a pretraining graph (every stage). */
  minVertices: number;
  /**
   * Curriculum: stage k trains `steps` steps on graphs of minVertices..maxVertices vertices (uniform), whose walks
   * have walkLength times as many vertices as the graph (1: the task's answer length; more: more lookups per
   * document for little more compute, as the prompt dominates the length); walkFraction, when given, replaces
   * base.walkFraction for the stage (e.g. permutations mixed in last, so the base writes permutations).
   */
  stages: BaseStage[];
  model: Architecture;
  /** Batch size (documents), optimizer and kernels; the steps are the stages'. */
  lm: Omit<LmTrainConfig, 'steps' | 'seqLen'>;
  /** Save a resumable checkpoint every this many steps (0: only at the end of each stage). */
  checkpointEverySteps: number;
}

/**
 * What the base depends on besides its own config: the edge probability of its graphs and the generation budget
 * (part of its context). Not the task's vertex count: the tokenizer has every vertex up to MAX_VERTICES, so one base
 * serves tasks of any size (the sweep over n uses the same base).
 */
export interface BaseTask {
  edgeProbability: number;
  maxNewTokens: number;
}

/** Largest graph of the tokenizer, hence of any task or curriculum stage. */
export const MAX_VERTICES = 16;

/**
 * Bumped by every change that moves the base's weights (part of its identity and of every hamiltonian run's); the
 * hamiltonian pins (tests/pins) cover the base's smoke-profile numbers.
 */
export const HAMILTONIAN_BASE_VERSION = 1;

/** The base's master seed: one base per configuration, whatever the run's seeds. */
const BASE_SEED = 1;

export function baseSteps(base: HamiltonianBaseConfig): number {
  return base.stages.reduce((a, s) => a + s.steps, 0);
}

/** Tokens of the task: the prompt words, the vertex numbers 0..MAX_VERTICES-1 and the two separators. */
export function hamiltonianTokenizer(): VocabTokenizer {
  return VocabTokenizer.build(['Vertices: \nEdges: ', ...Array.from({ length: MAX_VERTICES }, (_, i) => String(i))], 'word', [SEP, EDGE_SEP]);
}

export function validateBaseConfig(base: HamiltonianBaseConfig, where: string): void {
  check(Number.isInteger(base.graphs) && base.graphs > 0, where, 'base.graphs', 'must be a positive integer', base.graphs);
  check(base.walkFraction >= 0 && base.walkFraction <= 1, where, 'base.walkFraction', 'must be in [0, 1]', base.walkFraction);
  check(
    Number.isInteger(base.minVertices) && base.minVertices >= 3 && base.minVertices <= MAX_VERTICES,
    where,
    'base.minVertices',
    `must be an integer in [3, ${MAX_VERTICES}]`,
    base.minVertices,
  );
  check(
    Array.isArray(base.stages) && base.stages.length > 0,
    where,
    'base.stages',
    'must be a non-empty list of { maxVertices, steps, walkLength, walkFraction? }',
    base.stages,
  );
  base.stages.forEach((s, k) => {
    check(
      Number.isInteger(s.maxVertices) && s.maxVertices >= base.minVertices && s.maxVertices <= MAX_VERTICES,
      where,
      `base.stages[${k}].maxVertices`,
      `must be an integer in [base.minVertices, ${MAX_VERTICES}]`,
      s.maxVertices,
    );
    check(Number.isInteger(s.steps) && s.steps >= 0, where, `base.stages[${k}].steps`, 'must be a non-negative integer', s.steps);
    check(
      Number.isInteger(s.walkLength) && s.walkLength >= 1,
      where,
      `base.stages[${k}].walkLength`,
      'must be a positive integer (walk vertices per graph vertex)',
      s.walkLength,
    );
    if (s.walkFraction !== undefined)
      check(
        s.walkFraction >= 0 && s.walkFraction <= 1,
        where,
        `base.stages[${k}].walkFraction`,
        'must be in [0, 1] (or absent: base.walkFraction)',
        s.walkFraction,
      );
  });
  check(
    Number.isInteger(base.checkpointEverySteps) && base.checkpointEverySteps >= 0,
    where,
    'base.checkpointEverySteps',
    'must be a non-negative integer',
    base.checkpointEverySteps,
  );
  resolveModelConfig({ ...base.model, vocabSize: 16, contextLength: 16 }, `${where}: base.model`);
  resolveLmTrainConfig({ ...base.lm, steps: 1, seqLen: 1 }, `${where}: base.lm`);
}

/** Documents of stage k: prompts of fresh graphs (minVertices..maxVertices vertices) with a walk or permutation. */
export function stageDocuments(task: BaseTask, base: HamiltonianBaseConfig, stage: number, tok: VocabTokenizer): Document[] {
  const rng = new Rng(deriveSeed(BASE_SEED, 'hamiltonian-base-data', stage));
  const { maxVertices, walkLength, walkFraction = base.walkFraction } = base.stages[stage];
  return Array.from({ length: base.graphs }, () => {
    const g = randomGraph(base.minVertices + rng.int(maxVertices - base.minVertices + 1), task.edgeProbability, rng);
    const answer = rng.next() < walkFraction ? randomWalk(g, walkLength * g.n, rng) : rng.shuffle(Array.from({ length: g.n }, (_, i) => i));
    // Prompt and answer are tokenised separately, as in the preference pairs: as one string the prompt's last
    // vertex and the answer's first would merge into one number ("...<edge_sep>7" + "3<sep>..." -> "73").
    return { prompt: tok.encode(graphPrompt(g)), response: tok.encode(vertexSequence(answer)) };
  });
}

/** Context of the base: the prompt of the largest complete graph plus the generation budget (a cap only: rotary positions). */
export function baseContext(task: BaseTask, tok: VocabTokenizer): number {
  const n = MAX_VERTICES;
  const complete: Graph = {
    n,
    planted: [],
    edges: Array.from({ length: n }, (_, u) => Array.from({ length: n - u - 1 }, (_, k) => [u, u + 1 + k] as [number, number])).flat(),
  };
  return tok.encode(graphPrompt(complete)).length + task.maxNewTokens + 1;
}

/** Folder of the cached base for this task, config and engine (default: the running one) under the runs root. */
export function hamiltonianBaseDir(runsRoot: string, task: BaseTask, base: HamiltonianBaseConfig, backend?: string): string {
  return path.join(runsRoot, 'hamiltonian-base', baseHash(task, base, backend));
}

function baseHash(task: BaseTask, base: HamiltonianBaseConfig, backend?: string): string {
  return hashOf(baseIdentity(task, base, backend)).slice(0, 16);
}

/** What a base is: equal identities give equal weights (the checkpoint interval changes nothing). */
export function baseIdentity(task: BaseTask, base: HamiltonianBaseConfig, backend: string = engineId()) {
  return { version: HAMILTONIAN_BASE_VERSION, task, base: { ...base, checkpointEverySteps: undefined }, backend };
}

/**
 * The base to use (an artefact, as in runner.ts's resolveArtefactRun): this engine's if finished in the store,
 * else one another engine made that is finished there or shipped, else this engine's, to be trained.
 */
export function resolveHamiltonianBase(runsRoot: string, task: BaseTask, base: HamiltonianBaseConfig): { dir: string; backend: string } {
  const candidates = artefactBackends().map((backend) => ({ dir: hamiltonianBaseDir(runsRoot, task, base, backend), backend }));
  return (
    candidates.find((c) => finished(c.dir)) ??
    candidates.find((c) => isShipped('hamiltonian-base', path.basename(c.dir))) ??
    (candidates[0] as { dir: string; backend: string })
  );
}

const finished = (dir: string) => fs.existsSync(path.join(dir, 'base.json'));

/**
 * The finished base whose stages are the longest proper prefix of `base.stages` (same everything else), if one is
 * cached beside `dir`: a longer curriculum continues from it instead of starting over (stage k's data and batches
 * depend only on k, so the result is the same as training all stages in one go).
 */
function cachedPrefix(task: BaseTask, base: HamiltonianBaseConfig, dir: string): string | null {
  for (let k = base.stages.length - 1; k >= 1; k--) {
    const prefix = path.join(path.dirname(dir), baseHash(task, { ...base, stages: base.stages.slice(0, k) }));
    if (finished(prefix) && fs.existsSync(path.join(prefix, 'state', 'state.json'))) return prefix;
  }
  return null;
}

interface PartialState {
  stage: number;
  stepsDone: number;
  losses: number[];
  seconds: number;
}

export interface BaseBuildOptions {
  /** After every training step (global step over all stages), with the live model. */
  onStep?: (step: number, loss: number, model: LanguageModel, stage: number) => void | Promise<void>;
  /** Another process (holder; null when unknown) is building this base. */
  onWait?: (holder: LockHolder | null) => void;
  /** Training resumed after `step` steps: from a checkpoint of this build, or from the cached base `prefix`. */
  onResume?: (step: number, prefix?: string) => void;
}

/**
 * Trains the base into `dir` unless it is there (resuming from <dir>.partial when a build was interrupted; one
 * process builds while others wait). 'built' | 'found' | 'waited', as buildOnce.
 */
export async function buildHamiltonianBase(
  task: BaseTask,
  base: HamiltonianBaseConfig,
  dir: string,
  hooks: BaseBuildOptions = {},
): Promise<'built' | 'found' | 'waited'> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  return buildOnce(
    dir,
    async () => {
      const tok = hamiltonianTokenizer();
      const partial = `${dir}.partial`;
      const lm = { ...base.lm, steps: 0, seqLen: 1 };
      const pre = await pretrainBase(base.model, tok.vocabSize, baseContext(task, tok), new Int32Array(0), lm, BASE_SEED);
      const optimizer = new AdamW(pre.vars, base.lm.optimizer);
      const prefix = fs.existsSync(path.join(partial, 'state.json')) ? null : cachedPrefix(task, base, dir);
      const saved = loadTrainingState<PartialState>(prefix ? path.join(prefix, 'state') : partial, pre.vars, optimizer);
      const state: PartialState = saved ?? { stage: 0, stepsDone: 0, losses: [], seconds: 0 };
      if (saved) hooks.onResume?.(saved.losses.length, prefix ?? undefined);
      try {
        let t0 = Date.now();
        const checkpoint = async () => {
          state.seconds += (Date.now() - t0) / 1000;
          t0 = Date.now();
          await saveTrainingState(partial, pre.vars, optimizer, { ...state });
        };
        for (; state.stage < base.stages.length; state.stage++, state.stepsDone = 0) {
          const { steps } = base.stages[state.stage];
          const docs = stageDocuments(task, base, state.stage, tok);
          const offset = baseSteps({ ...base, stages: base.stages.slice(0, state.stage) });
          const stage = state.stage;
          while (state.stepsDone < steps) {
            const until = Math.min(steps, state.stepsDone + (base.checkpointEverySteps || steps));
            const { losses } = await trainOnDocuments(
              { ...lm, steps: until },
              pre.model,
              pre.vars,
              docs,
              tok.padId,
              deriveSeed(BASE_SEED, 'hamiltonian-base', stage),
              (step, loss) => hooks.onStep?.(offset + step, loss, pre.model, stage),
              { optimizer, stepsDone: state.stepsDone },
            );
            state.losses.push(...losses);
            state.stepsDone = until;
            await checkpoint();
          }
        }
        await checkpoint(); // also when nothing was left to train (a prefix that already had every step)
        const tmp = `${dir}.tmp-${process.pid}`;
        fs.rmSync(tmp, { recursive: true, force: true });
        await saveModel(path.join(tmp, 'model'), pre.model.config, pre.model.params, tok.toJSON(), { baseSeed: BASE_SEED });
        fs.writeFileSync(
          path.join(tmp, 'base.json'),
          JSON.stringify({ identity: baseIdentity(task, base), provenance: provenance(), seconds: state.seconds, losses: state.losses }),
        );
        // The final weights and optimizer moments stay with the base: a longer curriculum continues from them.
        fs.renameSync(partial, path.join(tmp, 'state'));
        fs.renameSync(tmp, dir);
      } finally {
        optimizer.dispose();
        pre.dispose();
      }
    },
    { onWait: hooks.onWait },
  );
}

/** The base of (task, base) under <runsRoot>/hamiltonian-base, trained first when missing (see buildHamiltonianBase). */
export async function ensureHamiltonianBase(
  runsRoot: string,
  task: BaseTask,
  base: HamiltonianBaseConfig,
  opts: BaseBuildOptions = {},
): Promise<{ dir: string; outcome: 'built' | 'found' | 'waited' }> {
  const { dir, backend } = resolveHamiltonianBase(runsRoot, task, base);
  if (backend !== engineId()) console.error(`hamiltonian-base/${path.basename(dir)}: a base made by the ${backend} engine, used by ${engineId()}`);
  if (!fs.existsSync(dir)) {
    // A shipped base (data/bases) is installed whole (a temporary folder renamed into place), or nothing is.
    const note = installShipped('hamiltonian-base', path.basename(dir), dir);
    if (note) console.error(note);
  }
  return { dir, outcome: await buildHamiltonianBase(task, base, dir, opts) };
}

export interface LoadedBase {
  model: LanguageModel;
  /** Training loss of every step (all stages) and the training time (s, summed over resumed sessions). */
  losses: number[];
  seconds: number;
  dispose(): void;
}

export function loadHamiltonianBase(dir: string): LoadedBase {
  const saved = loadModel(path.join(dir, 'model'));
  Object.values(saved.extraTensors).forEach((t) => t.dispose());
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'base.json'), 'utf8'));
  return {
    model: { config: saved.config, params: saved.params },
    losses: meta.losses,
    seconds: meta.seconds,
    dispose: () => Object.values(saved.params).forEach((t) => t.dispose()),
  };
}
