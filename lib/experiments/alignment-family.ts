/**
 * The alignment experiment's family of bases: alignment as a dose. Every base is the in-project pretrain run on the
 * same corpus of answered persona statements (lib/data/answered-statements.ts), with the same tokenizer words, size
 * and compute; a base differs from another only in
 *   - its dose p: the share of each paraphrase word's answers that follow statements of its own meaning (1: used as
 *     the training words of its meaning are, 0: as those of the opposite meaning, 0.5: seen but uninformative), or
 *     `absent`, the control whose answers never use a paraphrase word;
 *   - its pretraining seed (replicated bases, so that base-to-base variance is measured).
 * Every word set's paraphrase words are in every base at its dose, so each word set is measured on the same bases,
 * and the measured traits are held out of every base's pretraining. Which word sets and traits are measured does not
 * change the bases: the quick and paper profiles share them.
 */
import { check } from '../config';
import type { AnswerGroups, ParaphraseDose } from '../data/answered-statements';
import { PERSONA_TRAITS, type PersonaTrait } from '../data/persona';
import type { WordRoles } from '../theory/word-alignment';
import type { PretrainConfig } from './pretrain';

/** Paraphrase words of one meaning and the other, tested against the token-cue experiment's training words. */
export interface WordSet {
  name: string;
  chosen: string[];
  rejected: string[];
}

export interface AlignmentFamilyConfig {
  /** A base per dose p in [0, 1] and pretraining seed. */
  doses: number[];
  /** Also a base per seed whose answers never use a paraphrase word. */
  absent: boolean;
  /** Pretraining seeds per dose (1..baseSeeds). */
  baseSeeds: number;
  /** The share of answers that are a paraphrase word (of any set) in a dosed base. */
  share: number;
  wordSets: WordSet[];
  /** Persona traits left out of every base's pretraining (the measured traits must be among them). */
  heldOutTraits: string[];
  /** Neutral answer prefixes, answers per statement, and their layout (lib/data/answered-statements.ts). */
  answers: { prefixes: string[]; answersPerStatement: number; layout: 'lines' | 'run' };
}

/** The token-cue experiment's training words: the same in every base and word set. */
export interface TrainingWords {
  chosen: string[];
  rejected: string[];
}

export interface FamilyBase {
  /** e.g. p50-s2 (dose 0.5, pretraining seed 2) or absent-s1; no dot, so it can be a metric key. */
  label: string;
  /** null for the absent control. */
  dose: number | null;
  seed: number;
}

export const baseLabel = (dose: number | null, seed: number) => `${dose === null ? 'absent' : `p${Math.round(dose * 100)}`}-s${seed}`;

/** The family's bases: the absent control first, then doses ascending; seeds within each. */
export function familyBases(f: AlignmentFamilyConfig): FamilyBase[] {
  const doses: Array<number | null> = [...(f.absent ? [null] : []), ...[...f.doses].sort((a, b) => a - b)];
  return doses.flatMap((dose) => Array.from({ length: f.baseSeeds }, (_, i) => ({ label: baseLabel(dose, i + 1), dose, seed: i + 1 })));
}

/** The four word roles of one word set. */
export function wordSetRoles(train: TrainingWords, ws: WordSet): WordRoles {
  return { trainChosen: train.chosen, trainRejected: train.rejected, paraphraseChosen: ws.chosen, paraphraseRejected: ws.rejected };
}

/** Every word a base of the family may answer with: the shared tokenizer sees each equally often. */
export function familyWords(f: AlignmentFamilyConfig, train: TrainingWords): string[] {
  return [...train.chosen, ...train.rejected, ...f.wordSets.flatMap((w) => [...w.chosen, ...w.rejected])];
}

