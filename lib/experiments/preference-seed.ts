/**
 * One seed of a preference experiment: train each requested reward model from the same base on the same data,
 * and store per reward model (in <seed dir>/<rm>/): checkpoint/ while training (resumable), then model/ (the
 * trained reward model: config + tokenizer + weights, with the EX-RM head as tensor 'reward_head'),
 * metrics.jsonl (evaluations and training losses), scores/<split>.jsonl (per-example id, r+, r-, lengths,
 * correct) and result.json. A reward model whose result.json exists is re-used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LanguageModel } from '../model/transformer';
import type { EncodedPair } from '../rewards/sequences';
import { METRIC_NAMES } from '../rewards/metrics';
import { rewardModelSpec } from '../rewards/reward-model';
import { saveModel } from '../model/checkpoint';
import { type PreferenceTrainConfig, trainPreference, stepsPerEpoch, type EvalRecord, type StepRecord } from '../train/preference';
import type { SeedContext, SeedResult } from './types';
import { writeJsonl } from '../data/formats';

export interface PreparedPreferenceData {
  base: LanguageModel;
  /** Saved with the trained reward models. */
  tokenizer: unknown;
  padId: number;
  train: EncodedPair[];
  evalSplits: Record<string, EncodedPair[]>;
}

interface RewardModelResult {
  final: Record<string, Record<string, number>>;
  curve: EvalRecord[];
  trainLoss: StepRecord[];
}

export function preferenceWorkUnits(nTrain: number, cfg: Omit<PreferenceTrainConfig, 'rewardModel'>, nRewardModels: number): number {
  return stepsPerEpoch(nTrain, cfg.batchSize) * cfg.epochs * nRewardModels;
}

export async function runRewardModels(
  rewardModels: string[],
  trainCfg: Omit<PreferenceTrainConfig, 'rewardModel'>,
  data: PreparedPreferenceData,
  ctx: SeedContext,
): Promise<SeedResult> {
  const metrics: SeedResult['metrics'] = {};
  const records: SeedResult['records'] = [];
  for (const rm of rewardModels) {
    const dir = path.join(ctx.dir, rm);
    const resultPath = path.join(dir, 'result.json');
    let result: RewardModelResult;
    if (fs.existsSync(resultPath) && !ctx.force) {
      result = JSON.parse(fs.readFileSync(resultPath, 'utf8'));
      ctx.progress.skip(preferenceWorkUnits(data.train.length, trainCfg, 1), `${rm} (cached)`);
    } else {
      fs.mkdirSync(path.join(dir, 'scores'), { recursive: true });
      let lastStep = 0;
      const out = await trainPreference(
        { ...trainCfg, rewardModel: rm },
        {
          base: data.base,
          padId: data.padId,
          train: data.train,
          evalSplits: data.evalSplits,
          seed: ctx.seed,
          checkpointDir: path.join(dir, 'checkpoint'),
          onProgress: (p) => {
            if (lastStep === 0 && p.step > 1) {
              // resumed from a checkpoint: those steps were not computed here
              ctx.progress.skip(p.step - 1);
              lastStep = p.step - 1;
            }
            ctx.progress.tick(p.step - lastStep, `seed ${ctx.seed} ${rm} epoch ${p.epoch} ${p.phase}${p.loss === null ? '' : ` loss ${p.loss.toFixed(4)}`}`);
            lastStep = p.step;
          },
        },
      );
      for (const [split, e] of Object.entries(out.final)) writeJsonl(path.join(dir, 'scores', `${split}.jsonl`), e.scores);
      const final: RewardModelResult['final'] = {};
      for (const [split, e] of Object.entries(out.final)) {
        final[split] = Object.fromEntries(METRIC_NAMES.map((m) => [m, e.metrics[m]]));
      }
      result = { final, curve: out.curve, trainLoss: out.trainLoss };
      writeJsonl(path.join(dir, 'metrics.jsonl'), [...out.curve.map((c) => ({ kind: 'eval', ...c })), ...out.trainLoss.map((l) => ({ kind: 'train', ...l }))]);
      await saveModel(
        path.join(dir, 'model'),
        data.base.config,
        out.state.lm.params,
        data.tokenizer,
        { rewardModel: rm, spec: rewardModelSpec(rm), trainConfig: trainCfg },
        out.state.head ? { reward_head: out.state.head } : {},
      );
      // The trained model is saved: the optimizer moments (2x the weights) are no longer needed.
      fs.rmSync(path.join(dir, 'checkpoint'), { recursive: true, force: true });
      fs.writeFileSync(resultPath, JSON.stringify(result));
      for (const t of Object.values(out.state.lm.params)) t.dispose();
      out.state.head?.dispose();
    }
    metrics[rm] = result.final;
    records.push(
      ...result.curve.map((c) => ({ kind: 'eval', rewardModel: rm, ...c })),
      ...result.trainLoss.map((l) => ({ kind: 'train', rewardModel: rm, ...l })),
    );
  }
  return { metrics, records };
}
