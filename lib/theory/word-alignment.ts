/**
 * How a base model places the paraphrase words relative to the training words, in the two places the paper's
 * explanation points at:
 *   - hidden: the last-token hidden state after the final norm (what an EX-RM reads, Eq. 4), for each word after the
 *     same contexts (prompt + prefix), averaged over the contexts;
 *   - unembedding: the unembedding rows of the word's tokens, averaged over its tokens (what enters the IM-RM's
 *     Eq. 5 terms through pi and the one-hot e_y).
 * Vectors are centred on the mean of the compared words before cosines are taken (hidden states share a large
 * common component that makes every raw cosine close to 1).
 *
 * Alignment score: for each paraphrase word, mean cosine to the training words of its own meaning minus mean
 * cosine to the training words of the opposite meaning, averaged over the paraphrase words; in [-2, 2], positive
 * when paraphrases sit with the training answers they should be ranked with.
 */
import type { LanguageModel } from '../model/transformer';
import { lastHiddenStates } from '../rewards/hidden-states';

export interface WordRoles {
  trainChosen: string[];
  trainRejected: string[];
  paraphraseChosen: string[];
  paraphraseRejected: string[];
}

export interface WordAlignment {
  score: number;
  /** paraphrase word -> training word -> centred cosine: the comparisons the score is made of. */
  cosines: Record<string, Record<string, number>>;
}

function centredCosines(vectors: Record<string, number[]>): Record<string, Record<string, number>> {
  const words = Object.keys(vectors);
  const d = vectors[words[0]].length;
  const mean = Array.from({ length: d }, (_, j) => words.reduce((a, w) => a + vectors[w][j], 0) / words.length);
  const centred = Object.fromEntries(words.map((w) => [w, vectors[w].map((v, j) => v - mean[j])]));
  const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1e-12;
  const cos = (a: number[], b: number[]) => a.reduce((s, x, j) => s + x * b[j], 0) / (norm(a) * norm(b));
  return Object.fromEntries(words.map((a) => [a, Object.fromEntries(words.map((b) => [b, cos(centred[a], centred[b])]))]));
}

/** The alignment score of a cosine table (see the module comment); closed-form tested. */
export function alignmentScore(cosines: Record<string, Record<string, number>>, r: WordRoles): number {
  const meanCos = (w: string, group: string[]) => group.reduce((a, g) => a + cosines[w][g], 0) / group.length;
  const terms = [
    ...r.paraphraseChosen.map((w) => meanCos(w, r.trainChosen) - meanCos(w, r.trainRejected)),
    ...r.paraphraseRejected.map((w) => meanCos(w, r.trainRejected) - meanCos(w, r.trainChosen)),
  ];
  return terms.reduce((a, b) => a + b, 0) / terms.length;
}

export function alignmentOf(vectors: Record<string, number[]>, r: WordRoles): WordAlignment {
  const all = centredCosines(vectors);
  const training = [...r.trainChosen, ...r.trainRejected];
  const cosines = Object.fromEntries([...r.paraphraseChosen, ...r.paraphraseRejected].map((p) => [p, Object.fromEntries(training.map((t) => [t, all[p][t]]))]));
  return { score: alignmentScore(cosines, r), cosines };
}

/** Every word of the four roles: training words first, then paraphrase words. */
export const allWords = (r: WordRoles) => [...r.trainChosen, ...r.trainRejected, ...r.paraphraseChosen, ...r.paraphraseRejected];

/** Tokens of `word` as it follows `prefix` (the tokens of prefix + word after those of the prefix alone). */
export function wordTokens(encode: (text: string) => number[], prefix: string, word: string): number[] {
  const whole = encode(prefix + word);
  const head = encode(prefix);
  let k = 0;
  while (k < head.length && k < whole.length && head[k] === whole[k]) k++;
  // A prefix's last token can merge with the word's first (no shared boundary): then the tokens from the merge on.
  return whole.slice(Math.min(k, whole.length - 1));
}

/** Hidden-state alignment: each word after every context + prefix, the last-token hidden states averaged over contexts. */
export async function hiddenAlignment(
  lm: LanguageModel,
  contexts: number[][],
  encode: (text: string) => number[],
  prefixes: string[],
  r: WordRoles,
  padId: number,
): Promise<WordAlignment> {
  const vectors: Record<string, number[]> = {};
  for (const w of allWords(r)) {
    const seqs = contexts.flatMap((prompt) => prefixes.map((p) => ({ prompt, response: encode(p + w) })));
    const hs = await lastHiddenStates(lm, seqs, padId);
    vectors[w] = hs[0].map((_, j) => hs.reduce((a, h) => a + h[j], 0) / hs.length);
  }
  return alignmentOf(vectors, r);
}

/** Unembedding alignment: the mean unembedding row of each word's tokens (after the first prefix). */
export function unembeddingAlignment(unembedding: number[][], encode: (text: string) => number[], prefix: string, r: WordRoles): WordAlignment {
  const vectors: Record<string, number[]> = {};
  for (const w of allWords(r)) {
    const ids = wordTokens(encode, prefix, w);
    vectors[w] = unembedding[ids[0]].map((_, j) => ids.reduce((a, id) => a + unembedding[id][j], 0) / ids.length);
  }
  return alignmentOf(vectors, r);
}
