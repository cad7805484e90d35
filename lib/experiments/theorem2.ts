/**
 * theorem2: single-token responses with fixed hidden states, trained to convergence with gradient descent, on two
 * data sources: constructed hidden states (separable by design) and the hidden states of a base LM pretrained on
 * the yes/no corpus (training answer words vs unseen synonyms). Measured: IM-RM accuracy on unseen-token pairs
 * (Theorem 2: exactly 1/2, unseen unembedding rows untouched), EX-RM cosine to the hard-margin SVM separator over
 * training and its unseen-pair accuracy vs the fraction of unseen pairs the separator ranks correctly, and the
 * footnote-3 separator statistics. Artefacts: <seed dir>/theorem2.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { check, ConfigError } from '../config';
import { resolveModelConfig } from '../model/config';
import { resolveLmTrainConfig } from '../train/lm';
import { DEFAULT_YES_NO, yesNoPrompt } from '../data/yes-no-corpus';
import {
  type ConstructedConfig,
  DEFAULT_CONSTRUCTED,
  type SingleTokenData,
  type TrainConfig,
  constructedData,
  modelData,
  runTheorem2,
  type Theorem2Result,
} from '../theory/theorem2';
import { NotSeparableError } from '../theory/svm';
import type { Experiment, MetricTable } from './types';
import { DEFAULT_YES_NO_BASE, type YesNoBaseConfig, yesNoBase } from './yes-no-base';

export interface Theorem2Config {
  constructed: ConstructedConfig;
  base: YesNoBaseConfig;
  /** Answer words of the model data source: training chosen/rejected, and unseen chosen/rejected. */
  words: { trainChosen: string[]; trainRejected: string[]; unseenChosen: string[]; unseenRejected: string[] };
  im: TrainConfig;
  ex: TrainConfig;
}

export interface Theorem2Artefact {
  sources: Record<string, Theorem2Result | { error: string }>;
}

function metricsOf(r: Theorem2Result): Record<'im' | 'ex', Record<string, number>> {
  return {
    im: {
      trainAccuracy: r.im.finalTrainAccuracy,
      unseenAccuracy: r.im.finalUnseenAccuracy,
      unseenTieRate: r.im.curve[r.im.curve.length - 1].unseenTieRate,
      unseenRowsUnchanged: r.im.unseenRowsUnchanged ? 1 : 0,
    },
    ex: {
      trainAccuracy: r.ex.finalTrainAccuracy,
      unseenAccuracy: r.ex.finalUnseenAccuracy,
      cosToSvm: r.ex.finalCos,
      svmUnseenAccuracy: r.ex.svmUnseenAccuracy,
      separatorCosineMean: r.separator.cosine.mean,
    },
  };
}

export const theorem2: Experiment<Theorem2Config> = {
  version: 1,
  name: 'theorem2',
  description: 'Theorem 2: IM-RM cannot rank unseen tokens (accuracy exactly 1/2); EX-RM converges to the max-margin separator',
  defaults: {
    constructed: DEFAULT_CONSTRUCTED,
    base: DEFAULT_YES_NO_BASE,
    words: { trainChosen: ['yes', 'sure'], trainRejected: ['no', 'never'], unseenChosen: ['certainly', 'absolutely'], unseenRejected: ['nope', 'hardly'] },
    im: { steps: 2000, lr: 100, beta: 0.01, checkpoints: 12 },
    ex: { steps: 5000, lr: 1, beta: 0.01, checkpoints: 14 },
  },
  profiles: {
    smoke: { base: { documents: 300, lm: { steps: 20 } }, im: { steps: 100 }, ex: { steps: 200 } },
    quick: {},
    paper: { base: { lm: { steps: 1500 } }, im: { steps: 10000 }, ex: { steps: 30000, checkpoints: 20 } },
  },
  validate(c) {
    const where = 'experiment theorem2';
    resolveModelConfig({ ...c.base.model, vocabSize: 16, contextLength: 16 }, `${where}: base.model`);
    resolveLmTrainConfig(c.base.lm, `${where}: base.lm`);
    for (const k of ['dim', 'prompts', 'tokensPerClass'] as const)
      check(Number.isInteger(c.constructed[k]) && c.constructed[k] > 0, where, `constructed.${k}`, 'must be a positive integer', c.constructed[k]);
    for (const [name, t] of [
      ['im', c.im],
      ['ex', c.ex],
    ] as const) {
      check(Number.isInteger(t.steps) && t.steps > 0, where, `${name}.steps`, 'must be a positive integer', t.steps);
      check(t.lr > 0, where, `${name}.lr`, 'must be positive', t.lr);
    }
    const all = [...DEFAULT_YES_NO.yesWords, ...DEFAULT_YES_NO.noWords];
    const used = Object.values(c.words).flat();
    if (used.some((w) => !all.includes(w)) || new Set(used).size !== used.length || Object.values(c.words).some((ws) => ws.length === 0)) {
      throw new ConfigError(`${where}: key 'words' must split distinct answer words of the corpus (${all.join(', ')}) into four non-empty groups`);
    }
  },
  workUnits: (c) => c.base.lm.steps + 2,
  dataIdentity: () => ({ generator: 'theorem2 constructed v1 + yes-no-corpus v1', vocabulary: DEFAULT_YES_NO }),
  async runSeed(c, ctx) {
    const sources: Record<string, SingleTokenData> = { constructed: constructedData(c.constructed, ctx.seed) };
    const { tokenizer, base } = await yesNoBase(c.base, ctx.seed, ctx.progress);
    const ids = (ws: string[]) => ws.map((w) => tokenizer.id(` ${w}`));
    const prompts = DEFAULT_YES_NO.nouns.flatMap((n) => DEFAULT_YES_NO.adjectives.map((a) => tokenizer.encode(yesNoPrompt(n, a))));
    sources.model = modelData(
      base.model,
      prompts,
      ids(c.words.trainChosen),
      ids(c.words.trainRejected),
      ids(c.words.unseenChosen),
      ids(c.words.unseenRejected),
      tokenizer.padId,
    );
    base.dispose();
    const artefact: Theorem2Artefact = { sources: {} };
    const metrics: MetricTable = { im: {}, ex: {} };
    const records: Array<Record<string, unknown>> = [];
    for (const [name, data] of Object.entries(sources)) {
      ctx.progress.tick(1, `theorem2 ${name}`);
      try {
        const r = runTheorem2(data, { im: c.im, ex: c.ex }, ctx.seed);
        artefact.sources[name] = r;
        const m = metricsOf(r);
        metrics.im[name] = m.im;
        metrics.ex[name] = m.ex;
        records.push(
          ...r.im.curve.map((p) => ({ kind: 'curve', source: name, rewardModel: 'im', ...p })),
          ...r.ex.curve.map((p) => ({ kind: 'curve', source: name, rewardModel: 'ex', ...p })),
        );
      } catch (e) {
        // Theorem 2 assumes separable training data; say so instead of failing the run.
        if (!(e instanceof NotSeparableError)) throw e;
        artefact.sources[name] = { error: e.message };
      }
    }
    fs.writeFileSync(path.join(ctx.dir, 'theorem2.json'), JSON.stringify(artefact));
    // Theorem 2's mechanism, asserted (after saving what was computed): unseen tokens' unembedding never moves.
    const moved = Object.entries(artefact.sources).filter(([, r]) => !('error' in r) && !(r as Theorem2Result).im.unseenRowsUnchanged);
    if (moved.length) throw new Error(`theorem2: unseen unembedding rows changed for ${moved.map(([n]) => n).join(', ')} (see ${ctx.dir}/theorem2.json)`);
    return { metrics, records };
  },
};
