/** Readings of the dosed alignment family, from hand-made aggregates: rows, dose-response, slopes, verdicts, headlines. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { assertClose } from './helpers';
import { aggregate } from '../lib/runs/stats';
import {
  alignmentVerdicts,
  baseRows,
  cellsOf,
  doseResponse,
  familySummaryTable,
  monotoneInDose,
  parseBaseLabel,
  separatorError,
  verdictsMarkdown,
} from '../lib/experiments/alignment-report';
import { headlineExtra, headlines } from '../lib/report/headlines';
import { pageSections, resultsMarkdown } from '../lib/report/results-page';

const a = (...perSeed: number[]) => aggregate(perSeed);
const same = (v: number) => a(v, v, v);

/** One cell: hidden alignment per seed, EX-RM and IM-RM paraphrase accuracy per seed, separator prediction. */
function cell(hidden: number[], ex: number[], im: number[], sep = 0.5, unemb = 0, samePrefix = 0.5) {
  const rm = (acc: number[], sp: number) => ({
    splits: { 'test-paraphrased': { accuracy: a(...acc) }, 'test-original': { accuracy: same(1) }, 'test-same-prefix': { accuracy: same(sp) } },
    byWords: {},
  });
  return {
    alignment: { hidden: { score: a(...hidden), cosines: {} }, unembedding: { score: same(unemb), cosines: {} } },
    tokenCues: { rewardModels: { ex: rm(ex, 0.5), im: rm(im, samePrefix) }, separator: { predictedAccuracy: same(sep) } },
  };
}

/** A family of one trait and word set: label -> cell. */
const family = (cells: Record<string, ReturnType<typeof cell>>) => ({
  bases: Object.fromEntries(Object.entries(cells).map(([label, c]) => [label, { agreeableness: { paper: c } }])),
});

// Alignment rises with the dose; the EX-RM follows it exactly (accuracy = 0.5 + alignment); the IM-RM stays at 0.
const rising = family({
  'p100-s1': cell([0.4, 0.4, 0.4], [0.9, 0.9, 0.9], [0, 0, 0], 0.9, 0.3, 0.9),
  'p0-s2': cell([-0.2, -0.2, -0.2], [0.3, 0.3, 0.3], [0, 0, 0], 0.3, -0.1, 0.2),
  'absent-s1': cell([0, 0, 0], [0.5, 0.5, 0.5], [0, 0, 0], 0.5, 0, 0.5),
  'p50-s1': cell([0.1, 0.1, 0.1], [0.6, 0.6, 0.6], [0, 0.1, 0], 0.6, 0.1, 0.6),
  'p0-s1': cell([-0.3, -0.3, -0.3], [0.2, 0.2, 0.2], [0, 0, 0], 0.2, -0.1, 0.2),
  'p100-s2': cell([0.3, 0.3, 0.3], [0.8, 0.8, 0.8], [0, 0, 0], 0.8, 0.3, 0.9),
  'p50-s2': cell([0.1, 0.1, 0.1], [0.6, 0.6, 0.6], [0, 0, 0], 0.6, 0.1, 0.6),
});

