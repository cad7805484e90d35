/**
 * Analysis of the real-world experiment: what the data looks like to a tokenizer (truncation, the paper's token
 * overlap between rewrites and originals, response lengths), averages per evaluation type, and the paired
 * bootstrap comparison of two reward models over the examples of each split (from the per-example scores).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { equalPairFraction } from '../data/overlap';
import type { TruncationStats } from '../data/chat-format';
import { EVAL_SPLITS, EVAL_TYPES, type EvalSplit, type EvalType, type RealWorldData, SPLIT_GROUPS, type TrainSet } from '../data/real-world';
import type { EncodedPair } from '../rewards/sequences';
import { type PairedBootstrap, pairedBootstrap } from '../runs/bootstrap';
import { readJsonl } from '../data/formats';
import type { PairScore } from '../train/evaluate';

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

export interface SplitLengths {
  /** Untruncated response lengths in tokens of the base's tokenizer, and in characters. */
  chosenTokens: number[];
  rejectedTokens: number[];
  chosenChars: number[];
  rejectedChars: number[];
}

/** What the evaluation data look like to the base's tokenizer (part of RealWorldMetrics). */
export interface DataMetrics {
  truncation: Record<EvalSplit, Record<string, number>>;
  lengths: Record<EvalSplit, { meanChosenTokens: number; meanRejectedTokens: number; medianChosenOverRejected: number; fractionChosenLonger: number }>;
  overlap: Record<
    'uf-paraphrase' | 'uf-french' | 'uf-spanish',
    { chosen: number; rejected: number; originalWithItself: number; originalChosenWithRejected: number; relativeToItself: number }
  >;
}

export interface DataStatistics {
  metrics: DataMetrics;
  lengths: Record<EvalSplit, SplitLengths>;
  truncation: Record<EvalSplit, TruncationStats>;
}

/** Truncation, rewrite overlap and length statistics of the evaluation splits under `encode`. */
export function dataStatistics(
  data: RealWorldData,
  formatted: Record<EvalSplit, { pairs: EncodedPair[]; stats: TruncationStats }>,
  encode: (text: string) => number[],
): DataStatistics {
  const truncation = Object.fromEntries(EVAL_SPLITS.map((s) => [s, formatted[s].stats])) as Record<EvalSplit, TruncationStats>;
  const lengths = Object.fromEntries(
    EVAL_SPLITS.map((s) => {
      const pairs = data.eval[s];
      return [
        s,
        {
          chosenTokens: pairs.map((p) => encode(p.chosen).length),
          rejectedTokens: pairs.map((p) => encode(p.rejected).length),
          chosenChars: pairs.map((p) => [...p.chosen].length),
          rejectedChars: pairs.map((p) => [...p.rejected].length),
        },
      ];
    }),
  ) as Record<EvalSplit, SplitLengths>;

  const metrics = { truncation: {}, lengths: {}, overlap: {} } as DataMetrics;
  for (const s of EVAL_SPLITS) {
    const t = truncation[s];
    metrics.truncation[s] = { ...t, fractionTokensDropped: (t.promptTokensDropped + t.responseTokensDropped) / Math.max(1, t.tokensBefore) };
    const l = lengths[s];
    metrics.lengths[s] = {
      meanChosenTokens: mean(l.chosenTokens),
      meanRejectedTokens: mean(l.rejectedTokens),
      medianChosenOverRejected: median(l.chosenTokens.map((c, i) => c / Math.max(1, l.rejectedTokens[i]))),
      fractionChosenLonger: mean(l.chosenChars.map((c, i) => (c > l.rejectedChars[i] ? 1 : c === l.rejectedChars[i] ? 0.5 : 0))),
    };
  }
  // The paper's statistic: fraction of equal token pairs between a rewrite and its original response, next to
  // the same statistic of the original with itself (what "no shift" looks like) and with the other response.
  const originals = data.rewriteOriginals.map((p) => ({ chosen: encode(p.chosen), rejected: encode(p.rejected) }));
  const self = mean(originals.flatMap((o) => [equalPairFraction(o.chosen, o.chosen), equalPairFraction(o.rejected, o.rejected)]));
  const other = mean(originals.map((o) => equalPairFraction(o.chosen, o.rejected)));
  for (const s of ['uf-paraphrase', 'uf-french', 'uf-spanish'] as const) {
    const rewrites = data.eval[s];
    const chosen = mean(rewrites.map((r, i) => equalPairFraction(originals[i].chosen, encode(r.chosen))));
    const rejected = mean(rewrites.map((r, i) => equalPairFraction(originals[i].rejected, encode(r.rejected))));
    metrics.overlap[s] = {
      chosen,
      rejected,
      originalWithItself: self,
      originalChosenWithRejected: other,
      relativeToItself: (chosen + rejected) / 2 / self,
    };
  }
  return { metrics, lengths, truncation };
}

