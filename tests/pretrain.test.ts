/** In-project pretraining: learning-rate schedule, exact resume, the smoke run end to end, code-version scoping. */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assertClose, setup, tinyModel } from './helpers';
import { validationPerplexity } from '../lib/train/lm';
import { DEFAULT_SCHEDULED_LM, learningRateAt, resolveScheduledLmConfig, trainScheduledLm } from '../lib/train/lm-schedule';
import { interleaveWindows, pretrain, tokenizeDocuments } from '../lib/experiments/pretrain';
import { runExperiment } from '../lib/experiments/runner';
import { findPretrainedBase } from '../lib/experiments/pretrained-base';
import { loadBaseModel, promptIds } from '../lib/model/load';
import { hfConfigFor } from '../lib/model/hf-layout';
import { saveHfModel } from '../lib/model/hf';
import { forward } from '../lib/model/transformer';
import type { BpeModelTokenizer } from '../lib/tokenizers/index';
import { BpeTokenizer } from '../lib/tokenizers/bpe';
import { trainBpe } from '../lib/tokenizers/bpe-train';
import { libraryCodeHash } from '../lib/runs/hash';
import { loadPretrainingCorpus, DEFAULT_PRETRAINING_CORPUS } from '../lib/data/pretraining-corpus';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe('pretraining schedule and loop', () => {
  before(setup);

  it('warms up linearly, then decays by a cosine to lr * minLrFraction', () => {
    const c = resolveScheduledLmConfig({ steps: 110, warmupSteps: 10, minLrFraction: 0.1, optimizer: { ...DEFAULT_SCHEDULED_LM.optimizer, lr: 1 } });
    assertClose(learningRateAt(c, 5), 0.5);
    assertClose(learningRateAt(c, 10), 1);
    assertClose(learningRateAt(c, 60), 0.1 + 0.9 * 0.5); // half-way through the cosine
    assertClose(learningRateAt(c, 110), 0.1);
  });

  it('a resumed run ends with exactly the weights and curve of an uninterrupted one', async () => {
    const stream = Int32Array.from({ length: 400 }, (_, i) => (i * 7 + (i >> 3)) % 12);
    const cfg = resolveScheduledLmConfig({ steps: 6, batchSize: 2, seqLen: 8, warmupSteps: 2, evalEvery: 2, evalTokens: 32, checkpointEvery: 2 });
    const run = async (dir: string, stop?: number) => {
      const { model, vars } = tinyModel({ contextLength: 8 }, 3);
      if (stop !== undefined)
        await trainScheduledLm(cfg, model, vars, { train: stream, validation: stream.subarray(0, 64), seed: 5, checkpointDir: dir, stopAfterSteps: stop });
      await validationPerplexity(model, stream.subarray(0, 16), 8, 2); // creates the cached constants (causal mask) first
      const before = tf.memory().numTensors;
      const { model: m2, vars: v2 } = stop !== undefined ? tinyModel({ contextLength: 8 }, 3) : { model, vars };
      const out = await trainScheduledLm(cfg, m2, v2, { train: stream, validation: stream.subarray(0, 64), seed: 5, checkpointDir: dir });
      const weights = Object.fromEntries(Object.entries(v2).map(([k, v]) => [k, Array.from(v.dataSync())]));
      return { out, weights, leaked: tf.memory().numTensors - before };
    };
    const straight = await run(tmp('imrm-lm-a-'));
    const resumed = await run(tmp('imrm-lm-b-'), 3);
    assert.deepEqual(resumed.weights, straight.weights);
    assert.deepEqual(
      resumed.out.curve.map((p) => [p.step, p.trainLoss, p.validationPerplexity]),
      straight.out.curve.map((p) => [p.step, p.trainLoss, p.validationPerplexity]),
    );
    assert.deepEqual(
      straight.out.curve.map((p) => p.step),
      [0, 2, 4, 6],
    );
    assert.equal(straight.leaked, 0, 'no tensor leaks across training');
  });

  it('joins documents with end-of-text and interleaves validation windows', () => {
    const tok = new BpeTokenizer(trainBpe(['ab ab'], { vocabSize: 262, minPairCount: 1 }));
    const s = tokenizeDocuments(tok, ['ab', 'ab ab'], 0);
    assert.deepEqual(Array.from(s).filter((x) => x === 0).length, 2);
    assert.equal(s[s.length - 1], 0);
    assert.deepEqual(Array.from(interleaveWindows(Int32Array.from([1, 2, 3, 4, 5]), Int32Array.from([6, 7, 8, 9]), 2)), [1, 2, 6, 7, 3, 4, 8, 9]);
  });
});

