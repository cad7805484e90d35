/**
 * The paper's prepared preference datasets (github.com/princeton-pli/exrm-vs-imrm, data_files/): UltraFeedback,
 * its GPT-4.1 rewrites (paraphrase, French, Spanish) of 200 train and 200 test pairs, RewardBench math and code,
 * and RewardMATH. Each split is a Hugging Face `datasets` save_to_disk Arrow file with a JSONL twin; both are
 * read (Arrow by default). Row counts are checked against the "Number of samples" of the final section of the
 * dataset's creation log, so a truncated or different file is caught.
 */
import * as fs from 'node:fs';
import { type DataOptions, dataFile } from './sources';
import { type Row, readArrow, readJsonl } from './formats';
import type { PreferenceExample } from './examples';

const UF = 'exrm-vs-imrm/ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44';
const REWRITTEN = 'exrm-vs-imrm/rewritten/';
const UF_RUN = 'ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44';

/** dataset name -> folder and log inside the mirror layout. */
export const PAPER_DATASETS = {
  ultrafeedback: { dir: UF, log: `${UF}/pref_data_2025_04_19-17_01_44.log` },
  'uf-paraphrase': {
    dir: `${REWRITTEN}rewrite_gpt-4.1_${UF_RUN}_2025_04_19-19_21_58`,
    log: `${REWRITTEN}rewrite_gpt-4.1_${UF_RUN}_2025_04_19-19_21_58/log_2025_04_19-19_21_58.log`,
  },
  'uf-french': {
    dir: `${REWRITTEN}translate_french_gpt-4.1_${UF_RUN}_2025_04_19-19_37_54`,
    log: `${REWRITTEN}translate_french_gpt-4.1_${UF_RUN}_2025_04_19-19_37_54/log_2025_04_19-19_37_54.log`,
  },
  'uf-spanish': {
    dir: `${REWRITTEN}translate_spanish_gpt-4.1_${UF_RUN}_2025_04_19-19_38_08`,
    log: `${REWRITTEN}translate_spanish_gpt-4.1_${UF_RUN}_2025_04_19-19_38_08/log_2025_04_19-19_38_08.log`,
  },
  'rewardbench-math': {
    dir: 'exrm-vs-imrm/rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54',
    log: 'exrm-vs-imrm/rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/pref_data_2025_04_23-15_48_54.log',
  },
  'rewardbench-code': {
    dir: 'exrm-vs-imrm/rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17',
    log: 'exrm-vs-imrm/rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/pref_data_2025_04_23-15_49_17.log',
  },
  rewardmath: {
    dir: 'exrm-vs-imrm/rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54',
    log: 'exrm-vs-imrm/rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/pref_data_2025_04_13-18_27_54.log',
  },
} as const;
export type PaperDataset = keyof typeof PAPER_DATASETS;

export interface PaperPair extends PreferenceExample {
  /** Rewrites: the index of the original pair in the UltraFeedback split, and the original responses. */
  origIndex?: number;
  origChosen?: string;
  origRejected?: string;
}

/** Split -> sample count from the LAST "Split: x / Number of samples: n" of a creation log (after all filtering). */
export function logRowCounts(logText: string): Record<string, number> {
  const out: Record<string, number> = {};
  let split: string | null = null;
  for (const line of logText.split('\n')) {
    const s = /Split: (\w+)/.exec(line);
    if (s) {
      split = s[1];
      continue;
    }
    const n = /Number of samples: (\d+)/.exec(line);
    if (n && split) {
      out[split] = Number(n[1]);
      split = null;
    }
  }
  return out;
}

function toPair(dataset: string, split: string) {
  return (row: Row, i?: number): PaperPair => {
    for (const k of ['prompt', 'chosen', 'rejected']) if (typeof row[k] !== 'string') throw new Error(`field '${k}' must be a string`);
    const pair: PaperPair = { id: `${dataset}/${split}/${i}`, prompt: row.prompt as string, chosen: row.chosen as string, rejected: row.rejected as string };
    if (row.orig_index !== undefined && row.orig_index !== null) {
      pair.origIndex = Number(row.orig_index);
      pair.origChosen = row.orig_chosen as string;
      pair.origRejected = row.orig_rejected as string;
    }
    return pair;
  };
}

export async function loadPaperSplit(
  dataset: PaperDataset,
  split: 'train' | 'test',
  opts: DataOptions & { format?: 'arrow' | 'jsonl' } = {},
): Promise<PaperPair[]> {
  const d = PAPER_DATASETS[dataset];
  if (!d) throw new Error(`unknown dataset '${dataset}' (known: ${Object.keys(PAPER_DATASETS).join(', ')})`);
  const format = opts.format ?? 'arrow';
  const file = await dataFile(`${d.dir}/${split}/data-00000-of-00001.${format}`, opts);
  const make = toPair(dataset, split);
  let index = 0;
  const rows = format === 'arrow' ? readArrow(file, (r) => make(r, index++)) : readJsonl(file, (r) => make(r, index++));
  const expected = logRowCounts(fs.readFileSync(await dataFile(d.log, opts), 'utf8'))[split];
  if (expected !== undefined && rows.length !== expected) {
    throw new Error(`${file}: ${rows.length} rows, but the dataset's creation log (${d.log}) says ${expected}`);
  }
  return rows;
}

/**
 * UltraFeedback pairs joined with their rewrites (the rewrites' orig_index points into the split; their
 * orig_chosen / orig_rejected must equal the original responses, checked): the token-level shift of section 5.2.
 */
export async function loadUfWithRewrites(
  split: 'train' | 'test',
  originals: PaperPair[] | null,
  opts: DataOptions = {},
): Promise<Array<PaperPair & { paraphrase: PaperPair; french: PaperPair; spanish: PaperPair }>> {
  const [paraphrase, french, spanish] = await Promise.all((['uf-paraphrase', 'uf-french', 'uf-spanish'] as const).map((d) => loadPaperSplit(d, split, opts)));
  return paraphrase.map((p, i) => {
    const original: PaperPair = originals?.[p.origIndex as number] ?? {
      id: `ultrafeedback/${split}/${p.origIndex}`,
      prompt: p.prompt,
      chosen: p.origChosen as string,
      rejected: p.origRejected as string,
    };
    for (const [name, r] of [
      ['paraphrase', p],
      ['french', french[i]],
      ['spanish', spanish[i]],
    ] as const) {
      if (r.origIndex !== p.origIndex || r.origChosen !== original.chosen || r.origRejected !== original.rejected) {
        throw new Error(`UltraFeedback ${split} rewrite ${i} (${name}): does not join its original pair ${p.origIndex}`);
      }
    }
    return { ...original, paraphrase: p, french: french[i], spanish: spanish[i] };
  });
}
