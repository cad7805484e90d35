/** Tables as danfojs DataFrames: built from run summaries and scores, shown as HTML, written as CSV. */
import * as fs from 'node:fs';
import * as dfd from 'danfojs-node';
import type { Summary } from '../experiments/runner';
import type { TableData } from './html';

/**
 * One row per (group, split): for each metric its mean and 95% CI bounds over seeds (CI columns are empty with
 * one seed), plus the number of seeds.
 */
export function summaryFrame(summary: Summary, metrics: string[] = ['accuracy', 'normalizedMargin', 'tieRate', 'loss']): dfd.DataFrame {
  const rows: Array<Record<string, string | number | null>> = [];
  for (const [group, splits] of Object.entries(summary.results)) {
    for (const [split, m] of Object.entries(splits)) {
      const row: Record<string, string | number | null> = { rewardModel: group, split };
      for (const name of metrics) {
        const a = m[name];
        if (!a) continue;
        row[name] = a.mean;
        row[`${name} lo`] = a.ci95 ? a.ci95[0] : null;
        row[`${name} hi`] = a.ci95 ? a.ci95[1] : null;
      }
      row.seeds = summary.seeds.length;
      rows.push(row);
    }
  }
  return new dfd.DataFrame(rows);
}

export function rowsFrame(rows: Array<Record<string, unknown>>): dfd.DataFrame {
  if (rows.length === 0) throw new Error('rowsFrame: no rows');
  return new dfd.DataFrame(rows);
}

export function frameData(df: dfd.DataFrame): TableData {
  return { columns: df.columns.map(String), rows: df.values as unknown[][] };
}

export function writeFrameCsv(df: dfd.DataFrame, file: string): void {
  fs.writeFileSync(file, dfd.toCSV(df) as string);
}

/** JSON-lines reading (scores/<split>.jsonl, metrics.jsonl) is the data layer's: errors name file and line. */
export { readJsonl } from '../data/formats';
