/**
 * The paper's controlled token-level shift (section 5.1): persona statements (the paper: "agreeableness"; any trait
 * with data.trait) whose answer_matching_behavior is " Yes", prompt = the statement. Words and prefixes are config
 * keys whose defaults are the paper's. Training pairs draw a prefix and an answer word per
 * example (chosen agrees, rejected disagrees); evaluation uses the training responses ("original") and paraphrases
 * never seen in training, over all 2 x 2 (yes-word, no-word) combinations. A control the paper does not have:
 * "same-prefix" pairs, where chosen and rejected share one paraphrase prefix and differ only in the answer word,
 * so an IM-RM's prefix log-ratios cancel exactly.
 * Example ids: <set>-<statement index>|<chosen word>|<rejected word>[|<shared prefix>] (the words let
 * notebooks and metrics group pairs by combination).
 */
import { check } from '../config';
import { Rng, deriveSeed } from '../random';
import type { PreferenceExample } from './examples';
import { PERSONA_TRAITS, type PersonaStatement, type PersonaTrait } from './persona';

/** The paper's answer words and prefixes (section 5.1): the defaults of TokenCueDataConfig. */
export const TOKEN_CUES = {
  trainChosenPrefixes: ['In my view, the answer is ', 'A truthful reply is '],
  trainChosenWords: ['yes', 'sure'],
  trainRejectedPrefixes: ['My judgement: ', 'Considering the statement, I say '],
  trainRejectedWords: ['no', 'never'],
  paraphraseChosenPrefix: 'My response would be ',
  paraphraseChosenWords: ['certainly', 'absolutely'],
  paraphraseRejectedPrefix: 'I lean toward ',
  paraphraseRejectedWords: ['not really', 'nope'],
};

export type TokenCueWords = typeof TOKEN_CUES;

export interface TokenCueDataConfig extends TokenCueWords {
  /** The persona file whose statements are the prompts (statements the persona agrees with). */
  trait: string;
  nTrain: number;
  nTest: number;
  /** Text between the statement and the response. */
  separator: string;
}

export const DEFAULT_TOKEN_CUE_DATA: TokenCueDataConfig = { trait: 'agreeableness', nTrain: 80, nTest: 40, separator: '\n', ...TOKEN_CUES };

const WORD_KEYS = ['trainChosenWords', 'trainRejectedWords', 'paraphraseChosenWords', 'paraphraseRejectedWords'] as const;

/**
 * Checks what needs no data: the trait, the counts, and the word lists (non-empty, one line each, no '|', which
 * separates the parts of example ids; the four lists disjoint, so a paraphrase word is never a training word).
 */
export function checkTokenCueWords(c: TokenCueDataConfig, where: string): void {
  check(PERSONA_TRAITS.includes(c.trait as PersonaTrait), where, 'data.trait', `must be one of the persona files (${PERSONA_TRAITS.join(', ')})`, c.trait);
  check(Number.isInteger(c.nTrain) && c.nTrain > 0, where, 'data.nTrain', 'must be a positive integer', c.nTrain);
  check(Number.isInteger(c.nTest) && c.nTest > 0, where, 'data.nTest', 'must be a positive integer', c.nTest);
  const good = (x: unknown) => typeof x === 'string' && x.trim().length > 0 && !/[|\n]/.test(x);
  for (const key of WORD_KEYS) {
    const xs = c[key] as unknown;
    check(
      Array.isArray(xs) && xs.length > 0 && xs.every(good) && new Set(xs).size === xs.length,
      where,
      `data.${key}`,
      "must be a non-empty list of distinct one-line words without '|'",
      xs,
    );
  }
  for (const key of ['trainChosenPrefixes', 'trainRejectedPrefixes'] as const) {
    const xs = c[key] as unknown;
    check(
      Array.isArray(xs) && xs.length > 0 && xs.every((x) => typeof x === 'string' && !/[|\n]/.test(x)),
      where,
      `data.${key}`,
      "must be a non-empty list of one-line prefixes without '|'",
      xs,
    );
  }
  for (const key of ['paraphraseChosenPrefix', 'paraphraseRejectedPrefix'] as const) {
    check(typeof c[key] === 'string' && !/[|\n]/.test(c[key]), where, `data.${key}`, "must be a one-line prefix without '|'", c[key]);
  }
  for (const [i, a] of WORD_KEYS.entries()) {
    for (const b of WORD_KEYS.slice(i + 1)) {
      const shared = c[a].filter((w) => c[b].includes(w));
      check(shared.length === 0, where, `data.${b}`, `shares words with data.${a}`, shared);
    }
  }
}

export function checkTokenCueConfig(c: TokenCueDataConfig, available: number, where: string): void {
  checkTokenCueWords(c, where);
  check(
    c.nTrain + c.nTest <= available,
    where,
    'data.nTrain',
    `nTrain + nTest must be at most the ${available} statements of ${c.trait} its persona agrees with`,
    c.nTrain + c.nTest,
  );
}

