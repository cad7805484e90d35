/**
 * Trains a byte-level BPE tokenizer (GPT-2 pre-tokenization, all 256 bytes in the base alphabet, so every text
 * encodes) and returns it as a Hugging Face tokenizer.json, loadable by BpeTokenizer here and by `tokenizers` in
 * Python. Deterministic: each step merges the most frequent adjacent pair, ties broken by the smaller
 * (left id, right id). Pair counts are updated incrementally, only in the words that contain the merged pair.
 */
import { BYTE_TO_CHAR, GPT2_PATTERN, type TokenizerJson, bytesToChars } from './bpe';
import { check, mergeConfig } from '../config';

export interface BpeTrainConfig {
  /** Final vocabulary size: specials + 256 bytes + merges. */
  vocabSize: number;
  /** Added special tokens, ids 0.. in this order. */
  specials: string[];
  /** Pairs seen fewer times are never merged (training may stop below vocabSize). */
  minPairCount: number;
}

export const DEFAULT_BPE_TRAIN: BpeTrainConfig = {
  vocabSize: 2048,
  specials: ['<|endoftext|>', '<|padding|>'],
  minPairCount: 2,
};

/** A binary max-heap of [count, key] with lazy deletion (stale entries are skipped on pop). */
class PairHeap {
  private items: Array<[number, number]> = [];
  private better(a: [number, number], b: [number, number]): boolean {
    return a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
  }
  push(item: [number, number]): void {
    const h = this.items;
    h.push(item);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.better(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): [number, number] | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as [number, number];
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.better(h[l], h[m])) m = l;
        if (r < h.length && this.better(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

const SHIFT = 1 << 20; // pair key = left * SHIFT + right; symbol ids stay below 2^20

export function trainBpe(texts: Iterable<string>, overrides: Partial<BpeTrainConfig> = {}): TokenizerJson {
  const cfg = mergeConfig(DEFAULT_BPE_TRAIN, overrides, 'BPE training config');
  const base = cfg.specials.length + 256;
  check(
    Number.isInteger(cfg.vocabSize) && cfg.vocabSize >= base,
    'BPE training config',
    'vocabSize',
    `must be an integer >= ${base} (specials + 256 bytes)`,
    cfg.vocabSize,
  );
  const pattern = new RegExp(GPT2_PATTERN, 'gu');
  const wordCounts = new Map<string, number>();
  for (const text of texts) for (const piece of text.match(pattern) ?? []) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);

  // Symbols: 0..255 are bytes (by byte value), then merged symbols in merge order.
  const symbolText: string[] = BYTE_TO_CHAR.slice();
  const charToSymbol = new Map(BYTE_TO_CHAR.map((c, i) => [c, i]));
  const pieces = [...wordCounts.keys()].sort();
  const words = pieces.map((p) => Array.from(bytesToChars(p), (c) => charToSymbol.get(c) as number));
  const counts = pieces.map((p) => wordCounts.get(p) as number);
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: number) => {
    const s = words[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * SHIFT + s[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * counts[w]);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) {
          set = new Set();
          pairWords.set(key, set);
        }
        set.add(w);
      }
    }
  };
  words.forEach((_, w) => addPairs(w, 1));
  const heap = new PairHeap();
  for (const [key, n] of pairCount) heap.push([n, key]);

  const merges: Array<[string, string]> = [];
  while (base + merges.length < cfg.vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const [n, key] = top;
    if (pairCount.get(key) !== n) continue; // stale
    if (n < cfg.minPairCount) break;
    const a = Math.floor(key / SHIFT);
    const b = key % SHIFT;
    const merged = symbolText.length;
    symbolText.push(symbolText[a] + symbolText[b]);
    merges.push([symbolText[a], symbolText[b]]);
    const touched = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      addPairs(w, -1);
      const s = words[w];
      for (let i = 0; i + 1 < s.length; i++) touched.add(s[i] * SHIFT + s[i + 1]); // counts that fell need new heap entries
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]);
      }
      words[w] = out;
      addPairs(w, 1);
      for (let i = 0; i + 1 < out.length; i++) touched.add(out[i] * SHIFT + out[i + 1]);
    }
    pairCount.delete(key);
    pairWords.delete(key);
    for (const k of touched) {
      const c = pairCount.get(k) ?? 0;
      if (c > 0) heap.push([c, k]);
    }
  }

  const vocab: Record<string, number> = {};
  cfg.specials.forEach((s, i) => {
    vocab[s] = i;
  });
  symbolText.forEach((s, i) => {
    vocab[s] = cfg.specials.length + i;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: cfg.specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
