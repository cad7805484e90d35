/**
 * Shared artefacts of several processes: atomic writes, and building an artefact once when several processes need it (parallel seed workers sharing one base model):
 * the first process takes an exclusive lock file and builds; the others wait until the artefact exists. A lock
 * left by a process that died is taken over. The builder must create `target` atomically (e.g. rename a
 * finished temporary folder), so a waiter never sees half an artefact.
 */
import * as fs from 'fs';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes `text` to `file` through a temporary file and a rename: a reader never sees half a file. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function buildOnce(target: string, build: () => Promise<void>, opts: { onWait?: (holderPid: number) => void; pollMs?: number } = {}): Promise<'built' | 'found' | 'waited'> {
  const lock = `${target}.lock`;
  let waited = false;
  for (;;) {
    if (fs.existsSync(target)) return waited ? 'waited' : 'found';
    let fd: number;
    try {
      fd = fs.openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(lock, 'utf8')) || 0;
      if (holder > 0 && !alive(holder)) {
        fs.rmSync(lock, { force: true }); // its builder died: take over
        continue;
      }
      if (!waited) opts.onWait?.(holder);
      waited = true;
      await sleep(opts.pollMs ?? 2000);
      continue;
    }
    fs.writeSync(fd, String(process.pid));
    fs.closeSync(fd);
    try {
      if (!fs.existsSync(target)) await build();
      if (!fs.existsSync(target)) throw new Error(`buildOnce: the build did not create ${target}`);
      return 'built';
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}