/** The answered statements of one base: training words in their groups, and at a dose every set's paraphrase words. */
export function baseAnswers(f: AlignmentFamilyConfig, train: TrainingWords, dose: number | null) {
  const groups: AnswerGroups = { agree: [...train.chosen], disagree: [...train.rejected] };
  const paraphraseDose: ParaphraseDose | undefined =
    dose === null ? undefined : { agree: f.wordSets.flatMap((w) => w.chosen), disagree: f.wordSets.flatMap((w) => w.rejected), p: dose, share: f.share };
  return {
    groups,
    prefixes: f.answers.prefixes,
    answersPerStatement: f.answers.answersPerStatement,
    layout: f.answers.layout,
    tokenizerWords: familyWords(f, train),
    ...(paraphraseDose ? { paraphraseDose } : {}),
  };
}

/** Size of the family's bases: a pretrain profile, optionally with another model shape or number of steps. */
export interface FamilyBaseSize {
  profile: 'smoke' | 'quick' | 'full';
  model: Partial<PretrainConfig['model']> | null;
  steps: number | null;
}

/** Pretrain overrides of one base of the family. */
export function familyBaseOverrides(f: AlignmentFamilyConfig, train: TrainingWords, size: FamilyBaseSize, b: FamilyBase) {
  return {
    seed: b.seed,
    corpus: { heldOutTraits: f.heldOutTraits, answers: baseAnswers(f, train, b.dose) },
    ...(size.model ? { model: size.model } : {}),
    ...(size.steps ? { train: { steps: size.steps } } : {}),
  };
}

export function checkFamilyConfig(f: AlignmentFamilyConfig, train: TrainingWords, where: string): void {
  check(
    Array.isArray(f.doses) && f.doses.every((p) => typeof p === 'number' && p >= 0 && p <= 1) && new Set(f.doses).size === f.doses.length,
    where,
    'family.doses',
    'must be distinct numbers in [0, 1]',
    f.doses,
  );
  const labels = f.doses.map((p) => baseLabel(p, 1));
  check(new Set(labels).size === labels.length, where, 'family.doses', 'must differ by at least 0.01 (base labels are percentages)', f.doses);
  check(f.doses.length + (f.absent ? 1 : 0) > 0, where, 'family', 'must have at least one base (a dose or absent)', f.doses);
  check(Number.isInteger(f.baseSeeds) && f.baseSeeds >= 1, where, 'family.baseSeeds', 'must be a positive integer', f.baseSeeds);
  check(typeof f.share === 'number' && f.share > 0 && f.share < 1, where, 'family.share', 'must be in (0, 1)', f.share);
  const words = (xs: unknown) => Array.isArray(xs) && xs.length > 0 && xs.every((x) => typeof x === 'string' && x.trim().length > 0);
  check(Array.isArray(f.wordSets) && f.wordSets.length > 0, where, 'family.wordSets', 'must be a non-empty list of {name, chosen, rejected}', f.wordSets);
  f.wordSets.forEach((w, i) => {
    check(typeof w.name === 'string' && /^[a-z0-9-]+$/.test(w.name), where, `family.wordSets[${i}].name`, 'must be lower-case letters, digits or -', w.name);
    check(words(w.chosen) && words(w.rejected), where, `family.wordSets[${i}]`, 'chosen and rejected must be non-empty lists of words', w);
  });
  check(
    new Set(f.wordSets.map((w) => w.name)).size === f.wordSets.length,
    where,
    'family.wordSets',
    'names must be distinct',
    f.wordSets.map((w) => w.name),
  );
  const all = familyWords(f, train);
  const repeated = all.filter((w, i) => all.indexOf(w) !== i);
  check(repeated.length === 0, where, 'family.wordSets', 'a word may appear once among the training words and all word sets', repeated);
  check(
    Array.isArray(f.heldOutTraits) && f.heldOutTraits.length > 0 && f.heldOutTraits.every((t) => PERSONA_TRAITS.includes(t as PersonaTrait)),
    where,
    'family.heldOutTraits',
    `must list persona traits (${PERSONA_TRAITS.join(', ')})`,
    f.heldOutTraits,
  );
}
