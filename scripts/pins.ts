/**
 * npm run pins -- [--update] [experiment ...]
 * Computes each experiment's pinned outputs, smoke and paths (lib/experiments/pins.ts), and compares them with tests/pins/;
 * --update writes them, and refuses when numbers moved while the versions did not (bump a version first).
 */
import * as fs from 'node:fs';
import { initBackend } from '../lib/backend';
import { EXPERIMENTS } from '../lib/experiments/registry';
import {
  comparePins,
  computePins,
  pinConfigs,
  pinFilePath,
  pinVersions,
  readPinFile,
  sameVersions,
  staleConfig,
  updatedPinFile,
} from '../lib/experiments/pins';

async function main() {
  const argv = process.argv.slice(2);
  const update = argv.includes('--update');
  const names = argv.filter((a) => !a.startsWith('--'));
  for (const n of names) if (!EXPERIMENTS[n]) throw new Error(`unknown experiment '${n}' (available: ${Object.keys(EXPERIMENTS).join(', ')})`);
  await initBackend();
  let failed = 0;
  for (const name of names.length ? names : Object.keys(EXPERIMENTS)) {
    for (const config of pinConfigs(name)) {
      const file = pinFilePath(name, config.name);
      const old = readPinFile(file);
      const started = Date.now();
      const { backend, metrics } = await computePins(name, config);
      const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
      if (update) {
        // New overrides make new numbers: the old pins of that configuration no longer apply.
        const next = updatedPinFile(name, config, old && staleConfig(old, config).length === 0 ? old : null, backend, metrics);
        fs.writeFileSync(file, `${JSON.stringify(next, null, 1)}\n`);
        console.log(`${name} ${config.name}: pinned ${Object.keys(metrics).length} metrics on ${backend} under ${JSON.stringify(next.versions)} (${took})`);
        continue;
      }
      const diff = old?.backends[backend] ? comparePins(old.backends[backend], metrics) : [`no pins for backend ${backend}`];
      const stale = old
        ? [
            ...staleConfig(old, config),
            ...(sameVersions(old.versions, pinVersions(name))
              ? []
              : [`pinned under ${JSON.stringify(old.versions)}, the code is ${JSON.stringify(pinVersions(name))}`]),
          ]
        : [];
      const problems = [...stale, ...diff];
      if (problems.length) failed++;
      console.log(
        `${name} ${config.name}: ${problems.length ? `DIFFERS\n  ${problems.join('\n  ')}` : `${Object.keys(metrics).length} metrics as pinned`} (${took})`,
      );
    }
  }
  if (failed) process.exit(1);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