describe('pretraining corpus and the smoke run', () => {
  before(setup);

  it('keeps agreeableness (the token-cue data) out of pretraining', async () => {
    const corpus = await loadPretrainingCorpus({ ...DEFAULT_PRETRAINING_CORPUS, maxBrownDocuments: 4, maxStatementsPerTrait: 30 }, 1);
    assert.ok(!corpus.traits.includes('agreeableness'));
    assert.equal(corpus.traits.length, 13);
    const agree = JSON.parse(fs.readFileSync(path.join(process.env.IMRM_DATA_DIR as string, 'persona/agreeableness.jsonl'), 'utf8').split('\n')[0]).statement;
    const all = [...corpus.train, ...corpus.validation].flatMap((p) => p.documents).join('\n');
    assert.ok(!all.includes(agree));
  });

  it('trains, saves a loadable model with its tokenizer, and is found by profile', async () => {
    const root = tmp('imrm-runs-');
    const run = await runExperiment(pretrain, { profile: 'smoke', seeds: 1, root });
    const r = run.summary.results.lm;
    assert.ok(r.validation.perplexity.mean > 1 && r.validation.perplexity.mean < 320 * 2, `perplexity ${r.validation.perplexity.mean}`);
    const found = await findPretrainedBase('smoke', 1, root);
    assert.equal(found?.dir, path.join(run.dir, 'seed-1', 'model'));
    const base = await loadBaseModel(run.dir);
    assert.equal(base.startId, base.tokenizer.eosId);
    assert.equal(base.tokenizer.decode(promptIds(base, 'The jury said'), true), 'The jury said');
    const again = await runExperiment(pretrain, { profile: 'smoke', seeds: 1, root });
    assert.deepEqual(again.reusedSeeds, [1]);

    // Exported for transformers (GPT-2 layout + tokenizer.json), it loads back with the same outputs.
    const out = path.join(tmp('imrm-export-'), 'hf');
    const { arch, hfConfig } = hfConfigFor(base.lm.config, { bos: base.startId, eos: base.tokenizer.eosId, pad: base.tokenizer.padId });
    assert.equal(arch, 'gpt2');
    await saveHfModel(out, { arch, hfConfig, config: base.lm.config, params: base.lm.params, tokenizer: base.tokenizer as BpeModelTokenizer });
    const hf = await loadBaseModel(`hf:${out}`);
    const ids = tf.tensor2d([promptIds(base, 'The jury said')], undefined, 'int32');
    const [a, b] = [base, hf].map((m) => tf.tidy(() => Array.from((forward(m.lm, ids).logits as tf.Tensor).dataSync())));
    assert.deepEqual(b, a);
    assert.deepEqual(promptIds(hf, 'The jury said'), promptIds(base, 'The jury said'));
  });
});

describe('library code hash (provenance)', () => {
  it('changes with any lib file, relative path included', () => {
    const make = (files: Record<string, string>) => {
      const root = tmp('imrm-code-');
      for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(root, f), text);
      return libraryCodeHash(root);
    };
    const v = make({ 'a.ts': 'export const a = 1;', 'b.ts': 'export const b = 1;' });
    assert.equal(make({ 'a.ts': 'export const a = 1;', 'b.ts': 'export const b = 1;' }), v);
    assert.notEqual(make({ 'a.ts': 'export const a = 1;', 'b.ts': 'export const b = 1; // a comment' }), v);
    assert.notEqual(make({ 'a.ts': 'export const a = 1;', 'c.ts': 'export const b = 1;' }), v);
  });
});
