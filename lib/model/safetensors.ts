/**
 * The safetensors format (Hugging Face): 8-byte little-endian header length N, N bytes of JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}}, then the raw little-endian
 * data. We write F32 and I32; we read F32, I32, F16 and BF16 (converted to float32).
 */
import * as fs from 'fs';

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
  const tmp = `${path}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, size);
    fs.writeSync(fd, headerBytes);
    for (const name of names) { // tensor by tensor: no second copy of the whole model in memory
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

interface HeaderEntry { dtype: string; shape: number[]; data_offsets: [number, number] }

export interface SafetensorsIndex {
  path: string;
  /** Byte offset of the data section. */
  base: number;
  entries: Record<string, HeaderEntry>;
  metadata: Record<string, string>;
}

/** Reads only the header (names, dtypes, shapes, offsets) of a safetensors file. */
export function readSafetensorsIndex(path: string): SafetensorsIndex {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(8);
    if (size < 8 || fs.readSync(fd, head, 0, 8, 0) < 8) throw new Error(`${path}: not a safetensors file (too short)`);
    const n = Number(head.readBigUInt64LE(0));
    if (8 + n > size) throw new Error(`${path}: header length ${n} exceeds the file size`);
    const json = Buffer.alloc(n);
    fs.readSync(fd, json, 0, n, 8);
    let header: Record<string, HeaderEntry>;
    try {
      header = JSON.parse(json.toString('utf8'));
    } catch (e) {
      throw new Error(`${path}: malformed safetensors header (${(e as Error).message})`);
    }
    const { __metadata__: metadata, ...entries } = header as Record<string, unknown>;
    for (const [name, info] of Object.entries(entries as Record<string, HeaderEntry>)) {
      const [begin, end] = info.data_offsets;
      if (8 + n + end > size || begin > end) throw new Error(`${path}: tensor '${name}' lies outside the file`);
    }
    return { path, base: 8 + n, entries: entries as Record<string, HeaderEntry>, metadata: (metadata ?? {}) as Record<string, string> };
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
  const metadata = forEachSafetensor(path, (name, t) => { tensors[name] = t; });
  return { tensors, metadata };
}
