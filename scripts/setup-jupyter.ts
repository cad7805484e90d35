/**
 * npm run setup:jupyter — finds a Python with Jupyter (installs Debian's packages when run as root on Debian),
 * and registers the project kernel in .jupyter/kernels (used through JUPYTER_PATH by the npm scripts).
 */
import { ensureJupyter, JUPYTER_DIR, KERNEL_NAME } from '../lib/report/jupyter';

try {
  const python = ensureJupyter({ install: true });
  console.log(`Jupyter: ${python}`);
  console.log(`kernel '${KERNEL_NAME}' registered in ${JUPYTER_DIR}/kernels`);
  console.log('open the notebooks with: npm run notebook');
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
