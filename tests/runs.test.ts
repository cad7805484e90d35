import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { setup, assertClose } from './helpers';
import { explainBackendError } from '../lib/backend';
import { runExperiment, resolveExperimentConfig, resolveRun, shardSeeds, summarize } from '../lib/experiments/runner';
import { formatCi, rewardModelLabel } from '../lib/report/format';
import { toyCopyConclusion } from '../lib/experiments/toy-copy-report';
import { toyCopy } from '../lib/experiments/toy-copy';
import { aggregate, tQuantile975 } from '../lib/runs/stats';
import { formatSeconds, Progress, type ProgressState, terminalRenderer } from '../lib/runs/progress';
import { buildOnce, isStale, tryLock } from '../lib/runs/lock';
import { canonicalJson, hashOf } from '../lib/runs/hash';
import { deriveSeed, Rng } from '../lib/random';
import { makeCopyTask, resolveCopyTaskConfig } from '../lib/data/copy-task';
import { parseOverrides } from '../lib/config';
import type * as tf from '@tensorflow/tfjs';
import { loadModel } from '../lib/model/checkpoint';
import { VocabTokenizer, type VocabTokenizerJSON } from '../lib/tokenizers/vocab';
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

  it('refuses what JSON would blur, so different configs never share an identity', () => {
    // JSON.stringify turns each of these into {} or null or drops it: {a: new Map([[1, 2]])} and {a: new Map()} would collide.
    assert.throws(() => canonicalJson({ a: new Map([[1, 2]]) }), /the value\.a is a Map/);
    assert.throws(() => canonicalJson({ s: new Set([1]) }), /the value\.s is a Set/);
    assert.throws(() => canonicalJson({ when: new Date(0) }), /the value\.when is a Date/);
    assert.throws(() => canonicalJson({ ids: new Int32Array(2) }), /the value\.ids is a Int32Array/);
    assert.throws(() => canonicalJson({ xs: [1, undefined] }), /the value\.xs\[1\] is undefined/);
    assert.throws(() => canonicalJson({ f: () => 1 }), /the value\.f is a function/);
    assert.throws(() => canonicalJson({ x: Number.NaN }), /non-finite/);
    assert.equal(canonicalJson({ a: 1, gone: undefined }), '{"a":1}', 'an undefined key is left out, as in JSON');
    assert.equal(canonicalJson(Object.assign(Object.create(null), { b: 2 })), '{"b":2}');
  });
});

