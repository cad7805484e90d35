/**
 * A tiny synthetic language with synonyms, for the theory experiments: yes/no questions about nouns and
 * adjectives, answered by one of several interchangeable answer words. Every yes-word appears in exactly the same
 * contexts (and likewise every no-word), so a language model pretrained on it learns aligned representations for
 * synonyms, while they remain different tokens: the situation the paper's learning-dynamics analysis is about.
 *   prompt:   "<bos>q: is the sky blue ? a:"
 *   response: " yes , the sky is blue ."  /  " no , the sky is not blue ."
 */
import { Rng, deriveSeed } from '../random';

export interface YesNoVocabulary {
  nouns: string[];
  adjectives: string[];
  yesWords: string[];
  noWords: string[];
}

export const DEFAULT_YES_NO: YesNoVocabulary = {
  nouns: ['sky', 'grass', 'sea', 'sun', 'snow', 'coal', 'leaf', 'rose', 'milk', 'night'],
  adjectives: ['blue', 'green', 'warm', 'cold', 'bright', 'dark', 'white', 'red'],
  yesWords: ['yes', 'sure', 'certainly', 'absolutely'],
  noWords: ['no', 'never', 'nope', 'hardly'],
};

export const yesNoPrompt = (noun: string, adj: string) => `<bos>q: is the ${noun} ${adj} ? a:`;

export function yesNoResponse(word: string, noun: string, adj: string, positive: boolean): string {
  return ` ${word} , the ${noun} is ${positive ? '' : 'not '}${adj} .`;
}

/** `count` documents prompt + response + <eos> with uniformly drawn noun, adjective, polarity and answer word. */
export function yesNoCorpus(v: YesNoVocabulary, count: number, seed: number): string[] {
  const rng = new Rng(deriveSeed(seed, 'yes-no-corpus'));
  return Array.from({ length: count }, () => {
    const noun = rng.choice(v.nouns),
      adj = rng.choice(v.adjectives);
    const positive = rng.next() < 0.5;
    const word = rng.choice(positive ? v.yesWords : v.noWords);
    return `${yesNoPrompt(noun, adj)}${yesNoResponse(word, noun, adj, positive)}<eos>`;
  });
}

/** Every text the vocabulary can produce pieces of (for building a tokenizer that knows all words). */
export function yesNoAlphabet(v: YesNoVocabulary): string[] {
  return [yesNoPrompt(v.nouns[0], v.adjectives[0]), ...v.nouns, ...v.adjectives, ...v.yesWords, ...v.noWords]
    .flatMap((w) => [w, ` ${w}`])
    .concat([' , the x is not y .', '<eos>']);
}
