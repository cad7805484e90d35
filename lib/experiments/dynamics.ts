/**
 * dynamics: Eq. 4 and Eq. 5 of the paper predicted vs a real gradient step, on a base LM pretrained on the yes/no
 * synonym corpus. One training triple ("yes, the sky is blue." over "no, the sky is not blue."), and evaluation
 * responses on the training prompt and other prompts, with every answer word (synonyms share contexts but not
 * tokens). Checks: Eq. 4 exact under fixed hidden states; Eq. 5 error of order eta^2 (log-log slope); with all
 * parameters trained, how well the fixed-representation predictions, token overlap and hidden-state similarity
 * explain the actual changes. Artefacts for the notebook: <seed dir>/dynamics.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { check, ConfigError } from '../config';
import { deriveSeed } from '../random';
import { normalArray } from '../model/params';
import { resolveModelConfig } from '../model/config';
import { resolveLmTrainConfig } from '../train/lm';
import { DEFAULT_YES_NO, yesNoPrompt, yesNoResponse } from '../data/yes-no-corpus';
import { pearson, signAgreement, logLogSlope } from '../runs/stats';
import * as dyn from '../theory/dynamics';
import { cosine } from '../theory/svm';
import type { Experiment } from './types';
import { DEFAULT_YES_NO_BASE, type YesNoBaseConfig, yesNoBase } from './yes-no-base';

export interface DynamicsConfig {
  base: YesNoBaseConfig;
  beta: number;
  /** Learning rate of the single steps compared with Eq. 4 / Eq. 5. */
  eta: number;
  /**
   * Learning rates for the Eq. 5 error-order check: large enough that the second-order error stays above float32
   * noise (about 1e-8 here), small enough to stay in the perturbative regime (measured: the slope bends below 2
   * from eta = 10 on).
   */
  etaSweep: number[];
  /** Learning rate of the full fine-tuning step. */
  fullFinetuneEta: number;
  triple: { noun: string; adjective: string; chosenWord: string; rejectedWord: string };
  /** Prompts besides the training prompt in the evaluation set. */
  otherPrompts: number;
}

export interface DynamicsItem {
  id: string;
  text: string;
  word: string;
  yes: boolean;
  samePrompt: boolean;
  overlapChosen: number;
  overlapRejected: number;
  cosChosen: number;
  cosRejected: number;
  ex: { predicted: number; fixed: number; full: number };
  im: { predicted: number; fixed: number; full: number; explanation: dyn.Explanation };
}

export interface DynamicsArtefact {
  tokens: string[][];
  chosen: string[];
  rejected: string[];
  items: DynamicsItem[];
  etaSweep: Array<{ eta: number; maxAbsError: number; maxAbsPredicted: number }>;
  eq5Slope: number;
  /** rho(b, y+) and rho(b, y-) for the training-prompt responses, for heatmaps. */
  rho: Record<string, { plus: number[][]; minus: number[][] }>;
  g: { ex: number; im: number };
}

