import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { setup, assertClose } from './helpers';
import { runExperiment, resolveExperimentConfig } from '../lib/experiments/runner';
import { toyCopy } from '../lib/experiments/toy-copy';
import { aggregate, tQuantile975 } from '../lib/runs/stats';
import { buildOnce } from '../lib/runs/lock';
import { canonicalJson, hashOf } from '../lib/runs/hash';
import { deriveSeed, Rng } from '../lib/random';
import { makeCopyTask, resolveCopyTaskConfig } from '../lib/data/copy-task';
import { parseOverrides } from '../lib/config';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../lib/model/checkpoint';
import { VocabTokenizer, VocabTokenizerJSON } from '../lib/tokenizers/vocab';
import { encodePairs, checkExamples } from '../lib/data/examples';
import { rewardsOnPairs } from '../lib/train/evaluate';
import { REWARD_MODELS } from '../lib/rewards/reward-model';

before(setup);

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `imrm-${name}-`));

describe('seeds and hashes', () => {
  it('derived seeds are stable, distinct and never 0', () => {
    assert.equal(deriveSeed(1, 'init', 'tok_embed'), deriveSeed(1, 'init', 'tok_embed'));
    assert.notEqual(deriveSeed(1, 'a'), deriveSeed(2, 'a'));
    for (let s = 0; s < 2000; s++) {
      const d = deriveSeed(s, 'x');
      assert.ok(d >= 1 && d < 2 ** 31);
    }
    assert.deepEqual([new Rng(5).next(), new Rng(5).next()], [new Rng(5).next(), new Rng(5).next()]);
  });

  it('canonical JSON sorts keys at every depth', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } }), '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
    assert.equal(hashOf({ x: 1, y: 2 }), hashOf({ y: 2, x: 1 }));
  });
});

describe('building a shared artefact once across processes', () => {
  it('builds when absent, finds it afterwards, takes over a stale lock and waits for a live one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-lock-'));
    const target = path.join(dir, 'base');
    let builds = 0;
    const build = async () => { builds++; fs.mkdirSync(target); };
    assert.equal(await buildOnce(target, build), 'built');
    assert.equal(await buildOnce(target, build), 'found');
    assert.equal(builds, 1);
    // A lock left by a dead process (pid beyond the maximum) is taken over.
    const second = path.join(dir, 'second');
    fs.writeFileSync(`${second}.lock`, '4194304999');
    assert.equal(await buildOnce(second, async () => fs.mkdirSync(second)), 'built');
    assert.ok(!fs.existsSync(`${second}.lock`));
    // A lock held by a live process (this one): wait until the artefact appears.
    const third = path.join(dir, 'third');
    fs.writeFileSync(`${third}.lock`, String(process.pid));
    let waitedFor = 0;
    setTimeout(() => { fs.mkdirSync(third); fs.rmSync(`${third}.lock`); }, 100);
    assert.equal(await buildOnce(third, async () => assert.fail('must not build'), { pollMs: 20, onWait: (pid) => { waitedFor = pid; } }), 'waited');
    assert.equal(waitedFor, process.pid);
    await assert.rejects(buildOnce(path.join(dir, 'never'), async () => undefined), /did not create/);
  });
});

describe('stats', () => {
  it('95% CI from Student t', () => {
    const a = aggregate([1, 2, 3]);
    assert.equal(a.mean, 2);
    assert.equal(a.std, 1);
    assertClose(a.ci95![1] - 2, 4.303 / Math.sqrt(3), 1e-12);
    assert.equal(aggregate([0.7]).ci95, null);
    assert.equal(tQuantile975(40), 1.96);
  });
});

