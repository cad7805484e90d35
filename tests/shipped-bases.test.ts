import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setup } from './helpers';
import { BASE_RECIPES, baseRecipe, basesUsedBy, identityDiff, shippedBaseProblems } from '../lib/experiments/shipped-bases';
import { SHIPPED_DIR, installShipped, readManifest, shipRun, verifyShipped, writeManifest } from '../lib/runs/shipped';
import { resolveRun, runExperiment } from '../lib/experiments/runner';
import { pretrain } from '../lib/experiments/pretrain';

before(setup);

describe('shipped bases (data/bases)', () => {
  const manifest = readManifest();
  for (const entry of manifest.bases) {
    it(`${entry.name}: its identity is what the code builds today, and its files are intact`, async () => {
      assert.deepEqual(await shippedBaseProblems(entry), []);
    });
  }

  it('ships bases at all (the checks below would otherwise pass on nothing)', () => {
    assert.ok(manifest.bases.length > 0, `data/bases/manifest.json lists no base`);
  });

  it('a shipped base whose recorded version or config differs from the code is reported stale, naming what differs', async () => {
    const entry = manifest.bases.find((b) => b.kind === 'pretrain');
    assert.ok(entry, 'no shipped pretrain base to check');
    const identity = structuredClone(entry.identity) as { version: number; config: { train: { steps: number } } };
    identity.version += 1;
    identity.config.train.steps += 1;
    const stale = { ...entry, hash: '0000000000000000', identity };
    const problems = await shippedBaseProblems(stale);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /was built for identity pretrain\/0000000000000000, but the code now builds/);
    assert.match(problems[0], /what differs: config\.train\.steps, version/);
    assert.match(problems[0], /npm run bases -- --update/);
  });

  it('every shipped base has a recipe, and names are unique', () => {
    const names = BASE_RECIPES.map((b) => b.name);
    assert.equal(new Set(names).size, names.length);
    for (const e of manifest.bases) assert.ok(names.includes(e.name), e.name);
  });

  it('reproduce builds first the bases its experiments use in the profile', () => {
    const names = (experiments: string[], profile: 'smoke' | 'quick' | 'paper') => basesUsedBy(experiments, profile).map((b) => b.name);
    // The alignment family: the absent control, then doses ascending, two pretraining seeds each; the same in both profiles.
    const family = ['absent', 'p0', 'p25', 'p50', 'p75', 'p100'].flatMap((d) => [`alignment-${d}-s1`, `alignment-${d}-s2`]);
    assert.deepEqual(names(['toy-copy', 'hamiltonian', 'alignment'], 'quick'), ['hamiltonian', ...family]);
    assert.deepEqual(names(['alignment'], 'paper'), family);
    assert.deepEqual(names(['hamiltonian', 'alignment', 'token-cues'], 'smoke'), []);
  });

  it('a shipped base is what a fresh run store gets, through the runner, instead of training', async () => {
    const entry = manifest.bases.find((b) => b.kind === 'pretrain');
    assert.ok(entry, 'no shipped pretrain base to check');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
    const recipe = baseRecipe(entry.name);
    const before = await recipe.resolve(root);
    assert.equal(before.built, false);
    // Fail fast rather than train for 17 minutes when the code no longer builds the shipped identity.
    assert.equal(`${before.kind}/${before.hash}`, `${entry.kind}/${entry.hash}`, 'the code resolves another identity than the shipped one');
    await recipe.build(root);
    const r = await recipe.resolve(root);
    assert.ok(r.built);
    const model = path.join('seed-1', 'model', 'model.safetensors');
    assert.deepEqual(fs.readFileSync(path.join(r.dir, model)), fs.readFileSync(path.join(SHIPPED_DIR, entry.name, model)));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('identityDiff names the differing leaves', () => {
    assert.deepEqual(identityDiff({ a: 1, b: { c: [1, 2], d: 'x' } }, { a: 1, b: { c: [1, 3], e: 1 } }), ['b.c', 'b.d', 'b.e']);
    assert.deepEqual(identityDiff({ a: 1 }, { a: 1 }), []);
  });

  it('a run is installed from a shipped copy with its identity (checksums verified), else computed, and says which', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipped-'));
    const [built, store, shipped] = ['built', 'store', 'shipped'].map((d) => path.join(tmp, d));
    const run = await runExperiment(pretrain, { profile: 'smoke', seeds: 1, root: built });
    const hash = path.basename(run.dir);
    const { identity } = await resolveRun(pretrain, { profile: 'smoke', root: built });
    writeManifest({ bases: [shipRun('tiny', 'pretrain', hash, identity, run.dir, 'test', shipped)] }, shipped);
    const entry = readManifest(shipped).bases[0];
    assert.deepEqual(verifyShipped(entry, shipped), []);
    assert.ok(Object.keys(entry.files).includes(path.join('seed-1', 'model', 'model.safetensors')));

    const target = path.join(store, 'pretrain', hash);
    assert.match(
      installShipped('pretrain', hash, target, shipped) ?? '',
      /installed the shipped base data\/bases\/tiny \(identity matches, \d+ files, sha256 verified\)/,
    );
    for (const rel of Object.keys(entry.files)) assert.deepEqual(fs.readFileSync(path.join(target, rel)), fs.readFileSync(path.join(run.dir, rel)), rel);
    assert.match(
      installShipped('pretrain', 'ffffffffffffffff', path.join(store, 'x'), shipped) ?? '',
      /not a shipped base \(data\/bases has tiny\); computing it/,
    );
    assert.equal(installShipped('toy-copy', hash, path.join(store, 'y'), shipped), null);
    process.env.IMRM_REBUILD_BASES = '1';
    try {
      assert.match(installShipped('pretrain', hash, path.join(store, 'z'), shipped) ?? '', /--rebuild-bases: computing it/);
    } finally {
      delete process.env.IMRM_REBUILD_BASES;
    }
    // A manifest entry whose identity is not the one its hash names is refused.
    writeManifest({ bases: [{ ...entry, identity: { edited: true } }] }, shipped);
    assert.throws(() => installShipped('pretrain', hash, path.join(store, 'v'), shipped), /records identity hash [0-9a-f]{16} under hash/);
    writeManifest({ bases: [entry] }, shipped);
    fs.appendFileSync(path.join(shipped, 'tiny', 'seed-1', 'result.json'), ' ');
    assert.throws(() => installShipped('pretrain', hash, path.join(store, 'w'), shipped), /shipped base tiny is damaged: .*result\.json: sha256 differs/);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
