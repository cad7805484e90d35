/**
 * llama2.c's tokenizer (tok512.bin / tokenizer.bin): SentencePiece-style BPE over a scored vocabulary.
 * File: int32 max_token_length, then per token float32 score, int32 byte length, bytes (UTF-8).
 * Ids 0 <unk>, 1 <s> (BOS, also the end-of-story marker the models emit), 2 </s>, then byte-fallback pieces
 * <0x00>..<0xFF>, then merged pieces. Encoding follows run.c: a leading space (SentencePiece's dummy prefix) for
 * non-empty text, one piece per UTF-8 character (bytes + 3 when the character is not a piece), then repeatedly
 * merge the adjacent pair whose concatenation is the highest-scoring piece. Decoding drops the leading space of
 * the piece after BOS and turns <0xNN> pieces back into bytes.
 */
import * as fs from 'node:fs';

export interface Llama2cTokenizerJSON {
  type: 'llama2c';
  pieces: string[];
  scores: number[];
}

const utf8 = new TextEncoder();

export class Llama2cTokenizer {
  readonly bosId = 1;
  readonly eosId = 2;
  readonly padId = 0;
  private readonly ids = new Map<string, number>();

  constructor(
    readonly pieces: string[],
    readonly scores: number[],
  ) {
    pieces.forEach((p, i) => {
      if (!this.ids.has(p)) this.ids.set(p, i);
    });
  }

  static read(file: string): Llama2cTokenizer {
    const buf = fs.readFileSync(file);
    const pieces: string[] = [];
    const scores: number[] = [];
    let off = 4; // max_token_length is not needed
    while (off < buf.length) {
      if (off + 8 > buf.length) throw new Error(`${file}: truncated at byte ${off} (token ${pieces.length})`);
      scores.push(buf.readFloatLE(off));
      const len = buf.readInt32LE(off + 4);
      if (len < 0 || off + 8 + len > buf.length) throw new Error(`${file}: token ${pieces.length} has an invalid length ${len} at byte ${off + 4}`);
      pieces.push(buf.subarray(off + 8, off + 8 + len).toString('utf8'));
      off += 8 + len;
    }
    return new Llama2cTokenizer(pieces, scores);
  }

  static fromJSON(json: Llama2cTokenizerJSON): Llama2cTokenizer {
    return new Llama2cTokenizer(json.pieces, json.scores);
  }

  toJSON(): Llama2cTokenizerJSON {
    return { type: 'llama2c', pieces: this.pieces, scores: this.scores };
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  /** Token ids of `text`, without BOS. */
  encode(text: string): number[] {
    if (text === '') return [];
    const tokens: number[] = [];
    for (const ch of ` ${text}`) {
      const id = this.ids.get(ch);
      if (id !== undefined) tokens.push(id);
      else for (const b of utf8.encode(ch)) tokens.push(b + 3);
    }
    return this.mergeBest(tokens);
  }

  /**
   * llama2.c's rule: repeatedly merge the adjacent pair whose merged piece has the highest score (the leftmost
   * on ties) until none is in the vocabulary. Done with a heap of candidate pairs over a linked list, O(n log n)
   * instead of a rescan per merge (which took seconds on the long responses of real-world datasets).
   */
  private mergeBest(tokens: number[]): number[] {
    const n = tokens.length;
    const id = tokens.slice();
    const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Array.from({ length: n }, (_, i) => i - 1);
    const alive = new Array<boolean>(n).fill(true);
    // Heap entries: [score, left position, right position, merged id, left id, right id].
    type Entry = [number, number, number, number, number, number];
    const heap: Entry[] = [];
    const before = (a: Entry, b: Entry) => a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
    const push = (e: Entry) => {
      heap.push(e);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!before(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    };
    const pop = (): Entry => {
      const top = heap[0];
      const last = heap.pop() as Entry;
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1,
            r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l], heap[m])) m = l;
          if (r < heap.length && before(heap[r], heap[m])) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m], heap[i]];
          i = m;
        }
      }
      return top;
    };
    const candidate = (left: number) => {
      const right = left >= 0 ? next[left] : -1;
      if (left < 0 || right < 0) return;
      const merged = this.ids.get(this.pieces[id[left]] + this.pieces[id[right]]);
      if (merged !== undefined && this.scores[merged] > -1e10) push([this.scores[merged], left, right, merged, id[left], id[right]]);
    };
    for (let i = 0; i + 1 < n; i++) candidate(i);
    while (heap.length > 0) {
      const [, left, right, merged, leftId, rightId] = pop();
      // Stale entries: a side was merged away or changed since the entry was pushed.
      if (!alive[left] || !alive[right] || next[left] !== right || id[left] !== leftId || id[right] !== rightId) continue;
      id[left] = merged;
      alive[right] = false;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      candidate(prev[left]);
      candidate(left);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]) out.push(id[i]);
    return out;
  }

  decode(ids: readonly number[], skipSpecial = false): string {
    const bytes: number[] = [];
    let prev = -1;
    for (const id of ids) {
      if (id < 0 || id >= this.pieces.length) throw new Error(`decode: id ${id} outside the vocabulary of ${this.vocabSize}`);
      if (id <= 2) {
        if (!skipSpecial && id !== this.bosId) bytes.push(...utf8.encode(this.pieces[id]));
        prev = id;
        continue;
      }
      let piece = this.pieces[id];
      if (prev === this.bosId && piece.startsWith(' ')) piece = piece.slice(1);
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
      if (m) bytes.push(parseInt(m[1], 16));
      else bytes.push(...utf8.encode(piece));
      prev = id;
    }
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
  }
}
