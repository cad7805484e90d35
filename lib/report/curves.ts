/** Turning a run's records and summary into the series the figure builders take. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Aggregate, aggregate } from '../runs/stats';
import type { Summary } from '../experiments/runner';
import type { BarSeries, LineSeries } from './figures';
import { readJsonl } from './tables';

export type RunRecord = Record<string, unknown> & { seed: number; kind: string };

export function readRecords(runDir: string): RunRecord[] {
  return readJsonl(path.join(runDir, 'metrics.jsonl')) as RunRecord[];
}

/**
 * Mean over seeds and 95% CI of `metric` per epoch, for the evaluation records of one group and split.
 * Epochs missing in some seed are dropped (never averaged over fewer seeds silently).
 */
export function epochCurve(records: RunRecord[], opts: { rewardModel: string; split: string; metric: string; name?: string }): LineSeries {
  const rows = records.filter((r) => r.kind === 'eval' && r.rewardModel === opts.rewardModel && r.split === opts.split);
  const seeds = [...new Set(rows.map((r) => r.seed))];
  const epochs = [...new Set(rows.map((r) => r.epoch as number))].sort((a, b) => a - b);
  const x: number[] = [],
    y: number[] = [],
    lo: number[] = [],
    hi: number[] = [];
  for (const e of epochs) {
    const values = seeds.map((s) => rows.find((r) => r.seed === s && r.epoch === e)?.[opts.metric]).filter((v): v is number => typeof v === 'number');
    if (values.length !== seeds.length) continue;
    const a = aggregate(values);
    x.push(e);
    y.push(a.mean);
    lo.push(a.ci95 ? a.ci95[0] : a.mean);
    hi.push(a.ci95 ? a.ci95[1] : a.mean);
  }
  return { name: opts.name ?? `${opts.rewardModel} ${opts.split}`, x, y, lo, hi };
}

/** One bar series per group (reward model) over the splits, with CI error bars, from a summary. */
export function summaryBars(summary: Summary, metric: string, splits?: string[], groupNames?: string[]): { categories: string[]; series: BarSeries[] } {
  const groups = groupNames ?? Object.keys(summary.results);
  const categories = splits ?? Object.keys(summary.results[groups[0]]);
  const series = groups.map((g) => ({
    name: g,
    y: categories.map((s) => summary.results[g][s][metric].mean),
    lo: categories.map((s) => summary.results[g][s][metric].ci95?.[0] ?? null),
    hi: categories.map((s) => summary.results[g][s][metric].ci95?.[1] ?? null),
  }));
  return { categories, series };
}

/** One bar series per named group of aggregates (one per category), with CI error bars. */
export function aggregateBars(categories: string[], groups: Array<{ name: string; values: Aggregate[] }>): { categories: string[]; series: BarSeries[] } {
  return {
    categories,
    series: groups.map((g) => ({
      name: g.name,
      y: g.values.map((a) => a.mean),
      lo: g.values.map((a) => a.ci95?.[0] ?? null),
      hi: g.values.map((a) => a.ci95?.[1] ?? null),
    })),
  };
}

/** Per-example scores of one seed, reward model and split. */
export function readScores(runDir: string, seed: number, rewardModel: string, split: string): Array<Record<string, unknown>> {
  const file = path.join(runDir, `seed-${seed}`, rewardModel, 'scores', `${split}.jsonl`);
  if (!fs.existsSync(file)) throw new Error(`no scores at ${file}`);
  return readJsonl(file);
}
