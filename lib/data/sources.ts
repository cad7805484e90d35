/**
 * Where data files come from. Every file is named by its path inside a mirror folder (the layout of
 * ../shared/data) and declared once in catalog.ts with its public URL and sha256. A file is found, in order:
 *   1. in the mirror folder (option dataDir, else the environment variable IMRM_DATA_DIR), checksum verified;
 *   2. in the download cache (option cacheDir, else IMRM_CACHE_DIR, else <project>/.cache/data);
 *   3. downloaded from its URL into the cache (progress bar, checksum verified before the file is kept).
 * Without a network, a missing file is one DataUnavailableError saying what to download and where to put it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATA_FILES, type DataFile } from './catalog';
import { Progress, type ProgressRenderer, terminalRenderer } from '../runs/progress';

export class DataUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataUnavailableError';
  }
}

export interface DataOptions {
  /** A local mirror folder (default: IMRM_DATA_DIR). */
  dataDir?: string;
  /** Download cache (default: IMRM_CACHE_DIR/data or <project>/.cache/data). */
  cacheDir?: string;
  /** false: never download (default: true). */
  download?: boolean;
  progress?: ProgressRenderer;
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export function defaultCacheDir(): string {
  return process.env.IMRM_CACHE_DIR ? path.join(process.env.IMRM_CACHE_DIR, 'data') : path.join(PROJECT_ROOT, '.cache', 'data');
}

export function mirrorDir(opts: DataOptions = {}): string | null {
  const dir = opts.dataDir ?? process.env.IMRM_DATA_DIR;
  return dir ? path.resolve(dir) : null;
}

const verified = new Map<string, string>(); // absolute path + size + mtime -> sha256

export function fileSha256(file: string): string {
  const st = fs.statSync(file);
  const key = `${file}:${st.size}:${st.mtimeMs}`;
  let sum = verified.get(key);
  if (!sum) {
    // In chunks: model weights can be gigabytes, and the hash needs no copy of the whole file.
    const hash = crypto.createHash('sha256');
    const chunk = Buffer.alloc(1 << 24);
    const fd = fs.openSync(file, 'r');
    try {
      for (let n = fs.readSync(fd, chunk, 0, chunk.length, null); n > 0; n = fs.readSync(fd, chunk, 0, chunk.length, null)) hash.update(chunk.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    sum = hash.digest('hex');
    verified.set(key, sum);
  }
  return sum;
}

function entry(name: string): DataFile {
  const f = DATA_FILES[name];
  if (!f) throw new DataUnavailableError(`data file '${name}' is not in the catalog (lib/data/catalog.ts)`);
  return f;
}

function checkSum(file: string, name: string, expected: string | null): void {
  if (!expected) return;
  const actual = fileSha256(file);
  if (actual !== expected) {
    throw new DataUnavailableError(
      `${file}: sha256 ${actual} does not match the catalog's ${expected} for '${name}' ` +
        '(a different version of the file, or a Git LFS pointer instead of the data); replace it with the published file',
    );
  }
}

/** Streams url to target (via target.part) with a progress bar; verifies the sha256 when one is given. */
export async function download(url: string, target: string, name: string, expected: string | null, render?: ProgressRenderer): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`network error: ${(e as Error).message}`);
  }
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get('content-length') ?? 0);
  const progress = new Progress(total || 1, render ?? terminalRenderer());
  progress.setLabel(`download ${name}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.part`;
  const out = fs.openSync(partial, 'w');
  const hash = crypto.createHash('sha256');
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      fs.writeSync(out, chunk);
      hash.update(chunk);
      if (total) progress.tick(chunk.length);
    }
  } finally {
    fs.closeSync(out);
  }
  progress.finish();
  const actual = hash.digest('hex');
  if (expected && actual !== expected) {
    fs.rmSync(partial, { force: true });
    throw new Error(`downloaded sha256 ${actual} does not match the catalog's ${expected}`);
  }
  fs.renameSync(partial, target);
}

/** Absolute path of a catalogued data file, fetched into the cache if needed. */
export async function dataFile(name: string, opts: DataOptions = {}): Promise<string> {
  const f = entry(name);
  const mirror = mirrorDir(opts);
  if (mirror) {
    const p = path.join(mirror, name);
    if (fs.existsSync(p)) {
      checkSum(p, name, f.sha256);
      return p;
    }
  }
  const cached = path.join(opts.cacheDir ?? defaultCacheDir(), name);
  if (fs.existsSync(cached)) return cached;
  const where = `put the file at ${cached}, or set IMRM_DATA_DIR to a mirror folder holding ${name} (e.g. ../shared/data)`;
  if (!f.url) throw new DataUnavailableError(`data file '${name}' has no public download (${f.note ?? 'derived file'}); ${where}`);
  if (opts.download === false)
    throw new DataUnavailableError(`data file '${name}' is not available locally and downloads are off: download ${f.url} and ${where}`);
  try {
    await download(f.url, cached, name, f.sha256, opts.progress);
  } catch (e) {
    throw new DataUnavailableError(
      `data file '${name}' is not available locally and its download failed (${(e as Error).message}): ` + `download ${f.url} and ${where}`,
    );
  }
  return cached;
}