describe('alignment family readings', () => {
  it('reads base labels and orders the rows: absent, then doses ascending, seeds within', () => {
    assert.deepEqual(parseBaseLabel('p25-s3'), { dose: 0.25, pretrainSeed: 3 });
    assert.deepEqual(parseBaseLabel('absent-s1'), { dose: null, pretrainSeed: 1 });
    assert.throws(() => parseBaseLabel('aligned'), /'aligned' is not a base label/);
    assert.deepEqual(
      baseRows(rising as never, 'agreeableness', 'paper').map((x) => x.base),
      ['absent-s1', 'p0-s1', 'p0-s2', 'p50-s1', 'p50-s2', 'p100-s1', 'p100-s2'],
    );
    assert.deepEqual(cellsOf(rising as never), [{ trait: 'agreeableness', wordSet: 'paper' }]);
  });

  it('the dose-response averages the replicated bases of each dose and leaves the control out', () => {
    const d = doseResponse(baseRows(rising as never, 'agreeableness', 'paper'));
    assert.deepEqual(
      d.map((x) => x.dose),
      [0, 0.5, 1],
    );
    assertClose(d[0].mean, -0.25, 1e-12);
    assertClose(d[2].mean, 0.35, 1e-12);
    assert.equal(monotoneInDose(d), 'yes');
    const point = (dose: number, mean: number) => ({ dose, mean, perBase: [mean] });
    assert.equal(monotoneInDose([point(0, 0), point(0.5, 0.3), point(1, 0.2)]), 'in part');
    assert.equal(monotoneInDose([point(0, 0), point(0.5, 0.3), point(1, -0.1)]), 'no');
    assert.equal(monotoneInDose([point(0, 0), point(0.5, 0), point(1, 0)]), 'no');
  });

  it('gives the slope with the base as the unit, the separator error and the verdicts when the numbers say so', () => {
    const v = alignmentVerdicts(rising as never, 'agreeableness', 'paper');
    assert.deepEqual(
      v.map((x) => x.holds),
      ['yes', 'yes', 'yes', 'yes', 'yes'],
    );
    // accuracy = 0.5 + alignment on every base: slope exactly 1, and every resample too.
    assert.match(v[1].evidence, /^slope 1\.000 \[1\.000, 1\.000\] over 7 bases \(21 seeds/);
    assert.equal(separatorError(baseRows(rising as never, 'agreeableness', 'paper')), 0);
    assert.match(verdictsMarkdown(v), /^\*\*The manipulation orders the bases.*: yes\.\*\* mean over bases per dose p=0: -0\.250 \(-0\.300, -0\.200\)/);
    const t = familySummaryTable(rising as never);
    assert.equal(t[0]['monotone in p'], 'yes');
    assert.equal(t[0]['EX-RM slope vs alignment'], '1.000 [1.000, 1.000]');
    assert.equal(t[0]['IM-RM highest paraphrase accuracy'], '0.033');
  });

  it('says no where the EX-RM does not follow alignment, and names the bases where the IM-RM is not below chance', () => {
    const flat = family({
      'p0-s1': cell([-0.3, -0.3, -0.3], [0.8, 0.7, 0.9], [0, 0, 0]),
      'p50-s1': cell([0, 0, 0], [0.8, 0.9, 0.7], [0.9, 1, 0.8]),
      'p100-s1': cell([0.3, 0.3, 0.3], [0.7, 0.6, 0.8], [0, 0, 0]),
    });
    const v = alignmentVerdicts(flat as never, 'agreeableness', 'paper');
    assert.equal(v[0].holds, 'yes');
    assert.equal(v[1].holds, 'no'); // base means 0.8, 0.8, 0.7 against -0.3, 0, 0.3: slope -1/6
    assert.match(v[1].evidence, /^slope -0\.167 /);
    assert.equal(v[3].holds, 'in part');
    assert.match(v[3].evidence, /Not reliably below chance: p50-s1\./);
  });

  it('headlines: per trait, word set and dose, the mean over the dose’s bases seed by seed; slopes below the table', () => {
    const summary = { experiment: 'alignment', results: rising } as never;
    const rows = headlines(summary);
    assert.equal(rows.length, 4 * 4); // absent, 0, 0.5, 1: alignment, EX, IM, IM same-prefix
    const imHalf = rows.find((r) => r.quantity === 'agreeableness, paper, p=0.5 (2 bases): IM-RM accuracy, test-paraphrased');
    assert.deepEqual(imHalf?.value.perSeed, [0, 0.05, 0]);
    assert.match(headlineExtra(summary), /\| agreeableness \| paper \| 0: -0\.250, 0\.5: 0\.100, 1: 0\.350 \| yes \| 1\.000 \[1\.000, 1\.000\] \|/);
  });
});

describe('results page', () => {
  it('keeps the section of an experiment the store has no run of from the previous page', () => {
    const previous = '# Results\n\nintro\n\n## theorem1\n\n### theorem1 · quick\n\nold numbers\n\n## alignment\n\n### alignment · quick\n\nold alignment\n';
    assert.deepEqual(Object.keys(pageSections(previous)), ['theorem1', 'alignment']);
    const opts = { versions: {}, profileConfig: () => null, generatedAt: '2026-12-05' };
    const page = resultsMarkdown([], ['theorem1', 'alignment'], { ...opts, previous });
    assert.match(page, /## theorem1\n\n### theorem1 · quick\n\nold numbers\n/);
    assert.match(page, /## alignment\n\n### alignment · quick\n\nold alignment\n/);
    assert.doesNotMatch(resultsMarkdown([], ['theorem1'], opts), /old numbers/);
  });
});
