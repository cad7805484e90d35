/**
 * Showing figures, tables, markdown and progress in a tslab notebook. plotly.js is sent ONCE per notebook by
 * init() (the setup cell); figure ids come from a counter reset by init(), so re-running a notebook gives the
 * same HTML. Outside a notebook (tests, scripts) output goes to a sink set with setSink, or is dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as dfd from 'danfojs-node';
import { type FigureSpec, figureCsv } from './figures';
import { type TableData, figureHtml, plotlyLoaderHtml, slug, tableHtml } from './html';
import { frameData, writeFrameCsv } from './tables';
import { type ProgressRenderer, formatSeconds } from '../runs/progress';

export interface Sink {
  html(s: string): void;
  markdown(s: string): void;
}

interface TslabDisplay extends Sink {
  text(s: string): void;
}

let customSink: Sink | null = null;
let figureCounter = 0;
let initialised = false;

function tslab(): { display: TslabDisplay; newDisplay(): TslabDisplay } | null {
  try {
    return require('tslab');
  } catch {
    return null;
  }
}

/** The tslab display when running inside the kernel, else the custom sink, else null. */
function sink(): Sink | null {
  if (customSink) return customSink;
  const t = tslab();
  if (!t) return null;
  return {
    html: (s) => {
      try {
        t.display.html(s);
      } catch {
        /* not inside a kernel */
      }
    },
    markdown: (s) => {
      try {
        t.display.markdown(s);
      } catch {
        /* not inside a kernel */
      }
    },
  };
}

export function setSink(s: Sink | null): void {
  customSink = s;
}

/** Call once at the top of a notebook: loads plotly.js into the page and resets figure ids. */
export function init(): void {
  figureCounter = 0;
  initialised = true;
  sink()?.html(plotlyLoaderHtml());
}

/** Saves <dir>/figures/<name>.json (the spec) and <name>.csv (its numbers). */
export function saveFigure(fig: FigureSpec, dir: string): string {
  const out = path.join(dir, 'figures');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `${fig.name}.json`), JSON.stringify(fig));
  fs.writeFileSync(path.join(out, `${fig.name}.csv`), figureCsv(fig));
  return path.join(out, `${fig.name}.json`);
}

export function showFigure(fig: FigureSpec, opts: { saveTo?: string } = {}): void {
  if (!initialised) init();
  figureCounter++;
  if (opts.saveTo) saveFigure(fig, opts.saveTo);
  sink()?.html(figureHtml(fig, `imrm-fig-${figureCounter}-${slug(fig.name)}`));
}

export function showTable(table: dfd.DataFrame | TableData, opts: { caption?: string; digits?: number; maxRows?: number; csv?: string } = {}): void {
  const data = table instanceof dfd.DataFrame ? frameData(table) : table;
  if (opts.csv && table instanceof dfd.DataFrame) writeFrameCsv(table, opts.csv);
  sink()?.html(tableHtml(data, opts));
}

export function showMarkdown(md: string): void {
  sink()?.markdown(md);
}

/** A progress renderer for notebooks: one display entry, updated in place, with an ETA. */
export function notebookProgress(): ProgressRenderer {
  const t = tslab();
  let d: TslabDisplay | null = null;
  return (s, final) => {
    const pct = s.total > 0 ? Math.round((100 * s.done) / s.total) : 100;
    const eta = final ? 'done' : `ETA ${s.etaS === null ? '?' : formatSeconds(s.etaS)}`;
    const html =
      `<div style="font-family:monospace"><progress value="${s.done}" max="${s.total}" style="width:300px"></progress> ` +
      `${pct}% ${s.done}/${s.total} ${s.label.replace(/</g, '&lt;')} &middot; ${formatSeconds(s.elapsedS)} &middot; ${eta}</div>`;
    if (customSink) return customSink.html(html);
    try {
      d = d ?? t?.newDisplay() ?? null;
      d?.html(html);
    } catch {
      /* not inside a kernel */
    }
  };
}