describe('building a shared artefact once across processes and hosts', () => {
  const holder = (host: string, pid: number) => JSON.stringify({ host, pid, token: `t-${host}-${pid}` });
  it('builds when absent, finds it afterwards, takes over a stale lock and waits for a live one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-lock-'));
    const target = path.join(dir, 'base');
    let builds = 0;
    const build = async () => {
      builds++;
      fs.mkdirSync(target);
    };
    assert.equal(await buildOnce(target, build), 'built');
    assert.equal(await buildOnce(target, build), 'found');
    assert.equal(builds, 1);
    assert.deepEqual(fs.readdirSync(dir), ['base'], 'no lock or claim file left behind');
    // A lock left by a dead process of this host (pid beyond the maximum) is taken over at once.
    const second = path.join(dir, 'second');
    fs.writeFileSync(`${second}.lock`, holder(os.hostname(), 4194304999));
    assert.equal(await buildOnce(second, async () => fs.mkdirSync(second)), 'built');
    assert.ok(!fs.existsSync(`${second}.lock`));
    // Another host's lock, whose clock is two hours behind ours: live while its heartbeat moves, stale once it has
    // not moved for staleMs of our own watching (never judged by comparing the two clocks).
    const remote = path.join(dir, 'remote.lock');
    fs.writeFileSync(remote, holder('some-other-host', 1));
    const behind = (s: number) => new Date(Date.now() - 2 * 3600_000 + s * 1000);
    fs.utimesSync(remote, behind(0), behind(0));
    assert.equal(isStale(remote, 40), false, 'first seen: not judged yet');
    await new Promise((r) => setTimeout(r, 60));
    fs.utimesSync(remote, behind(1), behind(1)); // a heartbeat
    assert.equal(isStale(remote, 40), false, 'its heartbeat moved: alive, however old its clock');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(isStale(remote, 40), true, 'no heartbeat for longer than staleMs');
    const taken = tryLock(remote, { staleMs: 40 });
    assert.ok(taken, 'a stale remote lock is taken over');
    assert.equal(tryLock(remote), null, 'a held lock is not taken twice');
    taken.release();
    assert.ok(!fs.existsSync(remote));
    // A lock held by a live process (this one): wait until the artefact appears.
    const third = path.join(dir, 'third');
    fs.writeFileSync(`${third}.lock`, holder(os.hostname(), process.pid));
    let waitedFor: unknown = null;
    setTimeout(() => {
      fs.mkdirSync(third);
      fs.rmSync(`${third}.lock`);
    }, 100);
    assert.equal(
      await buildOnce(third, async () => assert.fail('must not build'), {
        pollMs: 20,
        onWait: (h) => {
          waitedFor = h?.pid;
        },
      }),
      'waited',
    );
    assert.equal(waitedFor, process.pid);
    await assert.rejects(
      buildOnce(path.join(dir, 'never'), async () => undefined),
      /did not create/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it('a holder whose lock was taken over during its build does not commit (fencing)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-lock-'));
    const target = path.join(dir, 'result.json');
    await assert.rejects(
      buildOnce(target, async (fence) => {
        // Another process judged us dead and took the lock over while we computed.
        fs.writeFileSync(`${target}.lock`, holder('other-host', 7));
        fence();
        fs.writeFileSync(target, 'committed');
      }),
      /taken over by another process during the build; not committing/,
    );
    assert.ok(!fs.existsSync(target), 'nothing committed');
    fs.rmSync(dir, { recursive: true });
  });

  it('the holder keeps its lock fresh from a worker thread while the main thread is busy', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-lock-'));
    const lock = tryLock(path.join(dir, 'x.lock'), { heartbeatMs: 20, staleMs: 1000 });
    assert.ok(lock);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(dir, 'x.lock'), old, old);
    const until = Date.now() + 300;
    while (Date.now() < until) {
      /* a long synchronous step */
    }
    assert.ok(Date.now() - fs.statSync(path.join(dir, 'x.lock')).mtimeMs < 1000, 'heartbeat refreshed the mtime');
    lock.release();
    fs.rmSync(dir, { recursive: true });
  });
});

describe('summaries of typed metric trees', () => {
  it('aggregates every numeric leaf at any depth and names a missing one', () => {
    const s = summarize([
      { seed: 1, metrics: { a: { b: { c: 1 } }, d: 2 } },
      { seed: 2, metrics: { a: { b: { c: 3 } }, d: 4 } },
    ]);
    assert.deepEqual(s.a.b.c.perSeed, [1, 3]);
    assert.equal(s.d.mean, 3);
    assert.throws(
      () =>
        summarize([
          { seed: 1, metrics: { a: { b: 1 } } },
          { seed: 2, metrics: { a: {} } as never },
        ]),
      /seed 2 has no number at a\/b/,
    );
  });

  it('formats a mean with its CI once for every consumer', () => {
    assert.equal(formatCi({ mean: 0.8333, ci95: [0.1164, 1.5502] }), '0.833 [0.116, 1.550]');
    assert.equal(formatCi({ mean: 0.5, ci95: null }), '0.500');
    assert.equal(rewardModelLabel('im-noref'), 'IM-RM without reference');
  });
});

describe('toy-copy conclusion (hand-made aggregates)', () => {
  it('names the leader, whether CIs separate them, the step-0 ties and the length shift against chance', () => {
    const acc = (...v: number[]) => ({ accuracy: aggregate(v) });
    const s = {
      seeds: [1, 2, 3],
      backend: 'wasm',
      results: { ex: { test: acc(0.6, 0.62, 0.61), longer: acc(0.4, 0.6, 0.5) }, im: { test: acc(0.9, 0.92, 0.91), longer: acc(0.9, 0.91, 0.92) } },
    };
    const text = toyCopyConclusion(s as never, ['test', 'longer'], [1, 1], 'quick');
    assert.match(text, /\*\*test\*\*: EX-RM 0\.610 \[[^\]]+\], IM-RM 0\.910 \[[^\]]+\]: IM-RM ahead \(the 95% CIs do not overlap\)/);
    assert.match(text, /tie rate is exactly 1 on every split/);
    assert.match(text, /EX-RM is not distinguishable from chance.*IM-RM is different from chance/);
    assert.match(text, /Here the IM-RM is clearly ahead on new strings/);
    assert.match(toyCopyConclusion(s as never, ['test'], [1, 0.5], 'quick'), /NOT 1: check the reference model/);
  });
});

