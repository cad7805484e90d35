/** The base model of the theory experiments: a small LM pretrained on the yes/no synonym corpus. */
import { DEFAULT_MODEL_CONFIG } from '../model/config';
import { VocabTokenizer } from '../tokenizers/vocab';
import { DEFAULT_YES_NO, yesNoAlphabet, yesNoCorpus } from '../data/yes-no-corpus';
import { DEFAULT_LM_TRAIN, type LmTrainConfig } from '../train/lm';
import type { Progress } from '../runs/progress';
import { type Architecture, type PretrainedBase, pretrainBase } from './base-lm';

export interface YesNoBaseConfig {
  /** Documents in the pretraining corpus. */
  documents: number;
  model: Architecture;
  lm: LmTrainConfig;
}

const { vocabSize: _v, contextLength: _c, ...ARCH } = DEFAULT_MODEL_CONFIG;

export const DEFAULT_YES_NO_BASE: YesNoBaseConfig = {
  documents: 3000,
  model: { ...ARCH, dModel: 64, nHeads: 4, nKvHeads: 4, nLayers: 2, dMlp: 256, positions: 'rotary' },
  lm: { ...DEFAULT_LM_TRAIN, steps: 400, batchSize: 16, seqLen: 32, optimizer: { ...DEFAULT_LM_TRAIN.optimizer, lr: 1e-3 } },
};

export interface YesNoBase {
  tokenizer: VocabTokenizer;
  base: PretrainedBase;
}

export async function yesNoBase(c: YesNoBaseConfig, seed: number, progress?: Progress): Promise<YesNoBase> {
  const corpus = yesNoCorpus(DEFAULT_YES_NO, c.documents, seed);
  const tokenizer = VocabTokenizer.build([...yesNoAlphabet(DEFAULT_YES_NO), ...corpus], 'spaced');
  const stream = Int32Array.from(corpus.flatMap((d) => tokenizer.encode(d)));
  const longest = Math.max(...corpus.map((d) => tokenizer.encode(d).length));
  return { tokenizer, base: await pretrainBase(c.model, tokenizer.vocabSize, longest + 2, stream, c.lm, seed, progress) };
}
