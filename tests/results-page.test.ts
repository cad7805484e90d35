/** RESULTS.md is generated from the run store: headline tables, overrides, stale versions, provenance. */
import './helpers'; // guards the default run store
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aggregate } from '../lib/runs/stats';
import { commits, configDifferences, readRunStore, resultsMarkdown } from '../lib/report/results-page';

const summary = (over: Record<string, unknown>) => ({
  experiment: 'toy-copy',
  version: 1,
  hash: 'abc',
  profile: 'quick',
  seeds: [1, 2],
  backend: 'wasm',
  createdAt: '2026-11-30T10:00:00.000Z',
  seconds: 10,
  seedSeconds: [60, 61],
  provenance: [
    { gitCommit: '1234567890abcdef', gitDirty: false },
    { gitCommit: '1234567890abcdef', gitDirty: true },
  ],
  config: { train: { epochs: 8, lr: 1 } },
  results: {
    ex: { test: { accuracy: aggregate([0.5, 0.7]) }, longer: { accuracy: aggregate([0.4, 0.6]) } },
    im: { test: { accuracy: aggregate([1, 1]) }, longer: { accuracy: aggregate([0, 0]) } },
  },
  ...over,
});

describe('RESULTS.md generator', () => {
  it('lists each run with its headline table, overrides, commits and a stale-version warning; smoke runs skipped', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-results-'));
    const put = (id: string, s: unknown) => {
      fs.mkdirSync(path.join(root, id), { recursive: true });
      fs.writeFileSync(path.join(root, id, 'summary.json'), JSON.stringify(s));
    };
    put('toy-copy/aaa', summary({}));
    put('toy-copy/bbb', summary({ profile: 'smoke', hash: 'bbb' }));
    put('toy-copy/ccc', summary({ version: 0, profile: 'paper', createdAt: '2026-11-29T10:00:00.000Z' }));
    put('toy-copy/ddd', summary({ config: { train: { epochs: 5, lr: 1 } }, createdAt: '2026-11-28T10:00:00.000Z' }));
    fs.mkdirSync(path.join(root, 'toy-copy', 'unfinished'));
    const runs = readRunStore(root);
    assert.equal(runs.length, 4);
    const page = resultsMarkdown(runs, ['toy-copy', 'theorem1'], {
      versions: { 'toy-copy': 1 },
      profileConfig: () => ({ train: { epochs: 5, lr: 1 } }),
      generatedAt: '2026-11-30',
    });
    assert.match(page, /^# Results\n/);
    assert.ok(!page.includes('toy-copy/bbb'), 'smoke runs are left out');
    assert.ok(page.indexOf('toy-copy/ccc') < page.indexOf('toy-copy/ddd'), 'paper profile first');
    assert.ok(page.indexOf('toy-copy/ddd') < page.indexOf('toy-copy/aaa'), "the profile's own config before overrides, though older");
    assert.match(page, /### toy-copy · quick with `train.epochs=8`/);
    assert.match(page, /2 seed\(s\) · backend wasm · run `toy-copy\/aaa` · commit 12345678 \(dirty\) · computed 2026-11-30 · 1m00s, 1m01s per seed\n/);
    assert.match(page, /\| EX-RM accuracy, test \| 0\.600 \[-0\.671, 1\.871\] \| \(0\.5, 0\.7\) \| — \|/);
    assert.match(page, /version 0; the code is at version 1: recompute before citing/);
    assert.ok(!page.includes('## theorem1'), 'no section without runs');
    // Every table row has the header's four columns (renders on a Markdown viewer).
    for (const line of page.split('\n').filter((l) => l.startsWith('|'))) assert.equal(line.split('|').length, 6, line);
    fs.rmSync(root, { recursive: true });
  });

  it('an older run with another metric layout, or a damaged summary, is marked, never crashing the page', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-results-'));
    const put = (id: string, text: string) => {
      fs.mkdirSync(path.join(root, id), { recursive: true });
      fs.writeFileSync(path.join(root, id, 'summary.json'), text);
    };
    // A token-cues summary from before its metrics were grouped by reward model (the layout headlines read now).
    put('token-cues/old', JSON.stringify(summary({ experiment: 'token-cues', version: 0, results: { accuracy: aggregate([0.5, 0.6]) } })));
    put('toy-copy/torn', '{"experiment": "toy-co');
    const runs = readRunStore(root);
    assert.deepEqual(
      runs.map((r) => r.id),
      ['token-cues/old'],
    );
    const page = resultsMarkdown(runs, ['token-cues'], { versions: { 'token-cues': 2 }, profileConfig: () => ({}), generatedAt: '2026-12-04' });
    assert.match(page, /run `token-cues\/old` · version 0 · older metric layout \(.+\): \*\*older version: recompute before citing\*\*/);
    fs.rmSync(root, { recursive: true });
  });

  it('shows overrides as key=value leaves and marks dirty commits', () => {
    assert.deepEqual(configDifferences({ a: { b: 1, c: [1, 2] }, d: 'x' }, { a: { b: 1, c: [1] }, d: 'y' }), ['a.c=[1,2]', 'd="x"']);
    assert.equal(
      commits({
        provenance: [
          { gitCommit: 'aaaaaaaa11', gitDirty: false },
          { gitCommit: 'bbbbbbbb22', gitDirty: true },
        ] as never,
      }),
      'aaaaaaaa, bbbbbbbb (dirty)',
    );
  });
});
