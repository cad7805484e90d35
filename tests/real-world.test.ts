/** The real-world experiment: chat formatting and truncation, baselines, bootstrap, data splits, and a smoke run. */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertClose, setup } from './helpers';
import { chatPrompt, chatResponse, formatChatPairs } from '../lib/data/chat-format';
import { BowRewardModel, words } from '../lib/baselines/bow';
import { simpleRewards } from '../lib/baselines/simple';
import { pairedBootstrap } from '../lib/runs/bootstrap';
import { EVAL_SPLITS, SPLIT_GROUPS, loadRealWorldData } from '../lib/data/real-world';
import { compareRewardModels, groupAverages, shorterPreference } from '../lib/experiments/real-world-analysis';
import { realWorldConclusion } from '../lib/experiments/real-world-report';
import { formatCi } from '../lib/report/format';
import { runExperiment } from '../lib/experiments/runner';
import { realWorld } from '../lib/experiments/real-world';

// One token per character: lengths are easy to count by hand.
const charTok = { encode: (t: string) => [...t].map((ch) => ch.charCodeAt(0)), startId: 1, eosId: 2 };

describe('chat formatting and truncation', () => {
  it('formats with the template, BOS and EOS, and drops nothing when the pair fits', () => {
    const { pairs, stats } = formatChatPairs(
      [{ id: 'a', prompt: 'hi', chosen: 'yes', rejected: 'no' }],
      charTok,
      { maxLength: 64, maxPromptTokens: 32 },
      'test',
    );
    assert.deepEqual(pairs[0].prompt, [1, ...charTok.encode(chatPrompt('hi'))]);
    assert.deepEqual(pairs[0].chosen, [...charTok.encode(chatResponse('yes')), 2]);
    assert.equal(stats.pairsTruncated, 0);
    assert.equal(stats.tokensBefore, 1 + 'User: hi\n\nAssistant:'.length + 5 + 4);
  });

  it('keeps the prompt end (and BOS) and the response start, counting every dropped token', () => {
    // Prompt: 1 + 26 + 2 = 29 tokens -> BOS + last 9; room for responses: 20 - 10 = 10 tokens.
    const prompt = 'abcdefghijklmnopqrstuvwxyz';
    const { pairs, stats } = formatChatPairs(
      [{ id: 'a', prompt, chosen: 'x'.repeat(30), rejected: 'x'.repeat(3) }],
      charTok,
      { maxLength: 20, maxPromptTokens: 10 },
      'test',
    );
    const full = [1, ...charTok.encode(chatPrompt(prompt))];
    assert.deepEqual(pairs[0].prompt, [1, ...full.slice(full.length - 9)]);
    assert.equal(pairs[0].chosen.length, 10);
    assert.deepEqual(pairs[0].rejected, [...charTok.encode(' xxx'), 2]);
    assert.equal(stats.promptTokensDropped, full.length - 10);
    assert.equal(stats.responseTokensDropped, 32 - 10);
    assert.equal(stats.pairsTruncated, 1);
    assert.equal(stats.identicalAfterTruncation, 0);
  });

  it('counts pairs whose responses become identical after truncation', () => {
    const { stats } = formatChatPairs(
      [{ id: 'a', prompt: 'p', chosen: 'same start A', rejected: 'same start B' }],
      charTok,
      { maxLength: 20, maxPromptTokens: 12 },
      'test',
    );
    assert.equal(stats.identicalAfterTruncation, 1);
  });

  it('rejects a prompt budget outside [1, maxLength) naming the split', () => {
    assert.throws(() => formatChatPairs([], charTok, { maxLength: 8, maxPromptTokens: 8 }, 'split X'), /split X: maxPromptTokens/);
  });
});

describe('baselines', () => {
  it('length rules prefer the longer / shorter response; random is seeded', () => {
    assert.deepEqual(simpleRewards('longer', ['ab', 'abcd'], 1), [2, 4]);
    assert.deepEqual(simpleRewards('shorter', ['ab', 'abcd'], 1), [-2, -4]);
    assert.deepEqual(simpleRewards('random', ['a', 'b', 'c'], 7), simpleRewards('random', ['a', 'b', 'c'], 7));
    assert.notDeepEqual(simpleRewards('random', ['a', 'b', 'c'], 7), simpleRewards('random', ['a', 'b', 'c'], 8));
  });

  it('splits words in any script, lower-cased', () => {
    assert.deepEqual(words('Él dijo: ¡Sí, 42 veces!'), ['él', 'dijo', 'sí', '42', 'veces']);
  });

  it('the bag-of-words model learns which words mark the chosen response, and its loss falls', () => {
    const pairs = Array.from({ length: 20 }, (_, i) => ({ chosen: `answer ${i} is good`, rejected: `answer ${i} is bad` }));
    const m = BowRewardModel.fit(pairs, { minCount: 2, iterations: 200 });
    assert.ok(m.reward('a good one') > m.reward('a bad one'));
    assert.ok(m.losses[m.losses.length - 1] < m.losses[0]);
    assertClose(m.losses[0], Math.log(2), 1e-9, 'initial loss with w = 0');
    assert.equal(m.reward('unseen words only'), 0);
  });
});

