/**
 * The run-identity rule (README, "Run identity"): every experiment's pinned configurations (smoke, and paths: micro-
 * batches, workers, longer sequences) give their pinned outputs. A change that moves them fails here until the experiment's version (or its base's) is bumped and `npm run pins -- --update`
 * is run in the same commit.
 */
import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { setup } from './helpers';
import { backendInfo } from '../lib/backend';
import { EXPERIMENTS } from '../lib/experiments/registry';
import {
  PINNED_BACKENDS,
  type PinFile,
  comparePins,
  computePins,
  flattenMetrics,
  pinConfigs,
  pinFilePath,
  pinVersions,
  readPinFile,
  sameVersions,
  staleConfig,
  updatedPinFile,
} from '../lib/experiments/pins';

describe('pinned outputs', () => {
  before(setup);
  for (const name of Object.keys(EXPERIMENTS)) {
    for (const config of pinConfigs(name)) {
      it(`${name} ${config.name}: outputs equal the pins of its version`, async (t) => {
        const update = `run npm run pins -- --update ${name}`;
        const file = pinFilePath(name, config.name);
        const pins = readPinFile(file);
        assert.ok(pins, `${name}: no ${path.relative(process.cwd(), file)}; ${update}`);
        assert.deepEqual(staleConfig(pins, config), [], `${name} ${config.name}: ${update}`);
        assert.deepEqual(
          pins.versions,
          pinVersions(name),
          `${name}: pinned under ${JSON.stringify(pins.versions)}, the code is ${JSON.stringify(pinVersions(name))}: ${update}`,
        );
        const backend = backendInfo().backend;
        if (!pins.backends[backend]) {
          // CI's backends must be pinned (a check that cannot fail is no check); others are skipped, and say so.
          assert.ok(!PINNED_BACKENDS.includes(backend), `${name} ${config.name}: no pins for backend ${backend}: ${update} on it`);
          t.skip(`no pins for backend ${backend} (pinned: ${Object.keys(pins.backends).join(', ')})`);
          return;
        }
        const computed = await computePins(name, config);
        const diff = comparePins(pins.backends[backend], computed.metrics);
        assert.deepEqual(
          diff,
          [],
          `${name} ${config.name}: the outputs moved. If that is intended, bump the version of what changed and ${update}:\n  ${diff.slice(0, 10).join('\n  ')}`,
        );
      });
    }
  }
});

describe('the pin rule', () => {
  it('flattens nested metrics and leaves out wall-clock times', () => {
    assert.deepEqual(flattenMetrics({ a: { b: 1, trainSeconds: 9 }, c: { d: { e: 2 } } }), { 'a/b': 1, 'c/d/e': 2 });
  });

  it('compares to a relative tolerance, NaN equal to NaN, and reports missing and new metrics', () => {
    assert.deepEqual(comparePins({ x: 1000, y: NaN }, { x: 1000.0005, y: NaN }), []);
    assert.deepEqual(comparePins({ x: 1 }, { x: 1.00001 }), ['x: pinned 1, now 1.00001']);
    assert.deepEqual(comparePins({ x: 1, gone: 2 }, { x: 1, fresh: 3 }), ['gone: pinned 2, no longer reported', 'fresh: new metric 3, not pinned']);
  });

  it('compares versions whatever their key order, as the update does', () => {
    assert.ok(sameVersions({ a: 1, b: 2 }, { b: 2, a: 1 }));
    assert.ok(!sameVersions({ a: 1, b: 2 }, { a: 1, b: 3 }));
    const versions = pinVersions('alignment');
    const reordered = Object.fromEntries(Object.entries(versions).reverse());
    const old: PinFile = { experiment: 'alignment', profile: 'smoke', overrides: {}, versions: reordered, backends: { wasm: { a: 1 } } };
    // Same versions in another order: moved numbers are refused, not pinned as if a version had been bumped.
    assert.throws(() => updatedPinFile('alignment', pinConfigs('alignment')[0], old, 'wasm', { a: 2 }), /numbers moved but the versions did not/);
  });

  it('refuses to pin moved numbers under unchanged versions, accepts them after a bump', () => {
    const versions = pinVersions('toy-copy');
    const smoke = pinConfigs('toy-copy')[0];
    const old: PinFile = { experiment: 'toy-copy', profile: 'smoke', overrides: {}, versions, backends: { wasm: { a: 1 }, cpu: { a: 1.1 } } };
    assert.throws(() => updatedPinFile('toy-copy', smoke, old, 'wasm', { a: 2 }), /numbers moved but the versions did not.*Bump the version/s);
    assert.deepEqual(updatedPinFile('toy-copy', smoke, old, 'wasm', { a: 1 }).backends, { wasm: { a: 1 }, cpu: { a: 1.1 } });
    const bumped = updatedPinFile('toy-copy', smoke, { ...old, versions: { 'toy-copy': versions['toy-copy'] - 1 } }, 'wasm', { a: 2 });
    assert.deepEqual(bumped.backends, { wasm: { a: 2 } }, "a bump drops the other backends' stale pins");
    assert.deepEqual(bumped.versions, versions);
  });

  it('names a pin file whose configuration is not the one the code pins', () => {
    const paths = pinConfigs('pretrain')[1];
    const file = updatedPinFile('pretrain', paths, null, 'wasm', { a: 1 });
    assert.deepEqual(staleConfig(file, paths), []);
    assert.equal(staleConfig(file, { ...paths, workers: 1 }).length, 1);
    assert.match(staleConfig({ ...file, overrides: {} }, paths)[0], /pinned with .*"overrides":\{\}.*the code pins/);
    // A smoke file written before workers were recorded is the one-worker smoke configuration.
    const { workers: _w, ...legacy } = updatedPinFile('pretrain', pinConfigs('pretrain')[0], null, 'wasm', { a: 1 });
    assert.deepEqual(staleConfig(legacy, pinConfigs('pretrain')[0]), []);
  });

  it('pins a second configuration per experiment with several micro-batches and two workers', () => {
    for (const name of Object.keys(EXPERIMENTS)) {
      const [smoke, paths] = pinConfigs(name);
      assert.equal(smoke.name, 'smoke');
      assert.equal(paths.name, 'paths');
      assert.equal(paths.workers, 2, name);
      assert.notDeepEqual(paths.overrides, smoke.overrides, `${name}: the second configuration must differ from smoke`);
    }
  });
});