/** Evaluation type -> mean of each metric over the type's splits (types without splits are left out). */
export function groupAverages(
  group: Record<string, Record<string, number>>,
  groups: Record<EvalType, EvalSplit[]>,
): Partial<Record<EvalType, Record<string, number>>> {
  const out: Partial<Record<EvalType, Record<string, number>>> = {};
  for (const type of EVAL_TYPES) {
    const splits = groups[type].filter((s) => group[s]);
    if (splits.length === 0) continue;
    const metrics = Object.keys(group[splits[0]]);
    out[type] = Object.fromEntries(metrics.map((m) => [m, mean(splits.map((s) => group[s][m]))]));
  }
  return out;
}

/** Per-example scores of one reward model on one split of one seed folder, in split order. */
export function readSplitScores(seedDir: string, trainSet: TrainSet, rm: string, split: EvalSplit): PairScore[] {
  const file = path.join(seedDir, trainSet, rm, 'scores', `${split}.jsonl`);
  if (!fs.existsSync(file)) throw new Error(`${file}: missing (has this seed finished?)`);
  return readJsonl<PairScore>(file);
}

/** Per-example correctness (1, 0.5, 0) of one reward model on one split, in split order. */
export function readCorrectness(seedDir: string, trainSet: TrainSet, rm: string, split: EvalSplit): number[] {
  return readSplitScores(seedDir, trainSet, rm, split).map((r) => r.correct);
}

export interface Comparison extends PairedBootstrap {
  trainSet: TrainSet;
  split: string;
  a: string;
  b: string;
}

/**
 * Paired bootstrap of reward model `a` minus `b` (accuracy) over the examples of every split and evaluation type,
 * seeds averaged inside each resample.
 */
export function compareRewardModels(runDir: string, seeds: number[], trainSet: TrainSet, a: string, b: string, resamples = 2000): Comparison[] {
  const read = new Map<string, number[][]>();
  const per = (rm: string, split: EvalSplit): number[][] => {
    const key = `${rm}/${split}`;
    if (!read.has(key))
      read.set(
        key,
        seeds.map((s) => readCorrectness(path.join(runDir, `seed-${s}`), trainSet, rm, split)),
      );
    return read.get(key) as number[][];
  };
  const out: Comparison[] = [];
  const groups = SPLIT_GROUPS[trainSet];
  for (const split of EVAL_SPLITS) {
    out.push({ trainSet, split, a, b, ...pairedBootstrap(per(a, split), per(b, split), resamples, 1 + EVAL_SPLITS.indexOf(split)) });
  }
  for (const type of EVAL_TYPES) {
    if (groups[type].length === 0) continue;
    // Splits of a type have equal sizes, so the mean over their pooled examples is the mean of the split means.
    const pool = (rm: string) => {
      const splits = groups[type].map((s) => per(rm, s));
      return seeds.map((_, k) => splits.flatMap((x) => x[k]));
    };
    out.push({ trainSet, split: `avg ${type}`, a, b, ...pairedBootstrap(pool(a), pool(b), resamples, 100 + EVAL_TYPES.indexOf(type)) });
  }
  return out;
}

/**
 * Share of pairs with responses of unequal length (untruncated tokens, in split order) where a reward model
 * prefers the shorter response, mean over seeds: how much of its choices length alone would explain.
 * NaN when every pair has equal lengths.
 */
export function shorterPreference(
  runDir: string,
  seeds: number[],
  trainSet: TrainSet,
  rm: string,
  split: EvalSplit,
  lengths: Pick<SplitLengths, 'chosenTokens' | 'rejectedTokens'>,
): number {
  const shares = seeds.map((s) => {
    const rows = readSplitScores(path.join(runDir, `seed-${s}`), trainSet, rm, split);
    if (rows.length !== lengths.chosenTokens.length)
      throw new Error(`seed ${s} ${trainSet}/${rm} ${split}: ${rows.length} scores for ${lengths.chosenTokens.length} pairs`);
    const judged = rows
      .map((r, i) => ({ r, shorterChosen: lengths.chosenTokens[i] < lengths.rejectedTokens[i], equal: lengths.chosenTokens[i] === lengths.rejectedTokens[i] }))
      .filter((x) => !x.equal);
    return mean(judged.map(({ r, shorterChosen }) => (r.chosen === r.rejected ? 0.5 : r.chosen > r.rejected === shorterChosen ? 1 : 0)));
  });
  return mean(shares);
}
