/**
 * Shipped bases: the expensive one-off base models, committed under data/bases/<name>/ exactly as the run store
 * holds them (the run folder of runs/<experiment>/<hash>/), listed with sha256 checksums in data/bases/manifest.json.
 * A run whose identity hash equals a shipped entry's is installed from it (checksums verified) instead of computed;
 * any other run, or every run under IMRM_REBUILD_BASES=1 (`--rebuild-bases`), is computed as usual. Either way one
 * line says which. `npm run bases` regenerates the files; tests/shipped-bases.test.ts fails when a shipped base's
 * identity is not what the code would build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filesUnder, hashOf, sha256 } from './hash';

export const SHIPPED_DIR = path.resolve(__dirname, '..', '..', 'data', 'bases');
const MANIFEST = 'manifest.json';

export interface ShippedBase {
  /** Folder under data/bases/. */
  name: string;
  /** The run store's kind: an experiment name (pretrain) or hamiltonian-base. */
  kind: string;
  /** The run identity's hash: the folder name under runs/<kind>/. */
  hash: string;
  /** The identity itself (what the hash is of), for people reading the manifest. */
  identity: unknown;
  /** The command that produces it. */
  producedBy: string;
  /** Relative path -> sha256 of every file of the run folder. */
  files: Record<string, string>;
}

export interface Manifest {
  bases: ShippedBase[];
}

export function readManifest(dir = SHIPPED_DIR): Manifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) return { bases: [] };
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  if (!Array.isArray(m.bases)) throw new Error(`${file}: key 'bases' must be a list`);
  return m;
}

export function writeManifest(m: Manifest, dir = SHIPPED_DIR): void {
  fs.mkdirSync(dir, { recursive: true });
  const sorted = { bases: [...m.bases].sort((a, b) => a.name.localeCompare(b.name)) };
  fs.writeFileSync(path.join(dir, MANIFEST), `${JSON.stringify(sorted, null, 1)}\n`);
}

const fileSha = (file: string) => sha256(fs.readFileSync(file));

/** Problems of a shipped base's files (missing, or checksum differs): empty when it is intact. */
export function verifyShipped(entry: ShippedBase, dir = SHIPPED_DIR): string[] {
  return Object.entries(entry.files).flatMap(([rel, sum]) => {
    const file = path.join(dir, entry.name, rel);
    if (!fs.existsSync(file)) return [`${file} is missing`];
    return fileSha(file) === sum ? [] : [`${file}: sha256 differs from the manifest's`];
  });
}

export function rebuildingBases(): boolean {
  return process.env.IMRM_REBUILD_BASES === '1';
}

/** Whether data/bases ships runs/<kind>/<hash> (and it is used: not under --rebuild-bases). */
export function isShipped(kind: string, hash: string, dir = SHIPPED_DIR): boolean {
  return !rebuildingBases() && readManifest(dir).bases.some((b) => b.kind === kind && b.hash === hash);
}

/**
 * Before computing runs/<kind>/<hash> (folder `runDir`), installs the shipped base with that identity, if any.
 * Returns what it did, for the caller's log: installed, or why it computes the run instead; null when `kind` has no
 * shipped bases at all (nothing to say).
 */
export function installShipped(kind: string, hash: string, runDir: string, dir = SHIPPED_DIR): string | null {
  const shipped = readManifest(dir).bases.filter((b) => b.kind === kind);
  if (shipped.length === 0) return null;
  const where = `${kind}/${hash}`;
  if (rebuildingBases()) return `${where}: --rebuild-bases: computing it, not installing a shipped base`;
  const entry = shipped.find((b) => b.hash === hash);
  if (!entry) return `${where}: not a shipped base (data/bases has ${shipped.map((b) => b.name).join(', ')}); computing it`;
  // The manifest's identity must be the one its hash names: a hand-edited entry never passes for another run.
  const recorded = hashOf(entry.identity).slice(0, 16);
  if (recorded !== entry.hash)
    throw new Error(
      `shipped base ${entry.name}: data/bases/${MANIFEST} records identity hash ${recorded} under hash ${entry.hash} (regenerate it: npm run bases -- --update ${entry.name})`,
    );
  const problems = verifyShipped(entry, dir);
  if (problems.length) throw new Error(`shipped base ${entry.name} is damaged: ${problems.join('; ')} (git checkout data/bases, or run with --rebuild-bases)`);
  // Copied whole into a temporary folder first, then renamed into place: a reader never sees half a base.
  const tmp = `${runDir}.shipped-${process.pid}-${Date.now()}`;
  for (const rel of Object.keys(entry.files)) {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.copyFileSync(path.join(dir, entry.name, rel), path.join(tmp, rel));
  }
  if (!fs.existsSync(runDir)) {
    fs.mkdirSync(path.dirname(runDir), { recursive: true });
    fs.renameSync(tmp, runDir);
  } else {
    // A folder left by an interrupted computation: each file replaced atomically.
    for (const rel of Object.keys(entry.files)) {
      fs.mkdirSync(path.dirname(path.join(runDir, rel)), { recursive: true });
      fs.renameSync(path.join(tmp, rel), path.join(runDir, rel));
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return `${where}: installed the shipped base data/bases/${entry.name} (identity matches, ${Object.keys(entry.files).length} files, sha256 verified)`;
}

/** Copies a finished run folder into data/bases/<name>/ and returns its manifest entry. */
export function shipRun(name: string, kind: string, hash: string, identity: unknown, runDir: string, producedBy: string, dir = SHIPPED_DIR): ShippedBase {
  const target = path.join(dir, name);
  fs.rmSync(target, { recursive: true, force: true });
  const files: Record<string, string> = {};
  for (const rel of filesUnder(runDir)) {
    if (rel.endsWith('.lock') || rel.includes('.tmp')) continue;
    fs.mkdirSync(path.dirname(path.join(target, rel)), { recursive: true });
    fs.copyFileSync(path.join(runDir, rel), path.join(target, rel));
    files[rel] = fileSha(path.join(target, rel));
  }
  return { name, kind, hash, identity, producedBy, files };
}