describe('copy task', () => {
  it('chosen copies the prompt, rejected differs in exactly one symbol, splits are disjoint', () => {
    const c = resolveCopyTaskConfig({ alphabet: 5, length: 5, nTrain: 50, nTest: 20, longerBy: 2 });
    const s = makeCopyTask(c, 1);
    const strings = new Set<string>();
    for (const [split, examples] of Object.entries(s)) {
      for (const e of examples) {
        const x = e.prompt.slice('<bos>'.length, -1);
        assert.equal(e.chosen, x);
        assert.equal(x.length, split === 'longer' ? 7 : 5);
        assert.equal([...x].filter((ch, i) => ch !== e.rejected[i]).length, 1);
        assert.ok(!strings.has(x), 'a string appears in two splits');
        strings.add(x);
      }
    }
    assert.deepEqual(makeCopyTask(c, 1), s);
  });
});

describe('examples', () => {
  it('bad data is one clear error naming the source and the example', () => {
    const ok = { id: 'a', prompt: 'p', chosen: 'x', rejected: 'y' };
    assert.throws(() => checkExamples([ok, { ...ok, id: 'b', chosen: '' }], 'file.jsonl'), /file.jsonl: example 1 \(id "b"\): 'chosen' must be a non-empty string/);
    assert.throws(() => checkExamples([ok, ok], 'file.jsonl'), /file.jsonl: duplicate example id "a"/);
    assert.throws(() => encodePairs([{ ...ok, rejected: 3 as never }], () => [1], 'src'), /src: example 0 \(id "a"\): 'rejected'/);
  });
});

