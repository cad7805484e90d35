/**
 * Shared artefacts of several processes, possibly on several hosts over a network filesystem (NFS):
 *   - writeFileAtomic: write a temporary file named by host, pid and a random suffix, then rename it (atomic on
 *     POSIX and NFS), so a reader never sees half a file;
 *   - acquireLock: a lock file created by link(2) of a unique file (atomic on NFS, unlike O_EXCL on old clients),
 *     holding {host, pid, token}; a worker thread refreshes its mtime every heartbeat (the main thread may be busy
 *     in a long synchronous training step), so a lock whose mtime is older than staleMs belongs to a dead holder
 *     and is taken over; on the holder's own host a dead pid is stale at once;
 *   - buildOnce: build an artefact once when several processes need it; the others wait until it exists.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const unique = () => `${os.hostname()}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;

/** A temporary name beside `file`, unique across hosts, processes and calls: two writers never share one. */
export const tempNameFor = (file: string) => `${file}.${unique()}.tmp`;

/**
 * Writes `text` to `file` through a uniquely named temporary file and a rename: a reader never sees half a file. A
 * failed write (a full disk, a quota) removes its temporary file and says which file could not be written.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const tmp = tempNameFor(file);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new Error(
      `could not write ${file}: ${err.code ? `${err.code}, ` : ''}${err.message}${err.code === 'ENOSPC' ? ' (the disk is full: free space and run again; finished seeds are kept)' : ''}`,
    );
  }
}

/** A JSON file that exists but cannot be read (truncated by a crash, or damaged). */
export class UnreadableFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file} is unreadable (${reason})`);
    this.name = 'UnreadableFileError';
  }
}

/** Parses a JSON file; an unreadable one is an UnreadableFileError naming it (JSON.parse names no file). */
export function readJsonFile<T>(file: string): T {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new UnreadableFileError(file, (e as Error).message);
  }
}

/** Moves an unreadable file aside (kept for a post-mortem) and returns its new name. */
export function moveAside(file: string): string {
  const aside = `${file}.unreadable-${Date.now()}`;
  fs.renameSync(file, aside);
  return aside;
}

export interface LockOptions {
  /** A lock whose heartbeat (mtime) is older than this is stale (default 5 min; 10 missed heartbeats). */
  staleMs?: number;
  /** How often the holder refreshes the lock's mtime (default 30 s). */
  heartbeatMs?: number;
}

export interface LockHolder {
  host: string;
  pid: number;
  token: string;
}

export interface Lock {
  /** Whether the lock file still names this holder (false once another process took it over). */
  held(): boolean;
  release(): void;
}

function readHolder(lock: string): LockHolder | null {
  try {
    return JSON.parse(fs.readFileSync(lock, 'utf8')) as LockHolder;
  } catch {
    return null; // vanished, or a half-written / foreign file: judged by its age alone
  }
}

/**
 * When this process first saw each lock's heartbeat (mtime) value, on its own clock: staleness is judged from how
 * long the heartbeat has not moved while we watched, never by comparing the holder's clock with ours (hosts differ).
 */
const observed = new Map<string, { mtimeMs: number; since: number }>();

/**
 * Whether the lock at `lock` belongs to nobody alive: a dead pid on this host, or a heartbeat that has not moved for
 * staleMs of this process's own watching.
 */
export function isStale(lock: string, staleMs: number): boolean {
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(lock).mtimeMs;
  } catch {
    return false; // gone: not ours to judge
  }
  const holder = readHolder(lock);
  if (holder && holder.host === os.hostname() && holder.pid > 0 && !alive(holder.pid)) return true;
  const seen = observed.get(lock);
  if (!seen || seen.mtimeMs !== mtimeMs) {
    observed.set(lock, { mtimeMs, since: Date.now() });
    return false;
  }
  return Date.now() - seen.since > staleMs;
}

/**
 * Removes a stale lock so that exactly one taker wins: rename it to a unique name (atomic), then check that what
 * was renamed is the lock judged stale (same token); if a fresh lock was renamed by mistake, link it back.
 */
function takeOver(lock: string, judged: LockHolder | null): void {
  const aside = `${lock}.stale.${unique()}`;
  try {
    fs.renameSync(lock, aside);
  } catch {
    return; // someone else took it over first
  }
  const moved = readHolder(aside);
  // A readable lock that is not the one judged stale (or when the judged one could not be read) is put back.
  if (moved && (!judged || moved.token !== judged.token)) {
    try {
      fs.linkSync(aside, lock);
    } catch {
      // a third process created a new lock meanwhile: that one stands
    }
  }
  fs.rmSync(aside, { force: true });
}

function startHeartbeat(lock: string, everyMs: number): Worker {
  const worker = new Worker(
    `const fs = require('fs'); const { workerData } = require('worker_threads');
     setInterval(() => { try { const t = new Date(); fs.utimesSync(workerData.lock, t, t); } catch {} }, workerData.everyMs);`,
    { eval: true, workerData: { lock, everyMs } },
  );
  worker.unref();
  return worker;
}

/** Tries once to take `lock`; null when another live holder has it. */
export function tryLock(lock: string, opts: LockOptions = {}): Lock | null {
  const staleMs = opts.staleMs ?? 5 * 60_000;
  const me: LockHolder = { host: os.hostname(), pid: process.pid, token: crypto.randomBytes(8).toString('hex') };
  const mine = `${lock}.${unique()}.claim`;
  try {
    fs.writeFileSync(mine, JSON.stringify(me));
  } catch (e) {
    fs.rmSync(mine, { force: true });
    throw new Error(`could not write the lock claim ${mine}: ${(e as Error).message}`);
  }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.linkSync(mine, lock);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          // NFS may report an error although the link was made: the link count tells.
          if (fs.statSync(mine).nlink !== 2) throw e;
        } else {
          const holder = readHolder(lock);
          if (!isStale(lock, staleMs)) return null;
          takeOver(lock, holder);
          continue;
        }
      }
      const heartbeat = startHeartbeat(lock, opts.heartbeatMs ?? 30_000);
      const held = () => readHolder(lock)?.token === me.token;
      return {
        held,
        release() {
          void heartbeat.terminate();
          if (held()) fs.rmSync(lock, { force: true });
        },
      };
    }
    return null;
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Builds `target` once: the first process takes `<target>.lock` and builds; the others wait until the target
 * exists (a stale lock is taken over and the build resumed). The builder must create `target` atomically (e.g.
 * rename a finished temporary folder or write it with writeFileAtomic), so a waiter never sees half an artefact, and
 * call `fence` right before it does.
 */
export async function buildOnce(
  target: string,
  build: (fence: () => void) => Promise<void>,
  opts: LockOptions & { onWait?: (holder: LockHolder | null) => void; pollMs?: number } = {},
): Promise<'built' | 'found' | 'waited'> {
  const lockPath = `${target}.lock`;
  let waited = false;
  for (;;) {
    if (fs.existsSync(target)) return waited ? 'waited' : 'found';
    const lock = tryLock(lockPath, opts);
    if (!lock) {
      if (!waited) opts.onWait?.(readHolder(lockPath));
      waited = true;
      await sleep(opts.pollMs ?? 2000);
      continue;
    }
    // The builder calls fence() right before it commits: it throws if another process has taken the lock over
    // meanwhile (a takeover judged this holder dead), so two holders never both commit.
    const fence = () => {
      if (!lock.held()) throw new Error(`the lock ${lockPath} was taken over by another process during the build; not committing (run again)`);
    };
    try {
      if (!fs.existsSync(target)) await build(fence);
      if (!fs.existsSync(target)) throw new Error(`buildOnce: the build did not create ${target}`);
      return 'built';
    } finally {
      lock.release();
    }
  }
}