describe('backend failures', () => {
  it('a wasm heap overflow names its cause and what to change; other errors pass unchanged', async () => {
    await setup();
    const e = explainBackendError(new Error('memory access out of bounds'), 'token-cues seed 3') as Error;
    assert.match(
      e.message,
      /^token-cues seed 3: the wasm heap \(4 GB at most per process\) overflowed \(memory access out of bounds\)\. .*train\.microBatchSize/,
    );
    const other = new Error('no such file');
    assert.equal(explainBackendError(other, 'x'), other);
  });
});

describe('progress', () => {
  it('formats durations without a 60 in any field', () => {
    const cases: Array<[number, string]> = [
      [0.04, '0.0s'],
      [59.9, '59.9s'],
      [59.96, '1m00s'],
      [61, '1m01s'],
      [599.6, '10m00s'],
      [3599.4, '59m59s'],
      [3599.6, '1h00m'],
      [7199, '2h00m'],
      [7230, '2h01m'],
      [Number.POSITIVE_INFINITY, '?'],
    ];
    for (const [s, text] of cases) assert.equal(formatSeconds(s), text, `${s} s`);
  });

  it('after a resume the ETA counts only the work done in this process', async () => {
    const states: ProgressState[] = [];
    const p = new Progress(100, (st) => states.push(st), 0);
    p.skip(50, 'resumed');
    assert.equal(p.state().etaS, null, 'no rate yet: nothing computed here');
    await new Promise((r) => setTimeout(r, 50));
    p.tick(10);
    const s = p.state();
    // 10 units in ~50 ms: the remaining 40 take ~4x as long (not 40/60 of it, as counting the skipped 50 would say).
    assert.ok(s.etaS !== null && Math.abs(s.etaS - 4 * s.elapsedS) < 0.02, `eta ${s.etaS} elapsed ${s.elapsedS}`);
  });

  it('without a TTY prints a line every 10% and at least every everyS seconds', () => {
    const lines: string[] = [];
    const stream = {
      isTTY: false,
      write: (x: string) => {
        lines.push(x);
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const render = terminalRenderer(stream, 30);
    const at = (done: number, elapsedS: number) => render({ done, total: 1000, label: 'x', elapsedS, etaS: 1 }, false);
    at(1, 0);
    at(2, 10);
    at(3, 29);
    at(4, 31);
    at(5, 40);
    at(6, 62);
    at(100, 63);
    at(101, 64);
    assert.deepEqual(
      lines.map((l) => Number(/ (\d+)\/1000 /.exec(l)?.[1])),
      [1, 4, 6, 100],
    );
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
    assert.throws(
      () => checkExamples([ok, { ...ok, id: 'b', chosen: '' }], 'file.jsonl'),
      /file.jsonl: example 1 \(id "b"\): 'chosen' must be a non-empty string/,
    );
    assert.throws(() => checkExamples([ok, ok], 'file.jsonl'), /file.jsonl: duplicate example id "a"/);
    assert.throws(() => encodePairs([{ ...ok, rejected: 3 as never }], () => [1], 'src'), /src: example 0 \(id "a"\): 'rejected'/);
  });
});

describe('experiment runs', () => {
  it('identical requests give identical summaries; a repeat re-uses the cache; --force recomputes', async () => {
    const rootA = tmp('runs-a'),
      rootB = tmp('runs-b');
    const a = await runExperiment(toyCopy, { profile: 'smoke', seeds: 2, root: rootA });
    const b = await runExperiment(toyCopy, { profile: 'smoke', seeds: 2, root: rootB });
    assert.deepEqual(a.summary.results, b.summary.results);
    assert.equal(a.summary.hash, b.summary.hash);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'seed-1/im/scores/test.jsonl', 'seed-2/ex/result.json']) {
      assert.ok(fs.existsSync(path.join(a.dir, f)), `missing ${f}`);
    }
    const acc = a.summary.results.ex.test.accuracy;
    assert.equal(acc.perSeed.length, 2);
    assert.ok(acc.ci95 && acc.ci95[0] <= acc.mean && acc.mean <= acc.ci95[1]);
    // IM-RM at step 0 in metrics.jsonl: exact ties
    const im0 = fs
      .readFileSync(path.join(a.dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.kind === 'eval' && r.rewardModel === 'im' && r.epoch === 0);
    assert.ok(im0.length > 0 && im0.every((r) => r.accuracy === 0.5 && r.tieRate === 1));

    // The trained reward model is saved and reproduces its saved scores.
    const saved = loadModel(path.join(a.dir, 'seed-1', 'ex', 'model'));
    assert.ok(saved.extraTensors.reward_head, 'EX-RM head not saved');
    assert.equal((saved.extra as { rewardModel: string }).rewardModel, 'ex');
    assert.ok(!fs.existsSync(path.join(a.dir, 'seed-1', 'ex', 'checkpoint')), 'optimizer checkpoint left behind');
    const tok = VocabTokenizer.fromJSON(saved.tokenizer as VocabTokenizerJSON);
    const scores = fs
      .readFileSync(path.join(a.dir, 'seed-1', 'ex', 'scores', 'test.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const examples = makeCopyTask(a.config.task, 1).test;
    const pairs = encodePairs(examples, (t) => tok.encode(t), 'test');
    const r = await rewardsOnPairs(
      REWARD_MODELS.ex,
      { lm: { config: saved.config, params: saved.params }, head: saved.extraTensors.reward_head as tf.Tensor2D },
      pairs,
      null,
      { batchSize: a.config.train.evalBatchSize, padId: tok.padId },
    );
    assert.deepEqual(
      Array.from(r.chosen),
      scores.map((x) => x.chosen),
    );
    assert.deepEqual(
      scores.map((x) => x.id),
      examples.map((e) => e.id),
    );

    const again = await runExperiment(toyCopy, { profile: 'smoke', seeds: 3, root: rootA });
    assert.deepEqual(again.reusedSeeds, [1, 2]);
    assert.deepEqual(again.summary.results.ex.test.accuracy.perSeed.slice(0, 2), acc.perSeed);
    const forced = await runExperiment(toyCopy, { profile: 'smoke', seeds: 1, root: rootA, force: true });
    assert.deepEqual(forced.reusedSeeds, []);
    assert.deepEqual(forced.summary.results.ex.test.accuracy.perSeed, [acc.perSeed[0]]);
    fs.rmSync(rootA, { recursive: true });
    fs.rmSync(rootB, { recursive: true });
  });

  it('a run is identified by experiment, version, config, data and backend; provenance is recorded, not keyed', async () => {
    const root = tmp('runs-identity');
    const first = await runExperiment(toyCopy, { profile: 'smoke', seeds: 1, root });
    const config = JSON.parse(fs.readFileSync(path.join(first.dir, 'config.json'), 'utf8'));
    assert.deepEqual(Object.keys(config).sort(), ['backend', 'config', 'data', 'experiment', 'profile', 'version']);
    assert.equal(first.summary.version, toyCopy.version);
    const p = first.summary.provenance[0];
    assert.match(p.codeHash, /^[0-9a-f]{16}$/);
    assert.equal(p.backend, first.summary.backend);
    assert.ok(p.packages['@tensorflow/tfjs'] && typeof p.gitDirty !== 'undefined' && p.node === process.version);
    // Another version of the experiment is another run; the same version finds the cached one.
    const bumped = await resolveRun({ ...toyCopy, version: toyCopy.version + 1 }, { profile: 'smoke', root });
    assert.notEqual(bumped.dir, first.dir);
    const again = await runExperiment(toyCopy, { profile: 'smoke', seeds: 1, root });
    assert.deepEqual(again.reusedSeeds, [1]);
    assert.deepEqual(again.summary.provenance, first.summary.provenance);
    fs.rmSync(root, { recursive: true });
  });

  it('shards: n processes sharing a run store give the single-process summary; the last shard writes it', async () => {
    const root = tmp('runs-shards'),
      single = tmp('runs-single');
    const cli = (args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [
          '--import',
          'tsx',
          'scripts/exp.ts',
          'toy-copy',
          '--profile',
          'smoke',
          '--seeds',
          '5',
          '--runs-dir',
          root,
          ...args,
        ]);
        let out = '',
          err = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
      });
    assert.deepEqual(shardSeeds(5, 0, 3), [1, 4]);
    assert.deepEqual(shardSeeds(5, 2, 3), [3]);
    assert.throws(() => shardSeeds(5, 3, 3), /i must be an integer in \[0, 2\]/);
    const shards = await Promise.all([0, 1, 2].map((i) => cli(['--shard', `${i}/3`])));
    assert.deepEqual(
      shards.map((s) => s.code),
      [0, 0, 0],
      shards.map((s) => s.err).join('\n'),
    );
    const written = shards.filter((s) => s.out.trim().endsWith('summary.json'));
    assert.ok(written.length >= 1, 'the last shard wrote the summary');
    const summaryPath = written[0].out.trim();
    const sharded = JSON.parse(fs.readFileSync(summaryPath, 'utf8'));
    const whole = await runExperiment(toyCopy, { profile: 'smoke', seeds: 5, root: single });
    assert.deepEqual(sharded.results, whole.summary.results);
    assert.deepEqual(sharded.seeds, [1, 2, 3, 4, 5]);
    assert.equal(sharded.provenance.length, 5);
    // --summarise on the finished store writes the same summary; on a store with a missing seed it names the seed.
    fs.rmSync(summaryPath);
    assert.equal((await cli(['--summarise'])).code, 0);
    assert.deepEqual(JSON.parse(fs.readFileSync(summaryPath, 'utf8')).results, whole.summary.results);
    fs.rmSync(path.join(path.dirname(summaryPath), 'seed-4'), { recursive: true });
    const incomplete = await cli(['--summarise']);
    assert.equal(incomplete.code, 1);
    assert.match(incomplete.err, /seeds 4 have no result yet/);
    assert.match((await cli(['--shard', '3/3'])).err, /i must be an integer in \[0, 2\]/);
    fs.rmSync(root, { recursive: true });
    fs.rmSync(single, { recursive: true });
  });

  it('config errors name the key and the source', () => {
    assert.throws(() => resolveExperimentConfig(toyCopy, 'smoke', { train: { epoch: 3 } }), /toy-copy, overrides: unknown key 'train.epoch'/);
    assert.throws(() => resolveExperimentConfig(toyCopy, 'smoke', { rewardModels: ['ex', 'dpo'] }), /unknown reward model 'dpo'/);
    assert.throws(() => resolveExperimentConfig(toyCopy, 'smoke', { task: { alphabet: 40 } }), /'alphabet' must be an integer in \[2, 26\]/);
    assert.throws(() => resolveExperimentConfig(toyCopy, 'huge' as never), /unknown profile 'huge'/);
    assert.deepEqual(parseOverrides(['train.epochs=4', 'rewardModels=["ex"]', 'model.norm=rmsnorm']), {
      train: { epochs: 4 },
      rewardModels: ['ex'],
      model: { norm: 'rmsnorm' },
    });
  });

  it('the CLI prints the summary path, and one clear error for a bad key', () => {
    const root = tmp('cli');
    const cli = (args: string[]) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/exp.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const out = cli(['toy-copy', '--profile', 'smoke', '--runs-dir', root, '--set', 'rewardModels=["ex"]']).trim();
    assert.match(out, /summary\.json$/);
    assert.ok(fs.existsSync(out));
    assert.throws(
      () => cli(['toy-copy', '--profile', 'smoke', '--runs-dir', root, '--set', 'train.lr=1']),
      (e: { stderr: string }) => /error: experiment toy-copy, overrides: unknown key 'train.lr'/.test(e.stderr) && e.stderr.trim().split('\n').length === 1,
    );
    fs.rmSync(root, { recursive: true });
  });
});
