/**
 * npm run notebook [-- extra jupyter-notebook options] — opens the notebooks interactively with the project
 * kernel (registered first if needed). Options such as --no-browser --ip 0.0.0.0 --port 8888 pass through.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ensureJupyter, jupyterEnv, PROJECT_ROOT } from '../lib/report/jupyter';

try {
  const python = ensureJupyter({ install: true });
  // The notebook server refuses to run as root without --allow-root (containers and CI machines run as root).
  const root = process.getuid?.() === 0 ? ['--allow-root'] : [];
  const r = spawnSync(python, ['-m', 'notebook', `--notebook-dir=${path.join(PROJECT_ROOT, 'notebooks')}`, ...root, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: jupyterEnv(),
  });
  if (r.status !== 0) {
    console.error(
      `jupyter notebook exited with ${r.status} (its messages are above; the server itself comes from Debian's jupyter-notebook or pip's notebook)`,
    );
    process.exit(r.status ?? 1);
  }
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
