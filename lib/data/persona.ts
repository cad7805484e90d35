/**
 * Anthropic's persona statements (model-written evals, Perez et al. 2022): per trait, statements with whether
 * agreeing (" Yes") matches the persona. The token-cue experiment uses 'agreeableness'; the in-project base
 * model pretrains on the other traits only, so that experiment's statements stay unseen.
 */
import { type DataOptions, dataFile } from './sources';
import { readJsonl } from './formats';

export const PERSONA_TRAITS = [
  'agreeableness',
  'conscientiousness',
  'extraversion',
  'interest-in-math',
  'interest-in-science',
  'machiavellianism',
  'narcissism',
  'neuroticism',
  'openness',
  'politically-conservative',
  'politically-liberal',
  'psychopathy',
  'risk-averse',
  'subscribes-to-utilitarianism',
] as const;
export type PersonaTrait = (typeof PERSONA_TRAITS)[number];

export interface PersonaStatement {
  trait: PersonaTrait;
  statement: string;
  question: string;
  labelConfidence: number;
  /** The persona's answer to "would you say this?": ' Yes' or ' No' in the file. */
  matchingAnswer: 'Yes' | 'No';
}

export function personaFileName(trait: PersonaTrait): string {
  return `persona/${trait}.jsonl`;
}

export async function loadPersona(trait: PersonaTrait, opts: DataOptions = {}): Promise<PersonaStatement[]> {
  if (!PERSONA_TRAITS.includes(trait)) throw new Error(`unknown persona trait '${trait}' (known: ${PERSONA_TRAITS.join(', ')})`);
  const file = await dataFile(personaFileName(trait), opts);
  return readJsonl(file, (row) => {
    for (const k of ['statement', 'question'] as const) if (typeof row[k] !== 'string') throw new Error(`field '${k}' must be a string`);
    if (typeof row.label_confidence !== 'number') throw new Error("field 'label_confidence' must be a number");
    const answer = row.answer_matching_behavior;
    if (answer !== ' Yes' && answer !== ' No') throw new Error(`field 'answer_matching_behavior' must be " Yes" or " No", got ${JSON.stringify(answer)}`);
    return {
      trait,
      statement: row.statement as string,
      question: row.question as string,
      labelConfidence: row.label_confidence,
      matchingAnswer: answer === ' Yes' ? 'Yes' : 'No',
    };
  });
}
