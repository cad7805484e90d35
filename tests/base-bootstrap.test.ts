/** Slopes with the base as the unit (lib/runs/base-bootstrap.ts): closed forms, the unit, and the refusals. */
import './helpers';
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { type BasePoint, baseSlope, olsSlope, slopeVerdict } from '../lib/runs/base-bootstrap';

/** `seeds` points per base, every seed equal to the base's y. */
const points = (xs: number[], ys: number[], seeds: number): BasePoint[] =>
  xs.flatMap((x, b) => Array.from({ length: seeds }, () => ({ base: `b${b}`, x, y: ys[b] })));

describe('slopes with the base as the unit', () => {
  it('least squares in closed form', () => {
    assert.equal(olsSlope([0, 1, 2], [1, 3, 5]), 2);
    assert.equal(olsSlope([1, 2, 3, 4], [2, 1, 4, 3]), 0.6); // sxy 3 / sxx 5
    assert.ok(Number.isNaN(olsSlope([1, 1], [0, 1])));
  });

  it('an exact line gives its slope and a zero-width interval', () => {
    const s = baseSlope(points([0, 0.5, 1], [0.2, 0.45, 0.7], 3));
    assert.ok(Math.abs(s.slope - 0.5) < 1e-12);
    assert.ok(s.ci && Math.abs(s.ci[0] - 0.5) < 1e-12 && Math.abs(s.ci[1] - 0.5) < 1e-12);
    assert.equal(slopeVerdict(s), 'positive');
    assert.deepEqual(
      s.perBase.map((b) => b.seeds),
      [3, 3, 3],
    );
  });

  it('fits the bases’ seed means: seeds of one base never count as more bases', () => {
    // Four bases scattered about a rising line, no variation between seeds of a base.
    const xs = [0, 1, 2, 3];
    const ys = [0, 1.5, 0.5, 2];
    const few = baseSlope(points(xs, ys, 3));
    const many = baseSlope(points(xs, ys, 30));
    assert.equal(few.slope, many.slope);
    assert.ok(few.ci && many.ci);
    const width = (c: [number, number]) => c[1] - c[0];
    // Ten times the seeds would shrink a per-point interval about threefold; the bases' scatter stays.
    assert.ok(width(many.ci) > 0.8 * width(few.ci), `${width(few.ci)} -> ${width(many.ci)}`);
  });

  it('seed noise within bases widens the interval', () => {
    const flat = baseSlope(points([0, 1, 2], [0, 1, 2], 4));
    const noisy = baseSlope([0, 1, 2].flatMap((x, b) => [-0.5, 0.5, -0.5, 0.5].map((e) => ({ base: `b${b}`, x, y: x + e }))));
    assert.equal(noisy.slope, 1);
    assert.ok(noisy.ci && flat.ci && noisy.ci[1] - noisy.ci[0] > flat.ci[1] - flat.ci[0]);
  });

  it('says what it cannot do', () => {
    const two = baseSlope(points([0, 1], [0, 1], 5));
    assert.equal(two.ci, null);
    assert.equal(slopeVerdict(two), 'inconclusive');
    assert.throws(() => baseSlope(points([0], [1], 5)), /at least two bases, got 1/);
    assert.throws(() => baseSlope([{ base: 'crossed', x: Number.NaN, y: 1 }, ...points([0, 1], [0, 1], 1)]), /base crossed: a point is not a finite number/);
    assert.equal(slopeVerdict(baseSlope(points([0, 1, 2], [2, 1, 0], 2))), 'negative');
  });
});