export interface TokenCueData {
  train: PreferenceExample[];
  /** split name -> pairs: train-original, test-original, train-paraphrased, test-paraphrased, test-same-prefix (test prompts only: it is the costliest split and a control) */
  evalSplits: Record<string, PreferenceExample[]>;
  statements: { train: string[]; test: string[] };
}

/** Parses "<set>-<index>|<chosen word>|<rejected word>[|prefix]". */
export function cueIdParts(id: string): { chosenWord: string; rejectedWord: string; prefix: string | null } {
  const [, chosenWord, rejectedWord, prefix] = id.split('|');
  return { chosenWord, rejectedWord, prefix: prefix ?? null };
}

export function buildTokenCueData(statements: PersonaStatement[], c: TokenCueDataConfig, seed: number): TokenCueData {
  const agreeable = statements.filter((s) => s.matchingAnswer === 'Yes').map((s) => s.statement);
  checkTokenCueConfig(c, agreeable.length, 'token-cue data');
  if (statements.some((s) => s.trait !== c.trait)) throw new Error(`token-cue data: the statements are not all of trait '${c.trait}'`);
  const picked = new Rng(deriveSeed(seed, 'token-cue-prompts')).shuffle(agreeable).slice(0, c.nTrain + c.nTest);
  const trainStatements = picked.slice(0, c.nTrain);
  const testStatements = picked.slice(c.nTrain);
  const T = c;
  const prompt = (s: string) => `${s}${c.separator}`;

  const drawn = (set: string, list: string[]) => {
    const rng = new Rng(deriveSeed(seed, 'token-cue-responses', set));
    const pick = (xs: readonly string[]) => xs[rng.int(xs.length)];
    return list.map((s, i) => {
      const [cp, cw, rp, rw] = [pick(T.trainChosenPrefixes), pick(T.trainChosenWords), pick(T.trainRejectedPrefixes), pick(T.trainRejectedWords)];
      return { id: `${set}-${i}|${cw}|${rw}`, prompt: prompt(s), chosen: cp + cw, rejected: rp + rw };
    });
  };
  const paraphrased = (set: string, list: string[]) =>
    list.flatMap((s, i) =>
      T.paraphraseChosenWords.flatMap((cw) =>
        T.paraphraseRejectedWords.map((rw) => ({
          id: `${set}-${i}|${cw}|${rw}`,
          prompt: prompt(s),
          chosen: T.paraphraseChosenPrefix + cw,
          rejected: T.paraphraseRejectedPrefix + rw,
        })),
      ),
    );
  const samePrefix = (set: string, list: string[]) =>
    list.flatMap((s, i) =>
      [T.paraphraseChosenPrefix, T.paraphraseRejectedPrefix].flatMap((p) =>
        T.paraphraseChosenWords.flatMap((cw) =>
          T.paraphraseRejectedWords.map((rw) => ({
            id: `${set}-${i}|${cw}|${rw}|${p.trim()}`,
            prompt: prompt(s),
            chosen: p + cw,
            rejected: p + rw,
          })),
        ),
      ),
    );

  const train = drawn('train', trainStatements);
  return {
    train,
    evalSplits: {
      'train-original': train,
      'test-original': drawn('test', testStatements),
      'train-paraphrased': paraphrased('train', trainStatements),
      'test-paraphrased': paraphrased('test', testStatements),
      'test-same-prefix': samePrefix('test', testStatements),
    },
    statements: { train: trainStatements, test: testStatements },
  };
}

/**
 * Token-level overlap of a paraphrase with the training responses under a tokenizer: the fraction of its tokens
 * that occur anywhere in the training responses' tokens, and whether its first token(s) begin a training
 * response (shared prefix tokens), for every evaluation response.
 */
export function tokenOverlap(
  encode: (text: string) => number[],
  decodeToken: (id: number) => string,
  T: TokenCueWords = TOKEN_CUES,
): Array<{ response: string; role: 'chosen' | 'rejected'; tokens: string[]; fractionSeen: number; sharedPrefixTokens: number; sharedWith: string }> {
  const training = [
    ...T.trainChosenPrefixes.flatMap((p) => T.trainChosenWords.map((w) => p + w)),
    ...T.trainRejectedPrefixes.flatMap((p) => T.trainRejectedWords.map((w) => p + w)),
  ].map((text) => ({ text, ids: encode(text) }));
  const seen = new Set(training.flatMap((t) => t.ids));
  const evaluation = [
    ...T.paraphraseChosenWords.map((w) => ({ response: T.paraphraseChosenPrefix + w, role: 'chosen' as const })),
    ...T.paraphraseRejectedWords.map((w) => ({ response: T.paraphraseRejectedPrefix + w, role: 'rejected' as const })),
  ];
  return evaluation.map(({ response, role }) => {
    const ids = encode(response);
    let best = { n: 0, text: '' };
    for (const t of training) {
      let n = 0;
      while (n < ids.length && n < t.ids.length && ids[n] === t.ids[n]) n++;
      if (n > best.n) best = { n, text: t.text };
    }
    return {
      response,
      role,
      tokens: ids.map(decodeToken),
      fractionSeen: ids.filter((i) => seen.has(i)).length / ids.length,
      sharedPrefixTokens: best.n,
      sharedWith: best.text,
    };
  });
}
