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
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name].data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, pos);
    pos += d.byteLength;
  }
  const tmp = `${path}.tmp`;
  fs.writeFileSync(tmp, out);
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

export function readSafetensors(path: string): { tensors: Record<string, RawTensor>; metadata: Record<string, string> } {
  const buf = fs.readFileSync(path);
  if (buf.length < 8) throw new Error(`${path}: not a safetensors file (too short)`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new Error(`${path}: header length ${n} exceeds the file size`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    throw new Error(`${path}: malformed safetensors header (${(e as Error).message})`);
  }
  const base = 8 + n;
  const tensors: Record<string, RawTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>;
      continue;
    }
    const [begin, end] = info.data_offsets;
    const bytes = buf.subarray(base + begin, base + end);
    const count = info.shape.reduce((a, b) => a * b, 1);
    // Copy into a fresh aligned buffer: typed arrays need aligned offsets.
    const aligned = new Uint8Array(bytes).buffer;
    if (info.dtype === 'F32') tensors[name] = { dtype: 'float32', shape: info.shape, data: new Float32Array(aligned, 0, count) };
    else if (info.dtype === 'I32') tensors[name] = { dtype: 'int32', shape: info.shape, data: new Int32Array(aligned, 0, count) };
    else if (info.dtype === 'F16' || info.dtype === 'BF16') {
      const src = new Uint16Array(aligned, 0, count);
      const out = new Float32Array(count);
      if (info.dtype === 'F16') for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]);
      else {
        const u32 = new Uint32Array(out.buffer);
        for (let i = 0; i < count; i++) u32[i] = src[i] << 16;
      }
      tensors[name] = { dtype: 'float32', shape: info.shape, data: out };
    } else {
      throw new Error(`${path}: tensor '${name}' has unsupported dtype ${info.dtype}`);
    }
  }
  return { tensors, metadata };
}
