/**
 * RESULTS.md, generated from the run store (`npm run results`): per experiment and run, the headline numbers
 * (mean [95% CI] over seeds) beside the paper's, with the profile, overrides, seeds, backend, run id, the commits
 * that computed the seeds and the wall time. Never hand-edited: regenerate it after a run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Summary } from '../experiments/runner';
import { PROFILES, type ProfileName } from '../experiments/types';
import { formatSeconds } from '../runs/progress';
import { formatCi, formatSeeds } from './format';
import { headlineExtra, headlines } from './headlines';
import { readJsonFile } from '../runs/lock';

export interface StoredRun {
  /** Run folder relative to the store root, e.g. token-cues/930d3d5c2a1b4c5d. */
  id: string;
  summary: Summary<object>;
}

/** Every finished run (a folder with summary.json) under the store root. */
export function readRunStore(root: string): StoredRun[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).flatMap((experiment) => {
    const dir = path.join(root, experiment);
    if (!fs.statSync(dir).isDirectory()) return [];
    return fs.readdirSync(dir).flatMap((hash) => {
      const file = path.join(dir, hash, 'summary.json');
      if (!fs.existsSync(file)) return [];
      try {
        return [{ id: `${experiment}/${hash}`, summary: readJsonFile<Summary<object>>(file) }];
      } catch (e) {
        // A damaged summary is rewritten from its seeds by running the same request again.
        console.error(`results: skipped ${(e as Error).message}; run its request again to rewrite it`);
        return [];
      }
    });
  });
}

/** "key=value" for every leaf of `config` that differs from `defaults` (the run's --set overrides on its profile). */
export function configDifferences(config: unknown, defaults: unknown, prefix = ''): string[] {
  if (config && defaults && typeof config === 'object' && typeof defaults === 'object' && !Array.isArray(config) && !Array.isArray(defaults)) {
    return Object.keys(config).flatMap((k) =>
      configDifferences((config as Record<string, unknown>)[k], (defaults as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k),
    );
  }
  return JSON.stringify(config) === JSON.stringify(defaults) ? [] : [`${prefix}=${JSON.stringify(config)}`];
}

export interface ResultsPageOptions {
  /** experiment -> its current version (a run of another version is marked as such). */
  versions: Record<string, number>;
  /** experiment -> profile -> the profile's resolved config (to show a run's overrides). */
  profileConfig: (experiment: string, profile: ProfileName) => unknown;
  /** Leave out smoke-profile runs (they test the code, not the science). Default true. */
  skipSmoke?: boolean;
  generatedAt?: string;
  /**
   * The page as it is now: an experiment without a finished run in this store keeps its section from it (a store
   * that holds only some experiments' runs updates those and leaves the others as they were).
   */
  previous?: string;
}

/** The `## <experiment>` sections of a page, by experiment, each up to the next such heading. */
export function pageSections(page: string): Record<string, string> {
  const parts = page.split(/^(?=## )/m).slice(1);
  return Object.fromEntries(parts.map((p) => [p.slice(3, p.indexOf('\n')).trim(), p.replace(/\n+$/, '\n')]));
}

const profileRank = (p: string) => (p === 'smoke' ? 9 : ['paper', 'full', 'quick'].indexOf(p) + 1 || 5);

/** The commits that computed the seeds, each marked dirty when any of its seeds ran on uncommitted changes. */
export function commits(s: Pick<Summary<object>, 'provenance'>): string {
  const seen = new Map<string, boolean>();
  for (const p of s.provenance ?? []) {
    const c = p.gitCommit ? p.gitCommit.slice(0, 8) : 'no git';
    seen.set(c, (seen.get(c) ?? false) || !!p.gitDirty);
  }
  return [...seen].map(([c, dirty]) => `${c}${dirty ? ' (dirty)' : ''}`).join(', ') || 'unknown';
}

const shorten = (o: string, max = 90) => (o.length > max ? `${o.slice(0, max - 1)}…` : o);

function overridesOf(run: StoredRun, opts: ResultsPageOptions): string[] {
  const s = run.summary;
  return PROFILES.includes(s.profile) ? configDifferences(s.config, opts.profileConfig(s.experiment, s.profile)) : [];
}

function runSection(run: StoredRun, opts: ResultsPageOptions): string {
  const s = run.summary;
  const current = opts.versions[s.experiment];
  const stale = current !== undefined && s.version !== current ? ` — **version ${s.version}; the code is at version ${current}: recompute before citing**` : '';
  const overrides = overridesOf(run, opts);
  let rows: ReturnType<typeof headlines>;
  try {
    rows = headlines(s);
  } catch (e) {
    // A run stored by an older version can have another metric layout: shown as such, never crashing the page.
    const why = `older metric layout (${(e as Error).message.split('\n')[0]})`;
    return [
      `### ${s.experiment} · ${s.profile}`,
      '',
      `run \`${run.id}\` · version ${s.version ?? '?'} · ${why}: **older version: recompute before citing**`,
      '',
    ].join('\n');
  }
  const head = [
    `### ${s.experiment} · ${s.profile}${overrides.length ? ` with ${overrides.map((o) => `\`${shorten(o)}\``).join(', ')}` : ''}`,
    '',
    `${s.seeds.length} seed(s) · backend ${s.backend} · run \`${run.id}\` · commit ${commits(s)} · computed ${s.createdAt.slice(0, 10)} · ` +
      `${s.seedSeconds.map((x) => formatSeconds(x)).join(', ')} per seed${stale}`,
    '',
  ];
  if (rows.length === 0) return [...head, '(no headline numbers defined for this experiment)', ''].join('\n');
  const table = [
    '| quantity | ours: mean [95% CI] | per seed | paper |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.quantity} | ${formatCi(r.value)} | ${formatSeeds(r.value)} | ${r.paper ?? '—'} |`),
  ];
  const extra = headlineExtra(s);
  return [...head, ...table, '', ...(extra ? [extra, ''] : [])].join('\n');
}

/** The whole page: experiments in registry order; runs by profile (paper, full, quick), the profile's own config first, then newest first. */
export function resultsMarkdown(runs: StoredRun[], experiments: string[], opts: ResultsPageOptions): string {
  const shown = runs.filter((r) => !(opts.skipSmoke ?? true) || r.summary.profile !== 'smoke');
  const previous = opts.previous ? pageSections(opts.previous) : {};
  const sections = experiments.flatMap((e) => {
    const mine = shown
      .filter((r) => r.summary.experiment === e)
      .sort(
        (a, b) =>
          profileRank(a.summary.profile) - profileRank(b.summary.profile) ||
          overridesOf(a, opts).length - overridesOf(b, opts).length ||
          b.summary.createdAt.localeCompare(a.summary.createdAt),
      );
    if (mine.length) return [`## ${e}\n`, ...mine.map((r) => runSection(r, opts))];
    return previous[e] ? [previous[e]] : [];
  });
  return [
    '# Results',
    '',
    `Generated by \`npm run results\` from the run store on ${opts.generatedAt ?? new Date().toISOString().slice(0, 10)}; do not edit by hand.`,
    'Each number is the mean over seeds with its 95% CI (Student t) and the per-seed values; "paper" is the number the',
    'paper reports for its 1B-8B models (none where it reports none). The run id is the folder under `runs/`; the commits',
    'are those that computed the seeds (provenance), the version is part of the run identity (README, "Run identity").',
    '',
    ...(sections.length
      ? sections
      : ['No finished runs in the store yet: run `npm run exp -- <experiment> --profile quick --seeds 3`, then `npm run results`.', '']),
  ].join('\n');
}
