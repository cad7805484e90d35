/**
 * Provenance: what produced a result (recorded with it, never part of its identity). A cached result is re-used
 * on its identity alone (experiment, version, config, data, backend); the provenance says which code, machine and
 * packages made it, so a reader can trace every number.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backendInfo } from '../backend';
import type { WebGpuAdapterInfo } from '../gpu/webgpu';
import { libraryCodeHash } from './hash';

export interface Provenance {
  gitCommit: string | null;
  /** Uncommitted changes to tracked files when the result was computed. */
  gitDirty: boolean | null;
  /** sha256 (16 hex) of every lib/**.ts file: tells two dirty trees apart. */
  codeHash: string;
  backend: string;
  wasmSimd?: boolean;
  wasmThreads?: boolean;
  /** wasm+openblas: the BLAS library, the processor kernel it chose and its threads. */
  native?: { blas: string; core: string; threads: number };
  /** webgpu: the adapter and its limits. */
  webgpu?: WebGpuAdapterInfo;
  packages: Record<string, string>;
  node: string;
  host: string;
  platform: string;
  cpu: string;
  cores: number;
  /** When the computation finished (ISO). */
  date: string;
}

function git(args: string): string | null {
  try {
    return execSync(`git ${args}`, { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

const PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  'tslab',
  'danfojs-node',
  'plotly.js-dist-min',
  'apache-arrow',
];

/** Installed versions of the packages that can move numbers or reports (absent ones are left out). */
export function packageVersions(root = path.resolve(__dirname, '..', '..')): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      out[name] = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      // not installed (e.g. the optional tfjs-node-gpu)
    }
  }
  return out;
}

let gitCache: { commit: string | null; dirty: boolean | null } | null = null;

export function provenance(): Provenance {
  const b = backendInfo();
  if (!gitCache) {
    const status = git('status --porcelain --untracked-files=no');
    gitCache = { commit: git('rev-parse HEAD'), dirty: status === null ? null : status.length > 0 };
  }
  return {
    gitCommit: gitCache.commit,
    gitDirty: gitCache.dirty,
    codeHash: libraryCodeHash(),
    backend: b.backend,
    ...(b.wasmSimd === undefined ? {} : { wasmSimd: b.wasmSimd, wasmThreads: b.wasmThreads }),
    ...(b.native ? { native: b.native } : {}),
    ...(b.webgpu ? { webgpu: b.webgpu } : {}),
    packages: packageVersions(),
    node: process.version,
    host: os.hostname(),
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    date: new Date().toISOString(),
  };
}

/** One line for reports: "commit 1a2b3c4d (dirty) · code 5e6f… · wasm · tfjs 4.22.0 · 2026-11-30". */
export function provenanceLine(p: Provenance): string {
  const commit = p.gitCommit ? `commit ${p.gitCommit.slice(0, 8)}${p.gitDirty ? ' (dirty)' : ''}` : 'no git commit';
  return `${commit} · code ${p.codeHash.slice(0, 8)} · ${p.backend} · tfjs ${p.packages['@tensorflow/tfjs'] ?? '?'} · node ${p.node} · ${p.date.slice(0, 10)}`;
}
