/** The paper's prepared datasets: every split against its creation log's row count, Arrow = JSONL, rewrite joins. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { SHARED_DATA } from './helpers';
import { PAPER_DATASETS, type PaperDataset, loadPaperSplit, loadUfWithRewrites, logRowCounts } from '../lib/data/paper-datasets';
import { dataFile } from '../lib/data/sources';
import { readJsonl } from '../lib/data/formats';
import { equalPairFraction } from '../lib/data/overlap';

describe("the paper's prepared datasets", () => {
  it('reads the last section of a creation log', () => {
    const log =
      'Split: train\nNumber of samples: 900\nSplit: test\nNumber of samples: 50\n-- after filtering --\nSplit: train\nNumber of samples: 84\nSplit: test\nNumber of samples: 49\n';
    assert.deepEqual(logRowCounts(log), { train: 84, test: 49 });
  });

  const expected: Record<PaperDataset, Partial<Record<'train' | 'test', number>>> = {
    ultrafeedback: { test: 200 },
    'uf-paraphrase': { train: 200, test: 200 },
    'uf-french': { train: 200, test: 200 },
    'uf-spanish': { train: 200, test: 200 },
    'rewardbench-math': { train: 34, test: 200 },
    'rewardbench-code': { train: 84, test: 200 },
    rewardmath: { train: 2000, test: 200 },
  };
  for (const [dataset, splits] of Object.entries(expected) as Array<[PaperDataset, Record<string, number>]>) {
    for (const [split, n] of Object.entries(splits)) {
      it(`${dataset}/${split}: ${n} rows as logged, Arrow and JSONL identical`, async () => {
        const arrow = await loadPaperSplit(dataset, split as 'train' | 'test');
        assert.equal(arrow.length, n);
        const logged = logRowCounts(fs.readFileSync(await dataFile(PAPER_DATASETS[dataset].log), 'utf8'));
        assert.equal(logged[split], n);
        assert.deepEqual(await loadPaperSplit(dataset, split as 'train' | 'test', { format: 'jsonl' }), arrow);
      });
    }
  }

  it('joins the UltraFeedback test pairs with their paraphrase, French and Spanish rewrites (as the published join)', async () => {
    const joined = await loadUfWithRewrites('test', await loadPaperSplit('ultrafeedback', 'test'));
    assert.equal(joined.length, 200);
    const published = readJsonl(`${SHARED_DATA}/exrm-vs-imrm/uf_token_shift_test.jsonl`);
    joined.forEach((j, i) => {
      const p = published[i] as Record<string, string>;
      assert.deepEqual(
        [j.prompt, j.chosen, j.rejected, j.paraphrase.chosen, j.french.rejected, j.spanish.chosen],
        [p.prompt, p.chosen, p.rejected, p.chosen_paraphrase, p.rejected_fr, p.chosen_es],
      );
    });
  });

  it('the 2,000-pair UltraFeedback train split is not in the offline mirror: one clear error', async () => {
    await assert.rejects(
      loadPaperSplit('ultrafeedback', 'train', { cacheDir: fs.mkdtempSync('/tmp/imrm-c-'), download: false }),
      /not available locally.*download https:\/\/raw\.githubusercontent\.com/,
    );
  });
});

describe('token-overlap statistic', () => {
  it('is the fraction of equal position pairs (hand-computed)', () => {
    // a = [1, 1, 2], b = [1, 3]: pairs equal: (a0, b0), (a1, b0) -> 2 of 6
    assert.equal(equalPairFraction([1, 1, 2], [1, 3]), 2 / 6);
    assert.equal(equalPairFraction([1, 2, 3], [1, 2, 3]), 3 / 9);
    assert.equal(equalPairFraction([], [1]), 0);
  });
});
