/**
 * HTML for figures and tables, offline: plotly.js is inlined from the installed plotly.js-dist-min (never a CDN),
 * element ids are deterministic (a counter and the figure name, never Math.random or Date), and JSON embedded in
 * <script> is escaped so that user text such as "</script>" cannot end the script.
 */
import * as fs from 'node:fs';
import type { FigureSpec } from './figures';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON safe inside <script>: no "</", no "<!--", no U+2028/2029 line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'figure'
  );
}

let plotlySource: string | null = null;

/** The minified plotly.js bundle of the installed package. */
export function plotlyBundle(): string {
  if (plotlySource === null) plotlySource = fs.readFileSync(require.resolve('plotly.js-dist-min'), 'utf8');
  return plotlySource;
}

export function plotlyVersion(): string {
  return require('plotly.js-dist-min/package.json').version;
}

/**
 * A <script> defining window.Plotly. define/module/exports are shadowed so the UMD bundle attaches to the global
 * object even in pages that load RequireJS (classic Jupyter), where it would otherwise register an anonymous
 * AMD module and leave Plotly undefined.
 */
export function plotlyLoaderHtml(): string {
  const src = plotlyBundle().replace(/<\/script/gi, '<\\/script');
  return (
    `<script type="text/javascript">/* plotly.js ${plotlyVersion()}, inlined for offline use */\n` +
    `(function (define, module, exports) {\n${src}\n}).call(window);</script>`
  );
}

/** A figure as a div plus the script that draws it (needs the loader earlier in the page). */
export function figureHtml(fig: FigureSpec, id: string): string {
  const config = { responsive: true, displaylogo: false };
  return (
    `<div id="${escapeHtml(id)}" class="imrm-figure" style="width:100%;min-height:420px"></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var el = document.getElementById(${scriptJson(id)});\n` +
    `  if (!window.Plotly) { el.textContent = 'plotly.js is not loaded: run the setup cell (report.init()) first.'; return; }\n` +
    `  window.Plotly.newPlot(el, ${scriptJson(fig.data)}, ${scriptJson(fig.layout)}, ${scriptJson(config)});\n` +
    `})();</script>`
  );
}

export interface TableData {
  columns: string[];
  rows: unknown[][];
}

function formatCell(v: unknown, digits: number): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    // Very small or large values keep their significant digits instead of printing as 0.000000.
    const a = Math.abs(v);
    return a < 10 ** -Math.min(digits, 3) || a >= 1e6 ? v.toExponential(Math.min(digits, 3)) : v.toFixed(digits);
  }
  if (v === null || v === undefined) return '';
  return String(v);
}

/** An HTML table with escaped cells; numbers right-aligned with `digits` decimals. */
export function tableHtml(t: TableData, opts: { caption?: string; digits?: number; maxRows?: number } = {}): string {
  const digits = opts.digits ?? 3;
  const rows = opts.maxRows !== undefined ? t.rows.slice(0, opts.maxRows) : t.rows;
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((v) => `<td style="text-align:${typeof v === 'number' ? 'right' : 'left'}">${escapeHtml(formatCell(v, digits))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const more = rows.length < t.rows.length ? `<tr><td colspan="${t.columns.length}">… ${t.rows.length - rows.length} more rows</td></tr>` : '';
  const caption = opts.caption ? `<caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(opts.caption)}</caption>` : '';
  return `<table class="imrm-table" style="border-collapse:collapse;font-size:13px">${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}${more}</tbody></table>`;
}
