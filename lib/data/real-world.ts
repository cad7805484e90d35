/**
 * The real-world splits of the paper's section 5.2, as preference examples, and how the paper groups them.
 * Training sets: UltraFeedback (offline: the 200 original train pairs that have rewrites; the full 2,000-pair
 * file is not published, a user can point to their own JSONL) and RewardMATH (2,000 train pairs; the first n).
 * Evaluation splits (all "test" files): UltraFeedback, its paraphrase / French / Spanish rewrites (the same 200
 * pairs rewritten), RewardBench math and code, RewardMATH.
 */
import type { DataOptions } from './sources';
import { readJsonl } from './formats';
import { type PaperPair, loadPaperSplit, loadUfWithRewrites } from './paper-datasets';

export const TRAIN_SETS = ['ultrafeedback', 'rewardmath'] as const;
export type TrainSet = (typeof TRAIN_SETS)[number];

export const EVAL_SPLITS = ['ultrafeedback', 'uf-paraphrase', 'uf-french', 'uf-spanish', 'rewardbench-math', 'rewardbench-code', 'rewardmath'] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export const EVAL_TYPES = ['in-distribution', 'token-level shift', 'domain shift'] as const;
export type EvalType = (typeof EVAL_TYPES)[number];

/**
 * Evaluation type of each split per training set. UltraFeedback-trained: as the paper (section 5.2).
 * RewardMATH-trained: the paper's plan evaluates it on UltraFeedback, its rewrites and RewardBench math and code;
 * all of those differ from RewardMATH in domain, so they count as domain shift here (our grouping: the paper's
 * text gives no token-level shift for math).
 */
export const SPLIT_GROUPS: Record<TrainSet, Record<EvalType, EvalSplit[]>> = {
  ultrafeedback: {
    'in-distribution': ['ultrafeedback'],
    'token-level shift': ['uf-paraphrase', 'uf-french', 'uf-spanish'],
    'domain shift': ['rewardbench-math', 'rewardbench-code', 'rewardmath'],
  },
  rewardmath: {
    'in-distribution': ['rewardmath'],
    'token-level shift': [],
    'domain shift': ['ultrafeedback', 'uf-paraphrase', 'uf-french', 'uf-spanish', 'rewardbench-math', 'rewardbench-code'],
  },
};

export interface RealWorldData {
  train: Record<TrainSet, PaperPair[]>;
  eval: Record<EvalSplit, PaperPair[]>;
  /** The original UltraFeedback test pair of every rewrite (same order as the rewrite splits). */
  rewriteOriginals: PaperPair[];
}

export interface RealWorldDataConfig {
  /** Training pairs per training set (0 = all available). */
  nTrain: number;
  /** Pairs per evaluation split, the first ones (0 = all). */
  nEval: number;
  /** A JSONL file of UltraFeedback train pairs (prompt, chosen, rejected); '' = the 200 rewritten pairs' originals. */
  ultrafeedbackTrainFile: string;
}

const first = <T>(rows: T[], n: number) => (n > 0 ? rows.slice(0, n) : rows);

function readUserPairs(file: string): PaperPair[] {
  let i = 0;
  return readJsonl(file, (row) => {
    for (const k of ['prompt', 'chosen', 'rejected']) if (typeof row[k] !== 'string') throw new Error(`field '${k}' must be a string`);
    return { id: `ultrafeedback/train/${i++}`, prompt: row.prompt as string, chosen: row.chosen as string, rejected: row.rejected as string };
  });
}

export async function loadRealWorldData(c: RealWorldDataConfig, opts: DataOptions = {}): Promise<RealWorldData> {
  const ufTest = await loadPaperSplit('ultrafeedback', 'test', opts);
  const joined = await loadUfWithRewrites('test', ufTest, opts);
  const rewritten = (kind: 'paraphrase' | 'french' | 'spanish') => joined.map((j) => ({ ...j[kind], id: `uf-${kind}/test/${j[kind].origIndex}` }));
  const ufTrain = c.ultrafeedbackTrainFile
    ? readUserPairs(c.ultrafeedbackTrainFile)
    : (await loadUfWithRewrites('train', null, opts)).map(({ paraphrase: _p, french: _f, spanish: _s, ...original }) => original);
  const evalSplits: Record<EvalSplit, PaperPair[]> = {
    ultrafeedback: ufTest,
    'uf-paraphrase': rewritten('paraphrase'),
    'uf-french': rewritten('french'),
    'uf-spanish': rewritten('spanish'),
    'rewardbench-math': await loadPaperSplit('rewardbench-math', 'test', opts),
    'rewardbench-code': await loadPaperSplit('rewardbench-code', 'test', opts),
    rewardmath: await loadPaperSplit('rewardmath', 'test', opts),
  };
  const n = c.nEval;
  return {
    train: { ultrafeedback: first(ufTrain, c.nTrain), rewardmath: first(await loadPaperSplit('rewardmath', 'train', opts), c.nTrain) },
    eval: Object.fromEntries(EVAL_SPLITS.map((s) => [s, first(evalSplits[s], n)])) as Record<EvalSplit, PaperPair[]>,
    rewriteOriginals: first(
      joined.map(({ paraphrase: _p, french: _f, spanish: _s, ...original }) => original),
      n,
    ),
  };
}
