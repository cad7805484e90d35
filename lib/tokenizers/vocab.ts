/**
 * A deterministic word- or character-level tokenizer for synthetic tasks, with named special tokens.
 * Word mode splits text into: special tokens, runs of letters, runs of digits, single whitespace characters and
 * single other characters; 'spaced' mode is the same but a word, number or symbol keeps one leading space
 * (" yes", as GPT-2-style tokenizers do); char mode takes single characters. In every mode
 * decode(encode(text)) == text for every in-vocabulary text.
 * Ids: 0 <pad>, 1 <unk>, 2 <bos>, 3 <eos>, then the task's specials in the given order, then the other tokens
 * sorted by code point (independent of corpus order).
 */

export const BASE_SPECIALS = ['<pad>', '<unk>', '<bos>', '<eos>'] as const;

export type VocabMode = 'word' | 'spaced' | 'char';

const ORDINARY: Record<VocabMode, string> = {
  word: '\\p{L}+|\\p{N}+|[\\s\\S]',
  spaced: ' ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]|[\\s\\S]',
  char: '[\\s\\S]',
};

export interface VocabTokenizerJSON {
  type: 'vocab';
  mode: VocabMode;
  /** Task specials (after the four base specials). */
  specials: string[];
  /** Ordinary tokens, in id order. */
  tokens: string[];
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class VocabTokenizer {
  readonly mode: VocabMode;
  readonly specials: string[];
  private readonly idToToken: string[];
  private readonly tokenToId = new Map<string, number>();
  private readonly splitter: RegExp;

  constructor(json: VocabTokenizerJSON) {
    if (json.type !== 'vocab') throw new Error(`tokenizer JSON: expected type 'vocab', got '${json.type}'`);
    this.mode = json.mode;
    this.specials = json.specials.slice();
    this.idToToken = [...BASE_SPECIALS, ...json.specials, ...json.tokens];
    this.idToToken.forEach((t, i) => {
      if (this.tokenToId.has(t)) throw new Error(`tokenizer JSON: token ${JSON.stringify(t)} appears twice`);
      this.tokenToId.set(t, i);
    });
    const specials = [...BASE_SPECIALS, ...json.specials].sort((a, b) => b.length - a.length).map(escapeRegex);
    if (!ORDINARY[json.mode]) throw new Error(`tokenizer JSON: unknown mode '${json.mode}' (word, spaced, char)`);
    this.splitter = new RegExp(`${specials.join('|')}|${ORDINARY[json.mode]}`, 'gu');
  }

  /** Builds the vocabulary of every piece that occurs in `texts`. */
  static build(texts: Iterable<string>, mode: VocabMode = 'word', specials: string[] = []): VocabTokenizer {
    const probe = new VocabTokenizer({ type: 'vocab', mode, specials, tokens: [] });
    const seen = new Set<string>();
    const reserved = new Set<string>([...BASE_SPECIALS, ...specials]);
    for (const text of texts) for (const piece of probe.pieces(text)) if (!reserved.has(piece)) seen.add(piece);
    const tokens = [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new VocabTokenizer({ type: 'vocab', mode, specials, tokens });
  }

  static fromJSON(json: VocabTokenizerJSON): VocabTokenizer {
    return new VocabTokenizer(json);
  }

  toJSON(): VocabTokenizerJSON {
    const first = BASE_SPECIALS.length + this.specials.length;
    return { type: 'vocab', mode: this.mode, specials: this.specials.slice(), tokens: this.idToToken.slice(first) };
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }
  get padId(): number {
    return 0;
  }
  get unkId(): number {
    return 1;
  }
  get bosId(): number {
    return 2;
  }
  get eosId(): number {
    return 3;
  }

  pieces(text: string): string[] {
    return text.match(this.splitter) ?? [];
  }

  /** Token ids of `text`; pieces outside the vocabulary map to <unk>. */
  encode(text: string): number[] {
    return this.pieces(text).map((p) => this.tokenToId.get(p) ?? this.unkId);
  }

  /** Concatenates the tokens; with skipSpecial, drops <pad>, <bos>, <eos> (task specials are kept). */
  decode(ids: readonly number[], skipSpecial = false): string {
    let out = '';
    for (const id of ids) {
      if (id < 0 || id >= this.idToToken.length) throw new Error(`decode: id ${id} outside vocabulary of ${this.vocabSize}`);
      if (skipSpecial && (id === this.padId || id === this.bosId || id === this.eosId)) continue;
      out += this.idToToken[id];
    }
    return out;
  }

  id(token: string): number {
    const id = this.tokenToId.get(token);
    if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  token(id: number): string {
    return this.idToToken[id];
  }
}
