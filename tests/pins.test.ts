/**
 * The run-identity rule (README, "Run identity"): every experiment's smoke outputs equal its pins. A change that
 * moves them fails here until the experiment's version (or its base's) is bumped and `npm run pins -- --update`
 * is run in the same commit.
 */
import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { setup } from './helpers';
import { backendInfo } from '../lib/backend';
import { EXPERIMENTS } from '../lib/experiments/registry';
import {
  PINNED_BACKENDS,
  type PinFile,
  comparePins,
  computePins,
  flattenMetrics,
  pinFilePath,
  pinVersions,
  readPinFile,
  sameVersions,
  updatedPinFile,
} from '../lib/experiments/pins';

describe('pinned smoke outputs', () => {
  before(setup);
  for (const name of Object.keys(EXPERIMENTS)) {
    it(`${name}: smoke outputs equal the pins of its version`, async (t) => {
      const pins = readPinFile(pinFilePath(name));
      assert.ok(pins, `${name}: no tests/pins/${name}.json; run npm run pins -- --update ${name}`);
      assert.deepEqual(
        pins.versions,
        pinVersions(name),
        `${name}: pinned under ${JSON.stringify(pins.versions)}, the code is ${JSON.stringify(pinVersions(name))}: run npm run pins -- --update ${name}`,
      );
      const backend = backendInfo().backend;
      if (!pins.backends[backend]) {
        // CI's backends must be pinned (a check that cannot fail is no check); others are skipped, and say so.
        assert.ok(!PINNED_BACKENDS.includes(backend), `${name}: no pins for backend ${backend}: run npm run pins -- --update ${name} on it`);
        t.skip(`no pins for backend ${backend} (pinned: ${Object.keys(pins.backends).join(', ')})`);
        return;
      }
      const computed = await computePins(name);
      const diff = comparePins(pins.backends[backend], computed.metrics);
      assert.deepEqual(
        diff,
        [],
        `${name}: the smoke outputs moved. If that is intended, bump the version of what changed and run npm run pins -- --update ${name}:\n  ${diff.slice(0, 10).join('\n  ')}`,
      );
    });
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
    assert.throws(() => updatedPinFile('alignment', old, 'wasm', { a: 2 }), /numbers moved but the versions did not/);
  });

  it('refuses to pin moved numbers under unchanged versions, accepts them after a bump', () => {
    const versions = pinVersions('toy-copy');
    const old: PinFile = { experiment: 'toy-copy', profile: 'smoke', overrides: {}, versions, backends: { wasm: { a: 1 }, cpu: { a: 1.1 } } };
    assert.throws(() => updatedPinFile('toy-copy', old, 'wasm', { a: 2 }), /numbers moved but the versions did not.*Bump the version/s);
    assert.deepEqual(updatedPinFile('toy-copy', old, 'wasm', { a: 1 }).backends, { wasm: { a: 1 }, cpu: { a: 1.1 } });
    const bumped = updatedPinFile('toy-copy', { ...old, versions: { 'toy-copy': versions['toy-copy'] - 1 } }, 'wasm', { a: 2 });
    assert.deepEqual(bumped.backends, { wasm: { a: 2 } }, "a bump drops the other backends' stale pins");
    assert.deepEqual(bumped.versions, versions);
  });
});