describe('paired bootstrap', () => {
  it('gives the exact difference and a degenerate interval when every example agrees', () => {
    const r = pairedBootstrap([[1, 1, 1, 1]], [[0, 0, 0, 0]], 200, 3);
    assert.equal(r.difference, 1);
    assert.deepEqual(r.ci95, [1, 1]);
    assert.equal(r.fractionNotPositive, 0);
  });

  it('averages seeds inside the resample and brackets the difference', () => {
    const a = [
      [1, 0, 1, 1, 0.5, 1],
      [1, 1, 1, 0, 0.5, 1],
    ];
    const b = [
      [0, 0, 1, 0, 0.5, 1],
      [0, 1, 0, 0, 0.5, 0],
    ];
    const r = pairedBootstrap(a, b, 2000, 5);
    assertClose(r.difference, (2 + 3) / 12, 1e-12, 'difference');
    assert.ok(r.ci95[0] <= r.difference && r.difference <= r.ci95[1]);
    assert.deepEqual(pairedBootstrap(a, b, 2000, 5), r);
    assert.throws(() => pairedBootstrap(a, [b[0]], 10, 1), /same number/);
  });

  it('averages metrics per evaluation type over its splits', () => {
    const g = {
      ultrafeedback: { accuracy: 0.8 },
      'uf-paraphrase': { accuracy: 0.6 },
      'uf-french': { accuracy: 0.5 },
      'uf-spanish': { accuracy: 0.4 },
      'rewardbench-math': { accuracy: 0.3 },
      'rewardbench-code': { accuracy: 0.5 },
      rewardmath: { accuracy: 0.7 },
    };
    const avg = groupAverages(g, SPLIT_GROUPS.ultrafeedback);
    assertClose(avg['in-distribution']?.accuracy as number, 0.8);
    assertClose(avg['token-level shift']?.accuracy as number, 0.5);
    assertClose(avg['domain shift']?.accuracy as number, 0.5);
    assert.equal(groupAverages(g, SPLIT_GROUPS.rewardmath)['token-level shift'], undefined);
  });
});

describe('length preference of a reward model', () => {
  it('is the share of unequal-length pairs where the shorter response scores higher (ties ½), hand-computed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-short-'));
    const scores = path.join(dir, 'seed-1', 'ultrafeedback', 'im', 'scores');
    fs.mkdirSync(scores, { recursive: true });
    // Pairs: chosen shorter & preferred (1), chosen longer & preferred (0), equal lengths (skipped), tie (0.5).
    const rows = [
      { chosen: 1, rejected: 0 },
      { chosen: 1, rejected: 0 },
      { chosen: 0, rejected: 1 },
      { chosen: 2, rejected: 2 },
    ];
    fs.writeFileSync(path.join(scores, 'rewardbench-math.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const lengths = { chosenTokens: [3, 9, 5, 4], rejectedTokens: [7, 2, 5, 8] };
    assertClose(shorterPreference(dir, [1], 'ultrafeedback', 'im', 'rewardbench-math', lengths), (1 + 0 + 0.5) / 3);
  });
});