describe('experiment runs', () => {
  it('identical requests give identical summaries; a repeat re-uses the cache; --force recomputes', async () => {
    const rootA = tmp('runs-a'), rootB = tmp('runs-b');
    const a = await runExperiment(toyCopy, { profile: 'smoke', seeds: 2, root: rootA });
    const b = await runExperiment(toyCopy, { profile: 'smoke', seeds: 2, root: rootB });
    assert.deepEqual(a.summary.results, b.summary.results);
    assert.equal(a.summary.hash, b.summary.hash);
    for (const f of ['config.json', 'env.json', 'metrics.jsonl', 'summary.json', 'seed-1/im/scores/test.jsonl', 'seed-2/ex/result.json']) {
      assert.ok(fs.existsSync(path.join(a.dir, f)), `missing ${f}`);
    }
    const env = JSON.parse(fs.readFileSync(path.join(a.dir, 'env.json'), 'utf8'));
    assert.equal(env.backend, a.summary.backend);
    const acc = a.summary.results.ex.test.accuracy;
    assert.equal(acc.perSeed.length, 2);
    assert.ok(acc.ci95 && acc.ci95[0] <= acc.mean && acc.mean <= acc.ci95[1]);
    // IM-RM at step 0 in metrics.jsonl: exact ties
    const im0 = fs.readFileSync(path.join(a.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      .filter((r) => r.kind === 'eval' && r.rewardModel === 'im' && r.epoch === 0);
    assert.ok(im0.length > 0 && im0.every((r) => r.accuracy === 0.5 && r.tieRate === 1));

    // The trained reward model is saved and reproduces its saved scores.
    const saved = loadModel(path.join(a.dir, 'seed-1', 'ex', 'model'));
    assert.ok(saved.extraTensors.reward_head, 'EX-RM head not saved');
    assert.equal((saved.extra as { rewardModel: string }).rewardModel, 'ex');
    assert.ok(!fs.existsSync(path.join(a.dir, 'seed-1', 'ex', 'checkpoint')), 'optimizer checkpoint left behind');
    const tok = VocabTokenizer.fromJSON(saved.tokenizer as VocabTokenizerJSON);
    const scores = fs.readFileSync(path.join(a.dir, 'seed-1', 'ex', 'scores', 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const examples = makeCopyTask(a.config.task, 1).test;
    const pairs = encodePairs(examples, (t) => tok.encode(t), 'test');
    const r = rewardsOnPairs(REWARD_MODELS.ex, { lm: { config: saved.config, params: saved.params }, head: saved.extraTensors.reward_head as tf.Tensor2D },
      pairs, null, { batchSize: a.config.train.evalBatchSize, padId: tok.padId });
    assert.deepEqual(Array.from(r.chosen), scores.map((x) => x.chosen));
    assert.deepEqual(scores.map((x) => x.id), examples.map((e) => e.id));

    const again = await runExperiment(toyCopy, { profile: 'smoke', seeds: 3, root: rootA });
    assert.deepEqual(again.reusedSeeds, [1, 2]);
    assert.deepEqual(again.summary.results.ex.test.accuracy.perSeed.slice(0, 2), acc.perSeed);
    const forced = await runExperiment(toyCopy, { profile: 'smoke', seeds: 1, root: rootA, force: true });
    assert.deepEqual(forced.reusedSeeds, []);
    assert.deepEqual(forced.summary.results.ex.test.accuracy.perSeed, [acc.perSeed[0]]);
    fs.rmSync(rootA, { recursive: true });
    fs.rmSync(rootB, { recursive: true });
  });

  it('re-uses a run of another code version only when asked, and says so', async () => {
    const root = tmp('runs-code');
    const first = await runExperiment(toyCopy, { profile: 'smoke', seeds: 1, root });
    const older = path.join(path.dirname(first.dir), 'made-by-older-code');
    fs.renameSync(first.dir, older); // as if the library had changed since
    const reused = await runExperiment(toyCopy, { profile: 'smoke', seeds: 1, root, acceptCodeChange: true });
    assert.equal(reused.dir, older);
    assert.match(reused.summary.codeVersion ? reused.summary.codeVersionNote as string : '', /computed by library code .* the current code is/);
    assert.deepEqual(reused.summary.results, first.summary.results);
    const twoSeeds = await runExperiment(toyCopy, { profile: 'smoke', seeds: 2, root, acceptCodeChange: true });
    assert.equal(twoSeeds.dir, first.dir, 'other seeds: computed with the current code');
    assert.equal(twoSeeds.summary.codeVersionNote, undefined);
    // Seeds computed by the current code (e.g. by --jobs workers, before the parent writes the summary) win.
    fs.rmSync(path.join(first.dir, 'summary.json'));
    const own = await runExperiment(toyCopy, { profile: 'smoke', seeds: 1, root, acceptCodeChange: true });
    assert.equal(own.dir, first.dir);
    assert.deepEqual(own.reusedSeeds, [1]);
    assert.equal(own.summary.codeVersionNote, undefined);
  });

  it('config errors name the key and the source', () => {
    assert.throws(() => resolveExperimentConfig(toyCopy, 'smoke', { train: { epoch: 3 } }), /toy-copy, overrides: unknown key 'train.epoch'/);
    assert.throws(() => resolveExperimentConfig(toyCopy, 'smoke', { rewardModels: ['ex', 'dpo'] }), /unknown reward model 'dpo'/);
    assert.throws(() => resolveExperimentConfig(toyCopy, 'smoke', { task: { alphabet: 40 } }), /'alphabet' must be an integer in \[2, 26\]/);
    assert.throws(() => resolveExperimentConfig(toyCopy, 'huge' as never), /unknown profile 'huge'/);
    assert.deepEqual(parseOverrides(['train.epochs=4', 'rewardModels=["ex"]', 'model.norm=rmsnorm']),
      { train: { epochs: 4 }, rewardModels: ['ex'], model: { norm: 'rmsnorm' } });
  });

  it('the CLI prints the summary path, and one clear error for a bad key', () => {
    const root = tmp('cli');
    const cli = (args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', 'scripts/exp.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const out = cli(['toy-copy', '--profile', 'smoke', '--runs-dir', root, '--set', 'rewardModels=["ex"]']).trim();
    assert.match(out, /summary\.json$/);
    assert.ok(fs.existsSync(out));
    assert.throws(() => cli(['toy-copy', '--profile', 'smoke', '--runs-dir', root, '--set', 'train.lr=1']),
      (e: { stderr: string }) => /error: experiment toy-copy, overrides: unknown key 'train.lr'/.test(e.stderr) && e.stderr.trim().split('\n').length === 1);
    fs.rmSync(root, { recursive: true });
  });
});
