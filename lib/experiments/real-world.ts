/**
 * real-world: the paper's section 5.2. EX-RM and IM-RM are trained from the same base on UltraFeedback and,
 * separately, on RewardMATH, then evaluated on every split (in-distribution, token-level shift: paraphrased /
 * French / Spanish rewrites of the UltraFeedback test responses, domain shift: RewardBench math and code,
 * RewardMATH), next to baselines that ignore meaning (random, longer, shorter) and a bag-of-words Bradley-Terry
 * model trained on the same pairs. Pairs use one chat template and are truncated to the context, counted per split.
 */
import './pretrained-base'; // makes pretrained:<profile> bases resolvable (lib/model/load.ts)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { check } from '../config';
import { deriveSeed } from '../random';
import { DATA_FILES } from '../data/catalog';
import { fileSha256 } from '../data/sources';
import { type ChatFormatConfig, formatChatPairs } from '../data/chat-format';
import {
  EVAL_SPLITS,
  type EvalSplit,
  type EvalType,
  type RealWorldDataConfig,
  SPLIT_GROUPS,
  TRAIN_SETS,
  type TrainSet,
  loadRealWorldData,
} from '../data/real-world';
import { baseModelIdentity, loadBaseModel } from '../model/load';
import { loadModel } from '../model/checkpoint';
import { DEFAULT_PREFERENCE_TRAIN, type PreferenceTrainConfig, resolvePreferenceTrainConfig } from '../train/preference';
import { type PairValues, evaluateSplit, pairLogProbs } from '../train/evaluate';
import { rewardModelSpec } from '../rewards/reward-model';
import { type PreferenceMetrics, preferenceMetrics } from '../rewards/metrics';
import type { EncodedPair } from '../rewards/sequences';
import { writeJsonl } from '../data/formats';
import { writeFileAtomic } from '../runs/lock';
import { type BowConfig, BowRewardModel, DEFAULT_BOW, resolveBowConfig } from '../baselines/bow';
import { SIMPLE_BASELINES, simpleRewards } from '../baselines/simple';
import type { Experiment } from './types';
import { preferenceWorkUnits, runRewardModels } from './preference-seed';
import { type DataMetrics, dataStatistics, groupAverages } from './real-world-analysis';

const { rewardModel: _rm, ...TRAIN } = DEFAULT_PREFERENCE_TRAIN;

export interface RealWorldConfig {
  /** Model spec of the base (lib/model/load.ts). */
  base: string;
  trainSets: TrainSet[];
  data: RealWorldDataConfig;
  format: ChatFormatConfig;
  rewardModels: string[];
  train: Omit<PreferenceTrainConfig, 'rewardModel'>;
  bow: BowConfig;
}

type SplitMetrics = Record<string, number>;
/** A model's metrics per evaluation split, and averaged per evaluation type as the paper groups them. */
export interface ModelMetrics {
  splits: Record<EvalSplit, SplitMetrics>;
  byType: Partial<Record<EvalType, SplitMetrics>>;
}

/** The typed result of one seed of the real-world experiment. */
export interface RealWorldMetrics {
  /** What the data look like to the base's tokenizer, and what truncation cut from each training set. */
  data: DataMetrics & { train: Record<string, SplitMetrics> };
  /** training set -> reward model (and 'bow', the bag-of-words Bradley-Terry baseline) -> metrics */
  trained: Record<string, Record<string, ModelMetrics>>;
  /** meaning-free baselines (random, longer, shorter): per split, and per type under each training set's grouping */
  baselines: Record<string, { splits: Record<EvalSplit, SplitMetrics>; byType: Record<string, Partial<Record<EvalType, SplitMetrics>>> }>;
}

/** The paper's metrics of a split (accuracy, normalised margin, tie rate). */
const KEPT = ['accuracy', 'normalizedMargin', 'tieRate'] as const;
const kept = (m: PreferenceMetrics): Record<string, number> => Object.fromEntries(KEPT.map((k) => [k, m[k]]));