describe('real-world data', () => {
  it('loads every split at its logged size; rewrites are aligned with their originals', async () => {
    const d = await loadRealWorldData({ nTrain: 0, nEval: 0, ultrafeedbackTrainFile: '' });
    assert.equal(d.train.ultrafeedback.length, 200);
    assert.equal(d.train.rewardmath.length, 2000);
    for (const s of EVAL_SPLITS) assert.equal(d.eval[s].length, 200, s);
    d.eval['uf-french'].forEach((r, i) => {
      assert.equal(r.origChosen, d.rewriteOriginals[i].chosen);
      assert.equal(r.origRejected, d.rewriteOriginals[i].rejected);
    });
    const sub = await loadRealWorldData({ nTrain: 10, nEval: 5, ultrafeedbackTrainFile: '' });
    assert.deepEqual(sub.eval.rewardmath, d.eval.rewardmath.slice(0, 5));
    assert.deepEqual(sub.train.rewardmath, d.train.rewardmath.slice(0, 10));
  });

  it('reads a user-supplied UltraFeedback train file and names a bad line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-uf-'));
    const good = path.join(dir, 'uf.jsonl');
    fs.writeFileSync(good, `${JSON.stringify({ prompt: 'p', chosen: 'c', rejected: 'r' })}\n`);
    assert.equal((await loadRealWorldData({ nTrain: 0, nEval: 1, ultrafeedbackTrainFile: good })).train.ultrafeedback.length, 1);
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, `${JSON.stringify({ prompt: 'p', chosen: 3 })}\n`);
    await assert.rejects(loadRealWorldData({ nTrain: 0, nEval: 1, ultrafeedbackTrainFile: bad }), /bad\.jsonl:1/);
  });
});

describe('real-world experiment (smoke)', () => {
  before(setup);
  it('trains EX-RM and IM-RM on both training sets, evaluates every split next to the baselines, compares them', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-runs-'));
    const run = await runExperiment(realWorld, { profile: 'smoke', seeds: 2, root });
    const r = run.summary.results;
    const models = [
      r.trained.ultrafeedback.ex,
      r.trained.ultrafeedback.im,
      r.trained.rewardmath.ex,
      r.trained.rewardmath.im,
      r.trained.ultrafeedback.bow,
      r.baselines.random,
      r.baselines.longer,
    ];
    for (const m of models) {
      for (const s of EVAL_SPLITS) {
        const a = m.splits[s].accuracy.mean;
        assert.ok(a >= 0 && a <= 1, `${s} ${a}`);
      }
    }
    // Each evaluation type is the mean of its splits (per seed, so also over seeds).
    const tokenShift = SPLIT_GROUPS.ultrafeedback['token-level shift'].map((s) => r.trained.ultrafeedback.ex.splits[s].accuracy.mean);
    assertClose(
      r.trained.ultrafeedback.ex.byType['token-level shift']?.accuracy.mean as number,
      tokenShift.reduce((a, b) => a + b, 0) / tokenShift.length,
      1e-12,
    );
    assert.equal(r.trained.rewardmath.ex.byType['token-level shift'], undefined, 'RewardMATH-trained models have no token-level shift');
    assert.ok(r.data.truncation.ultrafeedback.pairsTruncated.mean > 0, 'the smoke context truncates UltraFeedback');
    // Length rules are exact complements on pairs of unequal length.
    assertClose(r.baselines.longer.splits['rewardbench-math'].accuracy.mean + r.baselines.shorter.splits['rewardbench-math'].accuracy.mean, 1);
    const cmp = compareRewardModels(run.dir, [1, 2], 'ultrafeedback', 'ex', 'im', 200);
    assert.equal(cmp.length, EVAL_SPLITS.length + 3);
    const direct = r.trained.ultrafeedback.ex.splits.ultrafeedback.accuracy.mean - r.trained.ultrafeedback.im.splits.ultrafeedback.accuracy.mean;
    assertClose(cmp[0].difference, direct, 1e-9, 'bootstrap difference = accuracy difference');
    // The computed conclusion states the run's numbers and the paired verdict of each evaluation type.
    const text = realWorldConclusion({
      results: r,
      trainSets: ['ultrafeedback', 'rewardmath'],
      comparisons: { ultrafeedback: cmp },
      shorterShares: [{ trainSet: 'ultrafeedback', rm: 'im', share: 0.2 }],
      setup: { base: 'pretrained:smoke', maxLength: 64, nTrain: 8, epochs: 1 },
    }).join('\n');
    const c = cmp.find((x) => x.split === 'avg in-distribution') as (typeof cmp)[number];
    const verdict = c.ci95[0] > 0 ? 'EX-RM ahead' : c.ci95[1] < 0 ? 'IM-RM ahead' : 'no reliable difference';
    assert.ok(text.includes(`in-distribution: EX ${formatCi(r.trained.ultrafeedback.ex.byType['in-distribution']?.accuracy as never)}`), text);
    assert.ok(text.includes(`(${verdict}, paired EX − IM ${c.difference.toFixed(3)}`), text);
    assert.match(text, /the IM-RM prefers the \*longer\* response/);
    // The IM-RM reference log-probs of the evaluation splits are computed once for all seeds.
    assert.ok(fs.existsSync(path.join(run.dir, 'reference-sum-ultrafeedback.json')));
  });
});
