/**
 * npm run pins -- [--update] [experiment ...]
 * Computes each experiment's pinned smoke outputs (lib/experiments/pins.ts) and compares them with tests/pins/;
 * --update writes them, and refuses when numbers moved while the versions did not (bump a version first).
 */
import * as fs from 'node:fs';
import { initBackend } from '../lib/backend';
import { EXPERIMENTS } from '../lib/experiments/registry';
import { comparePins, computePins, pinFilePath, pinVersions, readPinFile, sameVersions, updatedPinFile } from '../lib/experiments/pins';

async function main() {
  const argv = process.argv.slice(2);
  const update = argv.includes('--update');
  const names = argv.filter((a) => !a.startsWith('--'));
  for (const n of names) if (!EXPERIMENTS[n]) throw new Error(`unknown experiment '${n}' (available: ${Object.keys(EXPERIMENTS).join(', ')})`);
  await initBackend();
  let failed = 0;
  for (const name of names.length ? names : Object.keys(EXPERIMENTS)) {
    const file = pinFilePath(name);
    const old = readPinFile(file);
    const { backend, metrics } = await computePins(name);
    if (update) {
      const next = updatedPinFile(name, old, backend, metrics);
      fs.writeFileSync(file, `${JSON.stringify(next, null, 1)}\n`);
      console.log(`${name}: pinned ${Object.keys(metrics).length} metrics on ${backend} under ${JSON.stringify(next.versions)}`);
      continue;
    }
    const diff = old?.backends[backend] ? comparePins(old.backends[backend], metrics) : [`no pins for backend ${backend}`];
    const stale =
      old && !sameVersions(old.versions, pinVersions(name))
        ? [`pinned under ${JSON.stringify(old.versions)}, the code is ${JSON.stringify(pinVersions(name))}`]
        : [];
    const problems = [...stale, ...diff];
    if (problems.length) failed++;
    console.log(`${name}: ${problems.length ? `DIFFERS\n  ${problems.join('\n  ')}` : `${Object.keys(metrics).length} metrics as pinned`}`);
  }
  if (failed) process.exit(1);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
