/**
 * Byte-level BPE as in Hugging Face `tokenizers` (GPT-2, Pythia, Llama 3, Qwen2 and the project's own trained
 * tokenizer), read from and written to tokenizer.json. Encoding: added (special) tokens are matched first; the
 * rest is normalised (none / NFC / NFKC), split by the pre-tokenizer regex, mapped byte -> printable character
 * (GPT-2's bytes_to_unicode table), and each piece merged by merge rank. Decoding maps characters back to bytes
 * and decodes UTF-8. Unsupported tokenizer.json features are one error naming the key.
 */

/** GPT-2's pre-tokenizer pattern (the ByteLevel pre-tokenizer with use_regex). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** byte -> printable character, the table every byte-level BPE uses. */
export const BYTE_TO_CHAR: string[] = (() => {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return table;
})();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

export function bytesToChars(text: string): string {
  let out = '';
  for (const b of utf8.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** JS has no inline (?i:...) groups (Llama 3's pattern uses one): spell its ASCII letters as [xX]. */
export function toJsRegexSource(pattern: string): string {
  return pattern.replace(/\(\?i:([^()]*)\)/g, (_, body: string) => `(?:${body.replace(/[a-zA-Z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`)})`);
}

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

/** The subset of tokenizer.json this class reads (and writes). */
export interface TokenizerJson {
  version?: string;
  added_tokens?: Array<AddedToken & Record<string, unknown>>;
  normalizer?: { type: string; normalizers?: Array<{ type: string }> } | null;
  pre_tokenizer?: Record<string, unknown> | null;
  post_processor?: unknown;
  decoder?: unknown;
  model: { type: string; vocab: Record<string, number>; merges: Array<string | [string, string]>; byte_fallback?: boolean; [k: string]: unknown };
  [k: string]: unknown;
}

function fail(where: string, key: string, msg: string): never {
  throw new Error(`${where}: '${key}' ${msg}`);
}

interface PreTokenizer {
  pattern: RegExp | null;
  addPrefixSpace: boolean;
}

function readPreTokenizer(p: Record<string, unknown> | null | undefined, where: string): PreTokenizer {
  if (!p) fail(where, 'pre_tokenizer', 'is missing: only byte-level BPE tokenizers are supported');
  if (p.type === 'ByteLevel') {
    return { pattern: p.use_regex === false ? null : new RegExp(GPT2_PATTERN, 'gu'), addPrefixSpace: !!p.add_prefix_space };
  }
  if (p.type === 'Sequence') {
    const parts = p.pretokenizers as Array<Record<string, unknown>>;
    const split = parts.find((x) => x.type === 'Split');
    const byteLevel = parts.find((x) => x.type === 'ByteLevel');
    if (!byteLevel || parts.some((x) => x.type !== 'Split' && x.type !== 'ByteLevel')) {
      fail(where, 'pre_tokenizer.pretokenizers', `must be Split + ByteLevel, got ${parts.map((x) => x.type).join(', ')}`);
    }
    if (!split) return readPreTokenizer(byteLevel, where);
    const source = (split.pattern as { Regex?: string }).Regex;
    if (!source || split.behavior !== 'Isolated' || split.invert) fail(where, 'pre_tokenizer Split', 'must be an Isolated, non-inverted Regex split');
    return { pattern: new RegExp(toJsRegexSource(source as string), 'gu'), addPrefixSpace: !!byteLevel.add_prefix_space };
  }
  return fail(where, 'pre_tokenizer.type', `'${p.type}' is not supported (ByteLevel or Sequence[Split, ByteLevel])`);
}

function readNormalizer(n: TokenizerJson['normalizer'], where: string): (s: string) => string {
  if (!n) return (s) => s;
  const types = n.type === 'Sequence' ? (n.normalizers ?? []).map((x) => x.type) : [n.type];
  for (const t of types) if (t !== 'NFC' && t !== 'NFKC') fail(where, 'normalizer', `type '${t}' is not supported (NFC, NFKC)`);
  return (s) => types.reduce((acc, t) => acc.normalize(t as 'NFC' | 'NFKC'), s);
}

export class BpeTokenizer {
  readonly json: TokenizerJson;
  private readonly vocab: Map<string, number>;
  private readonly idToToken: string[];
  private readonly ranks = new Map<string, number>();
  private readonly added: AddedToken[];
  private readonly addedSplit: RegExp | null;
  private readonly pre: PreTokenizer;
  private readonly normalize: (s: string) => string;
  private readonly cache = new Map<string, number[]>();

  constructor(json: TokenizerJson, where = 'tokenizer.json') {
    if (json.model?.type !== 'BPE') fail(where, 'model.type', `must be 'BPE', got '${json.model?.type}'`);
    if (json.model.byte_fallback) fail(where, 'model.byte_fallback', 'is not supported (SentencePiece-style BPE)');
    this.json = json;
    if (!json.model.vocab || typeof json.model.vocab !== 'object') fail(where, 'model.vocab', 'must map tokens to ids');
    if (!Array.isArray(json.model.merges)) fail(where, 'model.merges', 'must be a list');
    this.vocab = new Map(Object.entries(json.model.vocab));
    this.added = (json.added_tokens ?? []).map((t) => ({ id: t.id, content: t.content, special: !!t.special }));
    for (const t of this.added) this.vocab.set(t.content, t.id);
    // Ids index arrays and embedding rows: a hostile id must fail here, not as a giant allocation later.
    const limit = this.vocab.size;
    for (const [tok, id] of this.vocab) {
      if (!Number.isInteger(id) || id < 0 || id >= limit)
        fail(where, 'model.vocab', `token ${JSON.stringify(tok)} has id ${id}, outside [0, ${limit}) (ids must number the ${limit} tokens)`);
    }
    this.idToToken = [];
    for (const [tok, id] of this.vocab) this.idToToken[id] = tok;
    json.model.merges.forEach((m, rank) => {
      const [a, b] = typeof m === 'string' ? (m.split(' ') as [string, string]) : m;
      const unknown = [a, b].find((x) => typeof x !== 'string' || !this.vocab.has(x));
      if (unknown !== undefined)
        fail(
          where,
          'model.merges',
          `merge ${rank} (${JSON.stringify(typeof m === 'string' ? m : m.join(' '))}) uses a token not in the vocabulary: ${JSON.stringify(unknown)}`,
        );
      this.ranks.set(`${a} ${b}`, rank);
    });
    const escaped = [...this.added].sort((x, y) => y.content.length - x.content.length).map((t) => t.content.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.addedSplit = escaped.length ? new RegExp(`(${escaped.join('|')})`, 'u') : null;
    this.pre = readPreTokenizer(json.pre_tokenizer, where);
    this.normalize = readNormalizer(json.normalizer, where);
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  /** Id of a token string (e.g. a special token); throws if absent. */
  id(token: string): number {
    const id = this.vocab.get(token);
    if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  token(id: number): string {
    return this.idToToken[id];
  }

  private bpe(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    // Llama 3's tokenizer: a piece that is itself a token is taken whole, before any merge.
    if (this.json.model.ignore_merges && this.vocab.has(piece)) return [this.vocab.get(piece) as number];
    let symbols = Array.from(piece);
    while (symbols.length > 1) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < best) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      const [a, b] = [symbols[at], symbols[at + 1]];
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(symbols[i]);
      }
      symbols = merged;
    }
    const ids = symbols.map((s) => {
      const id = this.vocab.get(s);
      if (id === undefined) throw new Error(`byte-level BPE: symbol ${JSON.stringify(s)} has no id (the vocabulary lacks a byte)`);
      return id;
    });
    if (this.cache.size < 100_000) this.cache.set(piece, ids);
    return ids;
  }

  /** The pre-tokenized pieces of ordinary text (after normalisation), before byte mapping. */
  pieces(text: string): string[] {
    let t = this.normalize(text);
    if (this.pre.addPrefixSpace && t.length > 0 && !t.startsWith(' ')) t = ` ${t}`;
    if (!this.pre.pattern) return t ? [t] : [];
    return t.match(this.pre.pattern) ?? [];
  }

  /** Token ids without any added BOS/EOS (Hugging Face: add_special_tokens=False); specials in the text match. */
  encode(text: string): number[] {
    const out: number[] = [];
    const parts = this.addedSplit ? text.split(this.addedSplit) : [text];
    parts.forEach((part, i) => {
      if (this.addedSplit && i % 2 === 1) {
        out.push(this.id(part));
        return;
      }
      for (const piece of this.pieces(part)) out.push(...this.bpe(bytesToChars(piece)));
    });
    return out;
  }

  decode(ids: readonly number[], skipSpecial = false): string {
    const special = new Set(this.added.filter((t) => t.special).map((t) => t.id));
    let text = '';
    let bytes: number[] = [];
    const flush = () => {
      text += utf8Decoder.decode(new Uint8Array(bytes));
      bytes = [];
    };
    for (const id of ids) {
      const tok = this.idToToken[id];
      if (tok === undefined) throw new Error(`decode: id ${id} outside the vocabulary of ${this.vocabSize}`);
      if (special.has(id) || this.added.some((t) => t.id === id)) {
        if (skipSpecial && special.has(id)) continue;
        flush();
        text += tok;
        continue;
      }
      for (const ch of tok) {
        const b = CHAR_TO_BYTE.get(ch);
        if (b === undefined) throw new Error(`decode: token ${JSON.stringify(tok)} is not byte-level`);
        bytes.push(b);
      }
    }
    flush();
    return text;
  }

  toJSON(): TokenizerJson {
    return this.json;
  }
}
