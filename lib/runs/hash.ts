/** Canonical JSON (sorted keys) and content hashes: the identity of configs, data and code. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

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

/** The lib/ source of a module path, also when a notebook kernel runs it compiled to .js elsewhere. */
function locateSource(file: string, root: string): string | null {
  const ts = file.replace(/\.js$/, '.ts');
  if (fs.existsSync(ts)) return path.resolve(ts);
  const at = ts.lastIndexOf(`${path.sep}lib${path.sep}`);
  const rebased = at >= 0 ? path.join(root, ts.slice(at + 5)) : '';
  return rebased && fs.existsSync(rebased) ? rebased : null;
}

/** First line of a module that holds data, not code (e.g. the data catalog): experiments hash the data they
 * use through dataIdentity, so adding a catalog entry does not invalidate every cached run. */
export const DATA_ONLY = '// data-only module';

const codeVersionCache = new Map<string, string>();

/** Relative imports of a TypeScript file (source `src`), resolved to .ts files (export-from included). */
function localImports(file: string, src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/(?:import|export)[^'";]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) {
    const base = path.resolve(path.dirname(file), m[1] ?? m[2]);
    for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
      if (candidate.endsWith('.ts') && fs.existsSync(candidate)) { out.push(candidate); break; }
    }
  }
  return out;
}

/**
 * Hash of the library code a result depends on (path relative to lib/ + content of each file). With an entry
 * file (an experiment module), only the files it imports, directly or through other lib files, count: editing
 * an unrelated module keeps that experiment's cached runs valid. Without one, every .ts file under lib/.
 */
export function codeVersion(entryFile?: string, root = path.resolve(__dirname, '..')): string {
  const key = `${root}:${entryFile ?? '*'}`;
  const hit = codeVersionCache.get(key);
  if (hit) return hit;
  const sources = new Map<string, string>(); // each file read once
  const read = (f: string) => {
    if (!sources.has(f)) sources.set(f, fs.readFileSync(f, 'utf8'));
    return sources.get(f) as string;
  };
  const files = new Set<string>();
  const entry = entryFile && locateSource(entryFile, root);
  if (entry) {
    const stack = [entry];
    while (stack.length) {
      const f = stack.pop() as string;
      if (files.has(f)) continue;
      files.add(f);
      stack.push(...localImports(f, read(f)));
    }
  } else {
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) files.add(p);
      }
    };
    walk(root);
  }
  const h = crypto.createHash('sha256');
  for (const f of [...files].sort()) {
    const src = read(f);
    if (src.startsWith(DATA_ONLY)) continue;
    h.update(path.relative(root, f));
    h.update(src);
  }
  const version = h.digest('hex').slice(0, 16);
  codeVersionCache.set(key, version);
  return version;
}