export const dynamics: Experiment<DynamicsConfig> = {
  version: 1,
  name: 'dynamics',
  description: 'Eq. 4 / Eq. 5 learning-dynamics predictions vs a real gradient step (fixed representations and full fine-tuning)',
  defaults: {
    base: DEFAULT_YES_NO_BASE,
    beta: 0.01,
    eta: 0.1,
    etaSweep: [0.03, 0.1, 0.3, 1, 3],
    fullFinetuneEta: 0.01,
    triple: { noun: 'sky', adjective: 'blue', chosenWord: 'yes', rejectedWord: 'no' },
    otherPrompts: 3,
  },
  profiles: {
    smoke: { base: { documents: 300, lm: { steps: 20 } }, etaSweep: [0.1, 0.3, 1], otherPrompts: 1 },
    quick: {},
    paper: { base: { lm: { steps: 1500 } }, otherPrompts: 6 },
  },
  validate(c) {
    const where = 'experiment dynamics';
    resolveModelConfig({ ...c.base.model, vocabSize: 16, contextLength: 16 }, `${where}: base.model`);
    resolveLmTrainConfig(c.base.lm, `${where}: base.lm`);
    check(c.beta > 0, where, 'beta', 'must be positive', c.beta);
    check(c.eta > 0 && c.fullFinetuneEta > 0, where, 'eta', 'and fullFinetuneEta must be positive', c.eta);
    check(c.etaSweep.length >= 2 && c.etaSweep.every((e) => e > 0), where, 'etaSweep', 'needs >= 2 positive rates', c.etaSweep);
    const v = DEFAULT_YES_NO;
    if (
      !v.nouns.includes(c.triple.noun) ||
      !v.adjectives.includes(c.triple.adjective) ||
      !v.yesWords.includes(c.triple.chosenWord) ||
      !v.noWords.includes(c.triple.rejectedWord)
    ) {
      throw new ConfigError(`${where}: key 'triple' must use a noun, adjective, yes-word and no-word of the corpus (${JSON.stringify(v)})`);
    }
    check(
      Number.isInteger(c.otherPrompts) && c.otherPrompts >= 0 && c.otherPrompts < v.nouns.length,
      where,
      'otherPrompts',
      `must be an integer in [0, ${v.nouns.length - 1}]`,
      c.otherPrompts,
    );
  },
  workUnits: (c) => c.base.lm.steps + 1,
  dataIdentity: () => ({ generator: 'yes-no-corpus v1', vocabulary: DEFAULT_YES_NO }),
  async runSeed(c, ctx) {
    const { tokenizer, base } = await yesNoBase(c.base, ctx.seed, ctx.progress);
    const lm = base.model;
    const enc = (t: string) => tokenizer.encode(t);
    const v = DEFAULT_YES_NO;
    const t = c.triple;
    const triple = {
      prompt: enc(yesNoPrompt(t.noun, t.adjective)),
      chosen: enc(yesNoResponse(t.chosenWord, t.noun, t.adjective, true)),
      rejected: enc(yesNoResponse(t.rejectedWord, t.noun, t.adjective, false)),
    };
    const others = v.nouns
      .filter((n) => n !== t.noun)
      .slice(0, c.otherPrompts)
      .map((n, i) => [n, v.adjectives[(i + 1) % v.adjectives.length]]);
    const prompts = [[t.noun, t.adjective], ...others];
    const meta: Array<{ word: string; yes: boolean; samePrompt: boolean; text: string }> = [];
    const evalSeqs: dyn.Seq[] = prompts.flatMap(([noun, adj], pi) =>
      [...v.yesWords, ...v.noWords].map((word) => {
        const yes = v.yesWords.includes(word);
        const text = yesNoResponse(word, noun, adj, yes);
        meta.push({ word, yes, samePrompt: pi === 0, text });
        return { id: `${noun}-${adj}-${word}`, prompt: enc(yesNoPrompt(noun, adj)), response: enc(text) };
      }),
    );
    const feats = dyn.sequenceFeatures(
      lm,
      [{ id: 'chosen', prompt: triple.prompt, response: triple.chosen }, { id: 'rejected', prompt: triple.prompt, response: triple.rejected }, ...evalSeqs],
      tokenizer.padId,
    );
    const [fp, fm, ...fe] = feats;
    const head = Array.from(normalArray(lm.config.dModel, Math.sqrt(1 / (lm.config.dModel + 1)), deriveSeed(ctx.seed, 'dynamics-head')));

    const exFixed = dyn.fixedExplicitStep(lm, head, triple, evalSeqs, c.eta, tokenizer.padId);
    const exPred = fe.map((b) => dyn.explicitPrediction(c.eta, exFixed.g, b, fp, fm));
    const imFixed = dyn.fixedImplicitStep(lm, triple, evalSeqs, c.eta, c.beta, tokenizer.padId);
    const imContrib = fe.map((b) => dyn.implicitContributions(c.eta, imFixed.g, c.beta, b, fp, fm));
    const imPred = imContrib.map((cs) => cs.reduce((a, x) => a + x.contribution, 0));
    const sweep = c.etaSweep.map((eta) => {
      const step = dyn.fixedImplicitStep(lm, triple, evalSeqs, eta, c.beta, tokenizer.padId);
      const pred = fe.map((b) => dyn.implicitPrediction(eta, step.g, c.beta, b, fp, fm));
      return { eta, maxAbsError: Math.max(...pred.map((p, i) => Math.abs(p - step.change[i]))), maxAbsPredicted: Math.max(...pred.map(Math.abs)) };
    });
    const eq5Slope = logLogSlope(
      sweep.map((s) => s.eta),
      sweep.map((s) => s.maxAbsError),
    );
    const exFull = dyn.fullFinetuneStep('ex', lm, head, triple, evalSeqs, c.fullFinetuneEta, c.beta, tokenizer.padId);
    const imFull = dyn.fullFinetuneStep('im', lm, head, triple, evalSeqs, c.fullFinetuneEta, c.beta, tokenizer.padId);
    // The fixed-representation predictions at the full fine-tuning step's rate.
    const exPredFull = fe.map((b) => dyn.explicitPrediction(c.fullFinetuneEta, exFull.g, b, fp, fm));
    const imPredFull = fe.map((b) => dyn.implicitPrediction(c.fullFinetuneEta, imFull.g, c.beta, b, fp, fm));

    const items: DynamicsItem[] = fe.map((b, i) => ({
      id: b.id,
      ...meta[i],
      overlapChosen: dyn.tokenOverlap(b.response, triple.chosen),
      overlapRejected: dyn.tokenOverlap(b.response, triple.rejected),
      cosChosen: cosine(b.last, fp.last),
      cosRejected: cosine(b.last, fm.last),
      ex: { predicted: exPred[i], fixed: exFixed.change[i], full: exFull.change[i] },
      im: { predicted: imPred[i], fixed: imFixed.change[i], full: imFull.change[i], explanation: dyn.explainImplicitChange(imContrib[i]) },
    }));
    const rho: DynamicsArtefact['rho'] = {};
    fe.forEach((b, i) => {
      if (meta[i].samePrompt) rho[b.id] = { plus: dyn.rhoMatrix(b, fp), minus: dyn.rhoMatrix(b, fm) };
    });
    const piece = (ids: number[]) => ids.map((id) => tokenizer.token(id));
    const artefact: DynamicsArtefact = {
      tokens: fe.map((b) => piece(b.response)),
      chosen: piece(triple.chosen),
      rejected: piece(triple.rejected),
      items,
      etaSweep: sweep,
      eq5Slope,
      rho,
      g: { ex: exFixed.g, im: imFixed.g },
    };
    fs.writeFileSync(path.join(ctx.dir, 'dynamics.json'), JSON.stringify(artefact));
    base.dispose();
    ctx.progress.tick(1, 'dynamics done');

    const overlapDiff = items.map((x) => x.overlapChosen - x.overlapRejected);
    const cosDiff = items.map((x) => x.cosChosen - x.cosRejected);
    const maxPredEx = Math.max(...exPred.map(Math.abs));
    const relation = (changes: number[]) => ({ pearsonOverlap: pearson(changes, overlapDiff), pearsonCosine: pearson(changes, cosDiff) });
    return {
      metrics: {
        ex: {
          fixed: { eq4MaxRelError: Math.max(...exPred.map((p, i) => Math.abs(p - exFixed.change[i]))) / maxPredEx, ...relation(exFixed.change) },
          full: {
            pearsonWithPrediction: pearson(exPredFull, exFull.change),
            signAgreement: signAgreement(exPredFull, exFull.change),
            ...relation(exFull.change),
          },
        },
        im: {
          fixed: {
            eq5Slope,
            eq5RelErrorAtEta: Math.max(...imPred.map((p, i) => Math.abs(p - imFixed.change[i]))) / Math.max(...imPred.map(Math.abs)),
            ...relation(imFixed.change),
          },
          full: {
            pearsonWithPrediction: pearson(imPredFull, imFull.change),
            signAgreement: signAgreement(imPredFull, imFull.change),
            ...relation(imFull.change),
          },
        },
      },
      records: [...sweep.map((s) => ({ kind: 'eta-sweep', ...s })), ...base.losses.map((loss, i) => ({ kind: 'pretrain', step: i + 1, loss }))],
    };
  },
};
