/** The token-cue experiment's data, controls and breakdowns, and its smoke run end to end. */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertClose, setup } from './helpers';
import { loadPersona } from '../lib/data/persona';
import { DEFAULT_TOKEN_CUE_DATA, TOKEN_CUES, buildTokenCueData, cueIdParts, tokenOverlap } from '../lib/data/token-cues';
import { resolveExperimentConfig } from '../lib/experiments/runner';
import { wordBreakdown } from '../lib/experiments/token-cues-analysis';
import { runExperiment } from '../lib/experiments/runner';
import { TOKEN_CUE_SPLITS, tokenCues } from '../lib/experiments/token-cues';
import { separatorFit, tokenCuesConclusion, unseenWordShare } from '../lib/experiments/token-cues-report';
import { aggregate } from '../lib/runs/stats';
import { Progress } from '../lib/runs/progress';
import * as tf from '@tensorflow/tfjs';
import { getExperiment } from '../lib/experiments/registry';

describe('token-cue data', () => {
  it('builds the paper splits from agreeable statements, seeded, with disjoint train and test prompts', async () => {
    const statements = await loadPersona('agreeableness');
    const d = buildTokenCueData(statements, { ...DEFAULT_TOKEN_CUE_DATA, nTrain: 80, nTest: 40 }, 1);
    assert.equal(d.train.length, 80);
    const sizes = Object.fromEntries(Object.entries(d.evalSplits).map(([k, v]) => [k, v.length]));
    assert.deepEqual(sizes, { 'train-original': 80, 'test-original': 40, 'train-paraphrased': 320, 'test-paraphrased': 160, 'test-same-prefix': 320 });
    assert.equal(new Set([...d.statements.train, ...d.statements.test]).size, 120);
    const yes = new Set(statements.filter((s) => s.matchingAnswer === 'Yes').map((s) => s.statement));
    assert.ok([...d.statements.train, ...d.statements.test].every((s) => yes.has(s)));
    for (const p of d.train) {
      assert.ok(TOKEN_CUES.trainChosenPrefixes.some((x) => p.chosen.startsWith(x)) && TOKEN_CUES.trainChosenWords.some((w) => p.chosen.endsWith(w)));
      assert.ok(TOKEN_CUES.trainRejectedPrefixes.some((x) => p.rejected.startsWith(x)) && TOKEN_CUES.trainRejectedWords.some((w) => p.rejected.endsWith(w)));
      assert.ok(p.prompt.endsWith('\n'));
    }
    assert.deepEqual(buildTokenCueData(statements, { ...DEFAULT_TOKEN_CUE_DATA, nTrain: 80, nTest: 40 }, 1), d);
    assert.notDeepEqual(buildTokenCueData(statements, { ...DEFAULT_TOKEN_CUE_DATA, nTrain: 80, nTest: 40 }, 2).statements, d.statements);
  });

  it('pairs every paraphrase word combination; same-prefix pairs differ only in the answer word', async () => {
    const d = buildTokenCueData(await loadPersona('agreeableness'), { ...DEFAULT_TOKEN_CUE_DATA, nTrain: 2, nTest: 1 }, 3);
    const para = d.evalSplits['test-paraphrased'];
    assert.deepEqual(
      para.map((p) => [p.chosen, p.rejected]),
      [
        ['My response would be certainly', 'I lean toward not really'],
        ['My response would be certainly', 'I lean toward nope'],
        ['My response would be absolutely', 'I lean toward not really'],
        ['My response would be absolutely', 'I lean toward nope'],
      ],
    );
    assert.deepEqual(cueIdParts(para[1].id), { chosenWord: 'certainly', rejectedWord: 'nope', prefix: null });
    for (const p of d.evalSplits['test-same-prefix']) {
      const { chosenWord, rejectedWord, prefix } = cueIdParts(p.id);
      assert.equal(p.chosen, `${prefix} ${chosenWord}`);
      assert.equal(p.rejected, `${prefix} ${rejectedWord}`);
    }
  });

  it("takes the trait, words and prefixes from the config; the defaults are the paper's", async () => {
    assert.equal(DEFAULT_TOKEN_CUE_DATA.trait, 'agreeableness');
    assert.deepEqual(DEFAULT_TOKEN_CUE_DATA.paraphraseChosenWords, ['certainly', 'absolutely']);
    const c = {
      ...DEFAULT_TOKEN_CUE_DATA,
      trait: 'openness',
      nTrain: 3,
      nTest: 2,
      paraphraseChosenWords: ['indeed'],
      paraphraseRejectedWords: ['nah'],
      paraphraseChosenPrefix: 'Well, ',
      paraphraseRejectedPrefix: 'Hmm, ',
    };
    const openness = await loadPersona('openness');
    const d = buildTokenCueData(openness, c, 1);
    const yes = new Set(openness.filter((s) => s.matchingAnswer === 'Yes').map((s) => s.statement));
    assert.ok([...d.statements.train, ...d.statements.test].every((s) => yes.has(s)));
    assert.deepEqual(
      d.evalSplits['test-paraphrased'].map((p) => [p.chosen, p.rejected]),
      [
        ['Well, indeed', 'Hmm, nah'],
        ['Well, indeed', 'Hmm, nah'],
      ],
    );
    const agreeableness = await loadPersona('agreeableness');
    assert.throws(() => buildTokenCueData(agreeableness, c, 1), /not all of trait 'openness'/);
  });

  it('a bad trait or word list is one clear error naming the key', () => {
    const bad = (data: object) => () => resolveExperimentConfig(tokenCues, 'smoke', { data });
    assert.throws(bad({ trait: 'kindness' }), /token-cues: key 'data.trait' must be one of the persona files/);
    assert.throws(bad({ paraphraseChosenWords: [] }), /key 'data.paraphraseChosenWords' must be a non-empty list/);
    assert.throws(bad({ trainRejectedWords: ['no', 'a|b'] }), /key 'data.trainRejectedWords' must be a non-empty list of distinct one-line words without '\|'/);
    assert.throws(bad({ paraphraseRejectedWords: ['no'] }), /key 'data.paraphraseRejectedWords' shares words with data.trainRejectedWords/);
    assert.throws(bad({ paraphraseChosenPrefix: 3 }), /key 'data.paraphraseChosenPrefix' must be string/);
    assert.throws(bad({ trainChosenPrefixes: 'In my view ' }), /key 'data.trainChosenPrefixes' must be array/);
  });

  it('more prompts than the trait has is an error before anything is trained', async () => {
    const c = resolveExperimentConfig(tokenCues, 'smoke', { data: { nTrain: 600 } });
    await assert.rejects(Promise.resolve(tokenCues.dataIdentity(c)), /key 'data.nTrain' nTrain \+ nTest must be at most the \d+ statements of agreeableness/);
  });

  it('measures token overlap with the training responses (character tokenizer: hand-checked)', () => {
    const chars = [...new Set([...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,:'])];
    const o = tokenOverlap(
      (t) => [...t].map((c) => chars.indexOf(c)),
      (i) => chars[i],
    );
    const nope = o.find((x) => x.response === 'I lean toward nope') as (typeof o)[number];
    assert.equal(nope.sharedPrefixTokens, 1); // "I" also begins "In my view, the answer is ..."
    assert.equal(nope.fractionSeen, 1); // every character occurs somewhere in the training responses
    const mine = o.find((x) => x.response === 'My response would be certainly') as (typeof o)[number];
    assert.equal(mine.sharedPrefixTokens, 3); // "My " is shared with "My judgement: "
    assert.equal(mine.sharedWith, 'My judgement: no');
  });

  it('breaks accuracy down by word combination and averages the reward of each word', () => {
    const s = (id: string, chosen: number, rejected: number) => ({
      id,
      chosen,
      rejected,
      lenChosen: 1,
      lenRejected: 1,
      correct: chosen > rejected ? 1 : chosen === rejected ? 0.5 : 0,
    });
    const b = wordBreakdown([s('t-0|certainly|nope', 1, 0), s('t-1|certainly|nope', 0, 0), s('t-0|absolutely|nope', -1, 2)]);
    assert.deepEqual(b.combos, { 'certainly|nope': 0.75, 'absolutely|nope': 0 });
    assert.deepEqual(b.wordReward, { certainly: 0.5, nope: 2 / 3, absolutely: -1 });
  });
});

describe('token-cues experiment (smoke)', () => {
  it("is also found as 'persona' (the issue's and the paper's name), writing to the same runs", () => {
    assert.equal(getExperiment('persona'), tokenCues);
    assert.throws(() => getExperiment('personas'), /unknown experiment 'personas'.*aliases: persona = token-cues/);
  });

  before(setup);
  it('trains both reward models, reports every split, word breakdowns and the separator analysis', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-runs-'));
    const run = await runExperiment(tokenCues, { profile: 'smoke', seeds: 1, root });
    const r = run.summary.results;
    for (const rm of ['ex', 'im']) {
      for (const split of TOKEN_CUE_SPLITS) {
        // The summary's accuracy is that of the saved per-example scores.
        const scores = fs
          .readFileSync(path.join(run.dir, 'seed-1', rm, 'scores', `${split}.jsonl`), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { correct: number });
        assertClose(r.rewardModels[rm].splits[split].accuracy.mean, scores.reduce((a, x) => a + x.correct, 0) / scores.length, 1e-12, `${rm} ${split}`);
      }
      // Every word combination has as many pairs, so the split's accuracy is the mean over combinations.
      const combos = Object.values(r.rewardModels[rm].byWords['test-paraphrased'].accuracy).map((a) => a.mean);
      assert.equal(combos.length, 4);
      assertClose(combos.reduce((a, b) => a + b, 0) / 4, r.rewardModels[rm].splits['test-paraphrased'].accuracy.mean, 1e-12, `${rm} by words`);
      assert.deepEqual(Object.keys(r.rewardModels[rm].byWords['test-paraphrased'].reward).sort(), ['absolutely', 'certainly', 'nope', 'not really']);
    }
    const sep = r.separator;
    assert.equal((sep.predictedAccuracy.mean * 16) % 1, 0, 'a share of the 16 test-paraphrased pairs');
    assert.ok(r.eq5 && Number.isFinite(r.eq5.chosen.predictedChange.mean));
    assertClose(r.eq5.chosen.predictedChange.mean, r.eq5.chosen.tokenMatch.mean + r.eq5.chosen.tokenMismatch.mean, 1e-9, 'Eq. 5 total = match + mismatch');
    const base = JSON.parse(fs.readFileSync(path.join(run.dir, 'seed-1', 'base.json'), 'utf8'));
    assert.equal(base.spec, 'pretrained:smoke');
    assert.match(base.weightsSha256, /^[0-9a-f]{64}$/);
  });
});

describe('token-cue readings (hand-made aggregates)', () => {
  const agg = (perSeed: number[]) => aggregate(perSeed);
  it('splits the IM-RM shortfall between the unseen word and the shared prefix', () => {
    assert.equal(unseenWordShare(0, 0.25), 0.5); // (0.5 - 0.25) / (0.5 - 0)
    assert.equal(unseenWordShare(0.1, 0.5), 0); // the same-prefix control at chance: all from the prefix
    assert.equal(unseenWordShare(0.1, 0), 1); // clipped
    assert.equal(unseenWordShare(0.6, 0.2), null); // not below chance: nothing to split
  });

  it('fits the separator prediction across (base, seed) points', () => {
    const pts = [
      { base: 'a', seed: 1, predicted: 0.2, ex: 0.3, im: 0 },
      { base: 'a', seed: 2, predicted: 0.6, ex: 0.7, im: 0 },
      { base: 'b', seed: 1, predicted: 1, ex: 1.1, im: 0.5 },
    ];
    const f = separatorFit(pts);
    assertClose(f.pearsonEx, 1, 1e-12);
    assertClose(f.gapEx, 0.1, 1e-12);
    assert.equal(f.n, 3);
  });

  it('states the conclusion from the numbers', () => {
    const splits = (acc: Record<string, number[]>) => Object.fromEntries(TOKEN_CUE_SPLITS.map((sp) => [sp, { accuracy: agg(acc[sp] ?? [1, 1, 1]) }])) as never;
    const byWords = (acc: Record<string, number[]>) =>
      ({ 'test-paraphrased': { accuracy: Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, agg(v)])), reward: {} } }) as never;
    const r = {
      rewardModels: {
        ex: { splits: splits({ 'test-paraphrased': [1, 0.5, 1] }), byWords: byWords({ 'certainly|nope': [1, 0, 1], 'absolutely|nope': [1, 0, 1] }) },
        im: { splits: splits({ 'test-paraphrased': [0, 0, 0], 'test-same-prefix': [0.25, 0.25, 0.25] }), byWords: byWords({}) },
      },
      separator: {} as never,
    };
    const text = tokenCuesConclusion('stories260K', r as never).join('\n');
    assert.match(text, /are fitted by both reward models/);
    assert.match(text, /the IM-RM 0\.000 \[0\.000, 0\.000\] — \*\*below chance\*\*/);
    assert.match(text, /EX-RM is \*\*not reliably above chance\*\*/);
    assert.match(text, /explains 50% of its shortfall/);
  });
});

describe('token-cue seeds in one process', () => {
  before(setup);
  it('release their base model: repeating a seed leaves the tensor count flat', async () => {
    const c = resolveExperimentConfig(tokenCues, 'smoke');
    const run = async () =>
      tokenCues.runSeed(c, {
        seed: 1,
        dir: fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-tc-')),
        runsRoot: os.tmpdir(),
        progress: new Progress(1000),
        force: false,
      });
    await run(); // warms the shape-constant caches (causal masks per length)
    const before = tf.memory().numTensors;
    await run();
    assert.equal(tf.memory().numTensors, before, 'a seed left tensors behind');
  });
});
