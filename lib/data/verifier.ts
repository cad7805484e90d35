/**
 * Pairs for the generative verifier EX-GRM (the paper's appendix A): each response is placed in the prompt
 * "Question: {x}\nAnswer: {y}\nVerification: Is the answer correct (Yes/No)?" and the model is trained with
 * cross-entropy to continue with "Yes" after the chosen response and "No" after the rejected one; its reward is
 * P("Yes"). Encoded as EncodedPair with a rejected prompt of its own (see rewards/sequences.ts).
 */
import type { EncodedPair } from '../rewards/sequences';
import { type PreferenceExample, checkExamples } from './examples';

export function verificationPrompt(question: string, answer: string): string {
  return `Question: ${question}\nAnswer: ${answer}\nVerification: Is the answer correct (Yes/No)?`;
}

/**
 * `encodePrompt` encodes a prompt (with the model's start token), `encode` a response. The question is the
 * example's prompt without surrounding whitespace.
 */
export function verifierPairs(
  examples: PreferenceExample[],
  encodePrompt: (text: string) => number[],
  encode: (text: string) => number[],
  where: string,
): EncodedPair[] {
  checkExamples(examples, where);
  const yes = encode('Yes');
  const no = encode('No');
  return examples.map((e) => ({
    id: e.id,
    prompt: encodePrompt(verificationPrompt(e.prompt.trim(), e.chosen)),
    chosen: yes,
    rejectedPrompt: encodePrompt(verificationPrompt(e.prompt.trim(), e.rejected)),
    rejected: yes,
    rejectedTarget: no,
  }));
}
