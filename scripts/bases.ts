/**
 * npm run bases -- [--check] [--update NAME ... | --update-all] [--workers N]
 * The shipped bases (data/bases, lib/runs/shipped.ts). Without options (or --check): lists each base the code
 * knows (lib/experiments/shipped-bases.ts) as shipped and current, shipped but stale or damaged, or not shipped;
 * exits 1 on a stale or damaged one. --update trains the named bases where the run store lacks them (hours for the
 * Hamiltonian base), then copies their run folders into data/bases and rewrites the manifest.
 */
import { initBackend } from '../lib/backend';
import { BASE_RECIPES, baseRecipe, shippedBaseProblems } from '../lib/experiments/shipped-bases';
import { readManifest, shipRun, writeManifest } from '../lib/runs/shipped';
import { terminalRenderer } from '../lib/runs/progress';
import { workersFromArgv } from '../lib/train/data-parallel';

async function main() {
  const argv = process.argv.slice(2);
  await initBackend();
  workersFromArgv(argv);
  const names: string[] = argv.includes('--update-all') ? BASE_RECIPES.map((b) => b.name) : [];
  for (let i = argv.indexOf('--update') + 1; i > 0 && i < argv.length && !argv[i].startsWith('--'); i++) names.push(argv[i]);
  const manifest = readManifest();
  // Built from the run store or by training, never from the shipped copy being replaced.
  if (names.length) process.env.IMRM_REBUILD_BASES = '1';
  for (const name of names) {
    const recipe = baseRecipe(name);
    await recipe.build(undefined, terminalRenderer());
    const r = await recipe.resolve();
    const entry = shipRun(name, r.kind, r.hash, r.identity, r.dir, recipe.producedBy);
    manifest.bases = [...manifest.bases.filter((b) => b.name !== name), entry];
    writeManifest(manifest);
    console.error(`shipped ${name}: ${r.kind}/${r.hash}, ${Object.keys(entry.files).length} files`);
  }
  let bad = 0;
  for (const recipe of BASE_RECIPES) {
    const entry = manifest.bases.find((b) => b.name === recipe.name);
    if (!entry) {
      console.log(`${recipe.name.padEnd(20)} not shipped (built on first use by: ${recipe.producedBy})`);
      continue;
    }
    const problems = await shippedBaseProblems(entry);
    bad += problems.length ? 1 : 0;
    console.log(
      `${recipe.name.padEnd(20)} ${problems.length ? `STALE OR DAMAGED: ${problems.join('; ')}` : `shipped and current (${entry.kind}/${entry.hash})`}`,
    );
  }
  if (bad) process.exit(1);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