/** Training pairs a training set provides under `c` (offline UltraFeedback has 200; RewardMATH 2,000). */
function trainPairsUsed(c: RealWorldConfig, t: TrainSet): number {
  const available = t === 'ultrafeedback' && !c.data.ultrafeedbackTrainFile ? 200 : 2000;
  return c.data.nTrain > 0 ? Math.min(c.data.nTrain, available) : available;
}

export const realWorld: Experiment<RealWorldConfig, RealWorldMetrics> = {
  version: 2,
  name: 'real-world',
  description: 'Real-world token-level and domain shift (paper section 5.2): UltraFeedback / RewardMATH-trained EX-RM vs IM-RM with baselines',
  defaults: {
    base: 'stories260K',
    trainSets: ['ultrafeedback', 'rewardmath'],
    // The paper trains on 2,000 UltraFeedback / 1,000 RewardMATH pairs; offline 200 UltraFeedback pairs exist.
    data: { nTrain: 1000, nEval: 0, ultrafeedbackTrainFile: '' },
    format: { maxLength: 512, maxPromptTokens: 128 },
    rewardModels: ['ex', 'im'],
    // The paper: 5 epochs, batch 32, beta 0.01, lr 1e-6 for 1B-8B models. Small models use 1e-4 (as token-cues,
    // not swept). Micro-batches of 4 pairs: attention memory grows with the square of the 512-token sequences.
    train: {
      ...TRAIN,
      beta: 0.01,
      epochs: 5,
      batchSize: 32,
      microBatchSize: 4,
      evalBatchSize: 8,
      evalEveryEpochs: 5,
      optimizer: { ...TRAIN.optimizer, lr: 1e-4 },
    },
    bow: DEFAULT_BOW,
  },
  profiles: {
    smoke: {
      base: 'pretrained:smoke',
      data: { nTrain: 8, nEval: 6 },
      format: { maxLength: 64, maxPromptTokens: 24 },
      train: { epochs: 1, batchSize: 4, evalBatchSize: 6 },
      bow: { iterations: 20 },
    },
    // 200 pairs per training set (all the UltraFeedback train pairs offline), 2 epochs, 128 tokens per sequence
    // (the in-project LM's context; wasm attention cost grows with the square of the length: measured 29 s per
    // step of 32 pairs at 256 tokens on stories260K, which put 3 seeds beyond an hour).
    quick: {
      data: { nTrain: 200 },
      format: { maxLength: 128, maxPromptTokens: 48 },
      train: { epochs: 2, evalEveryEpochs: 2, microBatchSize: 8, evalBatchSize: 16 },
    },
    paper: {},
  },
  validate(c) {
    const where = 'experiment real-world';
    check(typeof c.base === 'string' && c.base.length > 0, where, 'base', 'must name a model (stories260K, pretrained:<profile>, hf:<dir>, a folder)', c.base);
    check(
      Array.isArray(c.trainSets) && c.trainSets.length > 0 && c.trainSets.every((t) => (TRAIN_SETS as readonly string[]).includes(t)),
      where,
      'trainSets',
      `must list some of ${TRAIN_SETS.join(', ')}`,
      c.trainSets,
    );
    check(c.rewardModels.length > 0, where, 'rewardModels', 'must list at least one reward model', c.rewardModels);
    for (const rm of c.rewardModels) {
      check(rewardModelSpec(rm, `${where}: rewardModels`).kind !== 'grm', where, 'rewardModels', 'ex-grm needs verification prompts (token-cues only)', rm);
    }
    check(Number.isInteger(c.data.nTrain) && c.data.nTrain >= 0, where, 'data.nTrain', 'must be a non-negative integer (0 = all)', c.data.nTrain);
    check(Number.isInteger(c.data.nEval) && c.data.nEval >= 0, where, 'data.nEval', 'must be a non-negative integer (0 = all)', c.data.nEval);
    check(
      c.data.ultrafeedbackTrainFile === '' || fs.existsSync(c.data.ultrafeedbackTrainFile),
      where,
      'data.ultrafeedbackTrainFile',
      "must be '' or an existing JSONL file",
      c.data.ultrafeedbackTrainFile,
    );
    check(Number.isInteger(c.format.maxLength) && c.format.maxLength >= 8, where, 'format.maxLength', 'must be an integer >= 8', c.format.maxLength);
    check(
      Number.isInteger(c.format.maxPromptTokens) && c.format.maxPromptTokens >= 2 && c.format.maxPromptTokens < c.format.maxLength,
      where,
      'format.maxPromptTokens',
      'must be an integer in [2, format.maxLength)',
      c.format.maxPromptTokens,
    );
    resolvePreferenceTrainConfig({ ...c.train, rewardModel: c.rewardModels[0] }, `${where} train`);
    resolveBowConfig(c.bow, `${where} bow`);
  },
  workUnits: (c) =>
    c.trainSets.reduce((units, t) => units + preferenceWorkUnits(trainPairsUsed(c, t), c.train, c.rewardModels.length) + c.rewardModels.length, 0),
  dataIdentity: async (c, store) => ({
    files: Object.entries(DATA_FILES)
      .filter(([k]) => k.startsWith('exrm-vs-imrm/'))
      .map(([, v]) => v.sha256),
    ultrafeedbackTrainFile: c.data.ultrafeedbackTrainFile ? fileSha256(c.data.ultrafeedbackTrainFile) : null,
    base: await baseModelIdentity(c.base, { root: store?.root }),
  }),
  async runSeed(c, ctx) {
    const base = await loadBaseModel(c.base, { root: ctx.runsRoot });
    check(
      c.format.maxLength <= base.lm.config.contextLength,
      'experiment real-world',
      'format.maxLength',
      `must be <= the context of ${c.base} (${base.lm.config.contextLength})`,
      c.format.maxLength,
    );
    const data = await loadRealWorldData(c.data);
    // Formatting and the statistics encode the same responses: encode each text once.
    const encoded = new Map<string, number[]>();
    const encode = (t: string): number[] => {
      let ids = encoded.get(t);
      if (!ids) {
        ids = base.tokenizer.encode(t);
        encoded.set(t, ids);
      }
      return ids;
    };
    const tok = { encode, startId: base.startId, eosId: base.tokenizer.eosId };
    const format = (examples: typeof data.eval.ultrafeedback, where: string) => formatChatPairs(examples, tok, c.format, where);
    const evalSets = Object.fromEntries(EVAL_SPLITS.map((s) => [s, format(data.eval[s], `real-world ${s}`)])) as Record<EvalSplit, ReturnType<typeof format>>;
    const evalPairs = Object.fromEntries(EVAL_SPLITS.map((s) => [s, evalSets[s].pairs])) as Record<EvalSplit, EncodedPair[]>;
    const records: Array<Record<string, unknown>> = [];

    // What the data looks like to this tokenizer: truncation, token overlap of the rewrites, lengths.
    const stats = dataStatistics(data, evalSets, encode);
    fs.writeFileSync(path.join(ctx.dir, 'data-stats.json'), JSON.stringify(stats, null, 1));
    const trainTruncation: Record<string, SplitMetrics> = {};
    const byTrainSet: RealWorldMetrics['trained'] = {};
    const baselines: RealWorldMetrics['baselines'] = {};

    // Baselines that ignore meaning (random is seeded per seed; length rules are deterministic).
    for (const kind of SIMPLE_BASELINES) {
      const group = {} as Record<EvalSplit, SplitMetrics>;
      for (const s of EVAL_SPLITS) {
        const pairs = data.eval[s];
        const r = simpleRewards(
          kind,
          [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)],
          deriveSeed(ctx.seed, 'random-baseline', EVAL_SPLITS.indexOf(s)),
        );
        group[s] = kept(preferenceMetrics(r.slice(0, pairs.length), r.slice(pairs.length)));
      }
      baselines[kind] = { splits: group, byType: Object.fromEntries(c.trainSets.map((t) => [t, groupAverages(group, SPLIT_GROUPS[t])])) };
    }

    // IM-RM reference log-probs of the evaluation splits: the same for every seed and training set, so one
    // file in the run folder serves all (written atomically; parallel seeds compute identical values).
    const evalOpts = { batchSize: c.train.evalBatchSize, padId: base.tokenizer.padId, kernels: c.train.kernels };
    const referenceOf = async (aggregate: 'sum' | 'mean', split: EvalSplit): Promise<PairValues> => {
      const file = path.join(ctx.dir, '..', `reference-${aggregate}-${split}.json`);
      if (fs.existsSync(file)) {
        const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
        return { chosen: Float32Array.from(saved.chosen), rejected: Float32Array.from(saved.rejected) };
      }
      ctx.progress.setLabel(`seed ${ctx.seed} reference log-probs ${split}`);
      const v = await pairLogProbs(base.lm, evalPairs[split], aggregate, evalOpts);
      // Parallel seed workers may write this shared file at once.
      writeFileAtomic(file, JSON.stringify({ chosen: Array.from(v.chosen), rejected: Array.from(v.rejected) }));
      return v;
    };

    const tokenizerJson = (base.tokenizer as unknown as { toJSON(): unknown }).toJSON();
    for (const trainSet of c.trainSets) {
      const train = format(data.train[trainSet], `real-world train ${trainSet}`);
      trainTruncation[trainSet] = { ...train.stats };
      const models: Record<string, ModelMetrics> = {};
      const bow = BowRewardModel.fit(data.train[trainSet], c.bow);
      const bowSplits = Object.fromEntries(
        EVAL_SPLITS.map((s) => {
          const pairs = data.eval[s];
          return [
            s,
            kept(
              preferenceMetrics(
                pairs.map((p) => bow.reward(p.chosen)),
                pairs.map((p) => bow.reward(p.rejected)),
              ),
            ),
          ];
        }),
      ) as Record<EvalSplit, SplitMetrics>;
      models.bow = { splits: bowSplits, byType: groupAverages(bowSplits, SPLIT_GROUPS[trainSet]) };

      // Training only (no evaluation splits): evaluation follows, once, on the trained models.
      const dir = path.join(ctx.dir, trainSet);
      const trained = await runRewardModels(
        c.rewardModels,
        c.train,
        { base: base.lm, tokenizer: tokenizerJson, padId: base.tokenizer.padId, train: train.pairs, evalSplits: {} },
        { ...ctx, dir },
      );
      records.push(...trained.records.map((r) => ({ ...r, trainSet })));
      for (const rm of c.rewardModels) {
        const spec = { ...rewardModelSpec(rm), beta: c.train.beta };
        const evalFile = path.join(dir, rm, 'evaluation.json');
        let final: Record<EvalSplit, SplitMetrics>;
        if (fs.existsSync(evalFile) && !ctx.force) {
          final = JSON.parse(fs.readFileSync(evalFile, 'utf8'));
        } else {
          const saved = loadModel(path.join(dir, rm, 'model'));
          const state = { lm: { config: saved.config, params: saved.params }, head: (saved.extraTensors.reward_head ?? null) as never };
          final = {} as Record<EvalSplit, SplitMetrics>;
          fs.mkdirSync(path.join(dir, rm, 'scores'), { recursive: true });
          for (const s of EVAL_SPLITS) {
            ctx.progress.setLabel(`seed ${ctx.seed} ${trainSet} ${rm} evaluation ${s}`);
            const ref = spec.kind === 'im' && spec.useReference ? await referenceOf(spec.aggregate, s) : null;
            const e = await evaluateSplit(spec, state, evalPairs[s], ref, evalOpts);
            writeJsonl(path.join(dir, rm, 'scores', `${s}.jsonl`), e.scores);
            final[s] = kept(e.metrics);
          }
          Object.values(saved.params).forEach((t) => t.dispose());
          Object.values(saved.extraTensors).forEach((t) => t.dispose());
          fs.writeFileSync(evalFile, JSON.stringify(final));
        }
        ctx.progress.tick(1, `seed ${ctx.seed} ${trainSet} ${rm} evaluated`);
        models[rm] = { splits: final, byType: groupAverages(final, SPLIT_GROUPS[trainSet]) };
      }
      byTrainSet[trainSet] = models;
    }
    return { metrics: { data: { ...stats.metrics, train: trainTruncation }, trained: byTrainSet, baselines }, records };
  },
};
