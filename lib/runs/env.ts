/** The environment stamp of a run: what produced these numbers. */
import { execSync } from 'child_process';
import * as os from 'os';
import { backendInfo } from '../backend';
import { codeVersion } from './hash';

export interface EnvStamp {
  node: string;
  tfjs: string;
  backend: string;
  wasmSimd?: boolean;
  wasmThreads?: boolean;
  gitCommit: string | null;
  gitDirty: boolean | null;
  codeVersion: string;
  platform: string;
  cpu: string;
  cores: number;
  date: string;
}

function git(args: string): string | null {
  try {
    return execSync(`git ${args}`, { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

export function envStamp(): EnvStamp {
  const b = backendInfo();
  const status = git('status --porcelain --untracked-files=no');
  return {
    node: process.version,
    tfjs: b.tfjsVersion,
    backend: b.backend,
    wasmSimd: b.wasmSimd,
    wasmThreads: b.wasmThreads,
    gitCommit: git('rev-parse HEAD'),
    gitDirty: status === null ? null : status.length > 0,
    codeVersion: codeVersion(),
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    date: new Date().toISOString(),
  };
}
