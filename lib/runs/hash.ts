/** Canonical JSON (sorted keys) and content hashes: the identity of configs and data, and the library's code hash. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * JSON with sorted keys: the text a run identity is hashed from. Only plain data may enter: anything JSON would
 * silently turn into {} or null or drop (a Map, a Set, a Date, a typed array, a class instance, a function,
 * undefined in an array, a non-finite number) is an error naming where it is, so two different configs can never
 * share an identity. An object key whose value is undefined is left out, as in JSON.
 */
export function canonicalJson(value: unknown, where = 'the value'): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${where} is the non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${where}[${i}]`)).join(',')}]`;
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw new Error(
        `canonicalJson: ${where} is a ${proto?.constructor?.name ?? 'non-plain object'}; an identity holds only plain objects, arrays, strings, numbers, booleans and null`,
      );
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .sort()
      .filter((k) => record[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k], `${where}.${k}`)}`);
    return `{${entries.join(',')}}`;
  }
  throw new Error(`canonicalJson: ${where} is ${value === undefined ? 'undefined' : `a ${typeof value}`}, which JSON cannot hold`);
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
