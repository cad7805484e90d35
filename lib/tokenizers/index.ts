/**
 * The tokenizer interface every model uses, and (de)serialisation of the tokenizers saved with checkpoints:
 * word/char vocabularies (synthetic tasks), byte-level BPE (tokenizer.json; trained here or from Hugging Face)
 * and llama2.c's SentencePiece-style vocabulary.
 */
import { VocabTokenizer, type VocabTokenizerJSON } from './vocab';
import { BpeTokenizer, type TokenizerJson } from './bpe';
import { Llama2cTokenizer, type Llama2cTokenizerJSON } from './llama2c';

export interface Tokenizer {
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[], skipSpecial?: boolean): string;
  /** Prepended to prompts by generation and scoring when the model expects it; null if none. */
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number;
}

export interface BpeSaved {
  type: 'bpe';
  json: TokenizerJson;
  bosId: number | null;
  eosId: number | null;
  padId: number;
}

/** A byte-level BPE with its special-token roles. */
export class BpeModelTokenizer implements Tokenizer {
  constructor(
    readonly bpe: BpeTokenizer,
    readonly bosId: number | null,
    readonly eosId: number | null,
    readonly padId: number,
  ) {}
  get vocabSize(): number {
    return this.bpe.vocabSize;
  }
  encode(text: string): number[] {
    return this.bpe.encode(text);
  }
  decode(ids: readonly number[], skipSpecial = false): string {
    return this.bpe.decode(ids, skipSpecial);
  }
  toJSON(): BpeSaved {
    return { type: 'bpe', json: this.bpe.toJSON(), bosId: this.bosId, eosId: this.eosId, padId: this.padId };
  }
}

export type SavedTokenizer = VocabTokenizerJSON | BpeSaved | Llama2cTokenizerJSON;

export function tokenizerFromJSON(json: SavedTokenizer, where = 'tokenizer'): Tokenizer {
  switch (json?.type) {
    case 'vocab':
      return VocabTokenizer.fromJSON(json);
    case 'bpe':
      return new BpeModelTokenizer(new BpeTokenizer(json.json, where), json.bosId, json.eosId, json.padId);
    case 'llama2c':
      return Llama2cTokenizer.fromJSON(json);
    default:
      throw new Error(`${where}: unknown tokenizer type '${(json as { type?: string })?.type}' (vocab, bpe, llama2c)`);
  }
}
