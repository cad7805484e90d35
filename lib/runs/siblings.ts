/**
 * Cached results of another library code version: sibling folders (other hashes) of a cache folder that hold the
 * same thing by every measure but the code. Used by --accept-code-change for runs and for shared base models.
 */
import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson } from './hash';

/**
 * Siblings of `dir` (not `dir` itself) that hold `marker` (the file that shows they are finished) and whose identity
 * equals `wanted` in canonical JSON, newest marker first, each with what `read` parsed from it. `identityOf` gives a
 * sibling's identity from that (null: not comparable); siblings that cannot be read are skipped.
 */
export function siblingsWithIdentity<M>(dir: string, marker: string, wanted: unknown, read: (sibling: string) => M, identityOf: (meta: M, sibling: string) => unknown): Array<{ dir: string; meta: M }> {
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return [];
  const target = canonicalJson(wanted);
  return fs.readdirSync(parent).map((h) => path.join(parent, h)).flatMap((d) => {
    if (d === dir || !fs.existsSync(path.join(d, marker))) return [];
    try {
      const meta = read(d);
      const id = identityOf(meta, d);
      return id !== null && canonicalJson(id) === target ? [{ dir: d, meta, mtime: fs.statSync(path.join(d, marker)).mtimeMs }] : [];
    } catch {
      return [];
    }
  }).sort((a, b) => b.mtime - a.mtime).map(({ dir: d, meta }) => ({ dir: d, meta }));
}
