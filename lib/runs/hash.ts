/** Canonical JSON (sorted keys) and content hashes: the identity of configs and data, and the library's code hash. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
  return JSON.stringify(value);
}

export function sha256(text: string | Buffer): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export function hashOf(value: unknown): string {
  return sha256(canonicalJson(value));
}

const codeHashCache = new Map<string, string>();

/**
 * sha256 (16 hex) of every .ts file under lib/ (relative path + content). Provenance only: it tells which code made
 * a result, but is never part of a result's identity (see README, "Run identity").
 */
export function libraryCodeHash(root = path.resolve(__dirname, '..')): string {
  const hit = codeHashCache.get(root);
  if (hit) return hit;
  const h = crypto.createHash('sha256');
  for (const rel of filesUnder(root).filter((f) => f.endsWith('.ts'))) {
    h.update(rel);
    h.update(fs.readFileSync(path.join(root, rel)));
  }
  const out = h.digest('hex').slice(0, 16);
  codeHashCache.set(root, out);
  return out;
}

/** Every file under `dir`, as paths relative to it (sorted). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
