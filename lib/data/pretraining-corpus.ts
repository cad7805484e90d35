/**
 * The in-project pretraining text: the Brown corpus plus persona statements of every trait except the ones
 * held out (agreeableness: the token-cue experiment's data must stay unseen). Validation: every
 * brownValidationEvery-th Brown document and the last personaValidationFraction of each trait's statements
 * (after a seeded shuffle). Documents are joined by the tokenizer's end-of-text token when tokenized. With
 * `answers`, every statement is followed by answers from word groups (lib/data/answered-statements.ts).
 */
import { check } from '../config';
import { Rng, deriveSeed } from '../random';
import { loadBrown, splitBrown } from './brown';
import { PERSONA_TRAITS, type PersonaStatement, type PersonaTrait, loadPersona } from './persona';
import { type AnsweredStatementsConfig, answeredStatement, checkAnsweredStatementsConfig, tokenizerStatement } from './answered-statements';
import type { DataOptions } from './sources';

export interface PretrainingCorpusConfig {
  brownValidationEvery: number;
  /** Persona traits that must never be pretrained on. */
  heldOutTraits: string[];
  personaValidationFraction: number;
  /** Keep only the first N Brown documents / statements per trait (0: all); small profiles. */
  maxBrownDocuments: number;
  maxStatementsPerTrait: number;
  /** null: bare statements; else each statement is followed by answers from word groups (the alignment bases). */
  answers: AnsweredStatementsConfig | null;
}

export const DEFAULT_PRETRAINING_CORPUS: PretrainingCorpusConfig = {
  brownValidationEvery: 25,
  heldOutTraits: ['agreeableness'],
  personaValidationFraction: 0.05,
  maxBrownDocuments: 0,
  maxStatementsPerTrait: 0,
  answers: null,
};

export interface CorpusPart {
  name: string;
  documents: string[];
}

export interface PretrainingCorpus {
  train: CorpusPart[];
  validation: CorpusPart[];
  /** Persona traits used. */
  traits: PersonaTrait[];
  /** What the tokenizer is trained on: the training documents, or with answers the variant-independent text. */
  tokenizerDocuments: string[];
}

export function checkCorpusConfig(c: PretrainingCorpusConfig, where: string): void {
  check(
    Number.isInteger(c.brownValidationEvery) && c.brownValidationEvery >= 2,
    where,
    'brownValidationEvery',
    'must be an integer >= 2',
    c.brownValidationEvery,
  );
  check(
    c.personaValidationFraction > 0 && c.personaValidationFraction < 1,
    where,
    'personaValidationFraction',
    'must be in (0, 1)',
    c.personaValidationFraction,
  );
  for (const t of c.heldOutTraits)
    check(PERSONA_TRAITS.includes(t as PersonaTrait), where, 'heldOutTraits', `lists an unknown trait (known: ${PERSONA_TRAITS.join(', ')})`, t);
  if (c.answers !== null) checkAnsweredStatementsConfig(c.answers, `${where}.answers`);
}

export async function loadPretrainingCorpus(c: PretrainingCorpusConfig, seed: number, opts: DataOptions = {}): Promise<PretrainingCorpus> {
  let brown = loadBrown();
  if (c.maxBrownDocuments > 0) brown = brown.slice(0, c.maxBrownDocuments);
  const split = splitBrown(brown, c.brownValidationEvery);
  const traits = PERSONA_TRAITS.filter((t) => !c.heldOutTraits.includes(t));
  const personaTrain: PersonaStatement[] = [];
  const personaValidation: PersonaStatement[] = [];
  for (const trait of traits) {
    let statements = await loadPersona(trait, opts);
    if (c.maxStatementsPerTrait > 0) statements = statements.slice(0, c.maxStatementsPerTrait);
    statements = new Rng(deriveSeed(seed, 'persona-shuffle', trait)).shuffle(statements);
    const nVal = Math.max(1, Math.round(statements.length * c.personaValidationFraction));
    personaTrain.push(...statements.slice(0, statements.length - nVal));
    personaValidation.push(...statements.slice(statements.length - nVal));
  }
  const mixed = new Rng(deriveSeed(seed, 'persona-mix')).shuffle(personaTrain);
  const answers = c.answers;
  const text = (xs: PersonaStatement[], stream: string) => {
    if (!answers) return xs.map((s) => s.statement);
    const rng = new Rng(deriveSeed(seed, 'persona-answers', stream));
    return xs.map((s) => answeredStatement(s, answers, rng));
  };
  // Statements become documents of 20 (answered) statements, so the model also learns where one ends and the next begins.
  const group = (xs: string[]) => Array.from({ length: Math.ceil(xs.length / 20) }, (_, i) => xs.slice(i * 20, i * 20 + 20).join('\n'));
  const brownTrain = split.train.map((d) => d.text);
  const personaDocs = group(text(mixed, 'train'));
  return {
    train: [
      { name: 'brown', documents: brownTrain },
      { name: 'persona', documents: personaDocs },
    ],
    validation: [
      { name: 'brown', documents: split.validation.map((d) => d.text) },
      { name: 'persona', documents: group(text(personaValidation, 'validation')) },
    ],
    traits,
    tokenizerDocuments: answers ? [...brownTrain, ...group(mixed.map((s, i) => tokenizerStatement(s.statement, i, answers)))] : [...brownTrain, ...personaDocs],
  };
}
