/**
 * The safetensors format (Hugging Face): 8-byte little-endian header length N, N bytes of JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}}, then the raw little-endian
 * data. We write F32 and I32; we read F32, I32, F16 and BF16 (converted to float32).
 */
import * as fs from 'node:fs';
import { tempNameFor } from '../runs/lock';

export interface RawTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

const WRITE_DTYPE = { float32: 'F32', int32: 'I32' } as const;

export function writeSafetensors(path: string, tensors: Record<string, RawTensor>, metadata: Record<string, string> = {}): void {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) throw new Error(`safetensors: '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: WRITE_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // data starts 8-byte aligned, as Hugging Face writes it
  const headerBytes = Buffer.from(json, 'utf8');
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  const tmp = tempNameFor(path);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, size);
    fs.writeSync(fd, headerBytes);
    for (const name of names) {
      // tensor by tensor: no second copy of the whole model in memory
      const d = tensors[name].data;
      fs.writeSync(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path); // atomic: an interrupted save never leaves a truncated checkpoint
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsIndex {
  path: string;
  /** Byte offset of the data section. */
  base: number;
  entries: Record<string, HeaderEntry>;
  metadata: Record<string, string>;
}

/** Bytes per value of the dtypes this reader converts. */
export const DTYPE_BYTES: Record<string, number> = { F32: 4, I32: 4, F16: 2, BF16: 2 };

/** Largest header we parse (Hugging Face's own limit is 100 MB): a corrupt length must not allocate gigabytes. */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Checks every entry of a parsed header against the file before anything is allocated: known dtype, a shape of
 * non-negative integers, offsets inside the data section, shape x dtype size equal to the offsets' span, and no
 * two tensors overlapping. Each error names the file, the tensor and the problem.
 */
function checkEntries(path: string, entries: Record<string, unknown>, dataBytes: number): Record<string, HeaderEntry> {
  const spans: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, raw] of Object.entries(entries)) {
    const bad = (problem: string): never => {
      throw new Error(`${path}: tensor '${name}': ${problem}`);
    };
    const info = raw as Partial<HeaderEntry>;
    if (!info || typeof info !== 'object') bad('header entry is not an object');
    if (typeof info.dtype !== 'string' || !(info.dtype in DTYPE_BYTES))
      bad(`unsupported dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0))
      bad(`data_offsets ${JSON.stringify(offsets)} are not two non-negative integers`);
    const [begin, end] = offsets as [number, number];
    if (begin > end) bad(`data_offsets [${begin}, ${end}] begin after they end`);
    if (end > dataBytes) bad(`data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes)`);
    // In BigInt: a hostile shape's product can exceed 2^53.
    const expected = (shape as number[]).reduce((a, d) => a * BigInt(d), 1n) * BigInt(DTYPE_BYTES[info.dtype as string]);
    if (expected !== BigInt(end - begin))
      bad(`shape [${(shape as number[]).join(', ')}] x ${info.dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    spans.push({ name, begin, end });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const [a, b] = [spans[i - 1], spans[i]];
    if (b.begin < a.end && b.end > b.begin)
      throw new Error(`${path}: tensor '${b.name}': data_offsets [${b.begin}, ${b.end}] overlap tensor '${a.name}' [${a.begin}, ${a.end}]`);
  }
  return entries as Record<string, HeaderEntry>;
}

/** Reads only the header (names, dtypes, shapes, offsets) of a safetensors file, checked against the file. */
export function readSafetensorsIndex(path: string): SafetensorsIndex {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(8);
    if (size < 8 || fs.readSync(fd, head, 0, 8, 0) < 8) throw new Error(`${path}: not a safetensors file (too short)`);
    const n = head.readBigUInt64LE(0);
    if (n > BigInt(MAX_HEADER_BYTES))
      throw new Error(`${path}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or corrupt)`);
    if (8n + n > BigInt(size)) throw new Error(`${path}: header length ${n} exceeds the file size (${size} bytes)`);
    const json = Buffer.alloc(Number(n));
    fs.readSync(fd, json, 0, json.length, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(json.toString('utf8'));
    } catch (e) {
      throw new Error(`${path}: malformed safetensors header (${(e as Error).message})`);
    }
    if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error(`${path}: the safetensors header is not a JSON object`);
    const { __metadata__: metadata, ...entries } = header;
    if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Object.values(metadata).some((v) => typeof v !== 'string'))) {
      throw new Error(`${path}: __metadata__ must map strings to strings`);
    }
    const base = 8 + Number(n);
    return { path, base, entries: checkEntries(path, entries, size - base), metadata: (metadata ?? {}) as Record<string, string> };
  } finally {
    fs.closeSync(fd);
  }
}

/** One tensor, read straight from the file into its own (aligned) array: no copy of the whole file. */
export function readSafetensor(index: SafetensorsIndex, name: string, fd?: number): RawTensor {
  const info = index.entries[name];
  if (!info) throw new Error(`${index.path}: no tensor '${name}'`);
  const [begin, end] = info.data_offsets;
  const count = info.shape.reduce((a, b) => a * b, 1);
  const bytes = new Uint8Array(end - begin);
  const own = fd === undefined;
  const handle = own ? fs.openSync(index.path, 'r') : fd;
  try {
    fs.readSync(handle, bytes, 0, bytes.length, index.base + begin);
  } finally {
    if (own) fs.closeSync(handle);
  }
  if (info.dtype === 'F32') return { dtype: 'float32', shape: info.shape, data: new Float32Array(bytes.buffer, 0, count) };
  if (info.dtype === 'I32') return { dtype: 'int32', shape: info.shape, data: new Int32Array(bytes.buffer, 0, count) };
  if (info.dtype === 'F16' || info.dtype === 'BF16') {
    const src = new Uint16Array(bytes.buffer, 0, count);
    const out = new Float32Array(count);
    if (info.dtype === 'F16') for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]);
    else {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = src[i] << 16;
    }
    return { dtype: 'float32', shape: info.shape, data: out };
  }
  throw new Error(`${index.path}: tensor '${name}' has unsupported dtype ${info.dtype}`);
}

/** Calls `visit` with each tensor in turn (read one at a time, so peak memory is one tensor beyond the caller's). */
export function forEachSafetensor(path: string, visit: (name: string, t: RawTensor) => void): Record<string, string> {
  const index = readSafetensorsIndex(path);
  const fd = fs.openSync(path, 'r');
  try {
    for (const name of Object.keys(index.entries)) visit(name, readSafetensor(index, name, fd));
  } finally {
    fs.closeSync(fd);
  }
  return index.metadata;
}

export function readSafetensors(path: string): { tensors: Record<string, RawTensor>; metadata: Record<string, string> } {
  const tensors: Record<string, RawTensor> = {};
  const metadata = forEachSafetensor(path, (name, t) => {
    tensors[name] = t;
  });
  return { tensors, metadata };
}
