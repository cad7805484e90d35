/** Preference examples as text, and their encoding into token ids. */
import type { EncodedPair } from '../rewards/sequences';

export interface PreferenceExample {
  id: string;
  prompt: string;
  chosen: string;
  rejected: string;
  meta?: Record<string, unknown>;
}

/**
 * Checks the examples (see checkExamples), then encodes prompt and responses separately, so the prompt/response
 * boundary is exact. `encodePrompt` (default `encode`) may add the model's start token. `where` names the data source in errors.
 */
export function encodePairs(examples: PreferenceExample[], encode: (text: string) => number[], where: string, encodePrompt = encode): EncodedPair[] {
  checkExamples(examples, where);
  return examples.map((e) => ({ id: e.id, prompt: encodePrompt(e.prompt), chosen: encode(e.chosen), rejected: encode(e.rejected) }));
}

/** Throws naming the first example that is malformed (missing field, empty text, duplicate id). */
export function checkExamples(examples: PreferenceExample[], where: string): void {
  const ids = new Set<string>();
  examples.forEach((e, i) => {
    for (const key of ['id', 'prompt', 'chosen', 'rejected'] as const) {
      if (typeof e[key] !== 'string' || (key !== 'prompt' && e[key].length === 0)) {
        throw new Error(`${where}: example ${i} (id ${JSON.stringify(e.id)}): '${key}' must be a non-empty string`);
      }
    }
    if (ids.has(e.id)) throw new Error(`${where}: duplicate example id ${JSON.stringify(e.id)}`);
    ids.add(e.id);
  });
}
