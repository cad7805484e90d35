/**
 * A small base language model pretrained inside an experiment (until imported pretrained models exist): a
 * transformer of the given architecture, seeded init, next-token training on a token stream.
 */
import type * as tf from '@tensorflow/tfjs';
import { type ModelConfig, resolveModelConfig } from '../model/config';
import { initParams } from '../model/params';
import type { LanguageModel } from '../model/transformer';
import { deriveSeed } from '../random';
import { type LmTrainConfig, trainLanguageModel } from '../train/lm';
import type { Progress } from '../runs/progress';

export type Architecture = Omit<ModelConfig, 'vocabSize' | 'contextLength'>;

export interface PretrainedBase {
  model: LanguageModel;
  vars: Record<string, tf.Variable>;
  losses: number[];
  dispose(): void;
}

/** Trains a fresh model on `stream`; lm.steps = 0 gives the random initialisation. */
export async function pretrainBase(
  arch: Architecture,
  vocabSize: number,
  contextLength: number,
  stream: Int32Array,
  lm: LmTrainConfig,
  seed: number,
  progress?: Progress,
): Promise<PretrainedBase> {
  const config = resolveModelConfig({ ...arch, vocabSize, contextLength: Math.max(contextLength, lm.seqLen) });
  const vars = initParams(config, deriveSeed(seed, 'base-init'));
  const model = { config, params: vars as Record<string, tf.Tensor> };
  const losses =
    lm.steps > 0
      ? (
          await trainLanguageModel(lm, model, vars, stream, deriveSeed(seed, 'pretrain'), (step, loss) =>
            progress?.tick(1, `seed ${seed} pretrain step ${step} loss ${loss.toFixed(3)}`),
          )
        ).losses
      : [];
  return { model, vars, losses, dispose: () => Object.values(vars).forEach((v) => v.dispose()) };
}
