/**
 * Figure builders: plain plotly {data, layout} specs, built by pure functions and saved as JSON. Nothing here
 * touches the DOM or draws: display.ts and html.ts render the specs; the numbers behind each figure can be
 * written as CSV (figureCsv). Titles use {text: ...} (plotly.js >= 3 ignores plain strings).
 */

export interface FigureSpec {
  /** A stable name: the file name of the saved spec and part of the element id. */
  name: string;
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
}

/** Colour-blind-safe palette (Okabe-Ito), assigned in series order. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

function baseLayout(title: string, xTitle?: string, yTitle?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { text: title },
    xaxis: { title: { text: xTitle ?? '' }, automargin: true },
    yaxis: { title: { text: yTitle ?? '' }, automargin: true },
    margin: { t: 60, r: 20, b: 60, l: 70 },
    legend: { orientation: 'h', y: -0.2 },
    template: { layout: { font: { family: 'sans-serif' } } },
    ...extra,
  };
}

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Lower and upper band (e.g. a 95% CI); drawn as a shaded area. */
  lo?: number[];
  hi?: number[];
  dash?: 'solid' | 'dash' | 'dot';
}

/** Lines with optional shaded bands, e.g. accuracy over epochs per reward model with 95% CIs. */
export type AxisType = 'linear' | 'log';

export function lineWithBands(opts: {
  name: string;
  title: string;
  xTitle?: string;
  yTitle?: string;
  series: LineSeries[];
  yRange?: [number, number];
  xType?: AxisType;
  yType?: AxisType;
}): FigureSpec {
  const data: FigureSpec['data'] = [];
  opts.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    if (s.lo && s.hi) {
      data.push({
        type: 'scatter',
        mode: 'lines',
        x: [...s.x, ...s.x.slice().reverse()],
        y: [...s.hi, ...s.lo.slice().reverse()],
        fill: 'toself',
        fillcolor: rgba(color, 0.18),
        line: { width: 0 },
        hoverinfo: 'skip',
        showlegend: false,
        name: `${s.name} 95% CI`,
      });
    }
    data.push({ type: 'scatter', mode: 'lines+markers', name: s.name, x: s.x, y: s.y, line: { color, dash: s.dash ?? 'solid' } });
  });
  const yaxis = { title: { text: opts.yTitle ?? '' }, automargin: true, type: opts.yType ?? 'linear', ...(opts.yRange ? { range: opts.yRange } : {}) };
  const xaxis = { title: { text: opts.xTitle ?? '' }, automargin: true, type: opts.xType ?? 'linear' };
  return { name: opts.name, data, layout: { ...baseLayout(opts.title, opts.xTitle, opts.yTitle), xaxis, yaxis } };
}

export interface BarSeries {
  name: string;
  y: number[];
  /** Error bar ends (absolute values, e.g. CI bounds). */
  lo?: Array<number | null>;
  hi?: Array<number | null>;
}

/** Grouped bars: one group per category (e.g. split), one bar per series (e.g. reward model). */
export function groupedBars(opts: {
  name: string;
  title: string;
  categories: string[];
  series: BarSeries[];
  yTitle?: string;
  yRange?: [number, number];
}): FigureSpec {
  const data = opts.series.map((s, i) => {
    const bar: Record<string, unknown> = { type: 'bar', name: s.name, x: opts.categories, y: s.y, marker: { color: PALETTE[i % PALETTE.length] } };
    if (s.lo && s.hi) {
      bar.error_y = {
        type: 'data',
        symmetric: false,
        array: s.hi.map((h, j) => (h === null ? 0 : h - s.y[j])),
        arrayminus: s.lo.map((l, j) => (l === null ? 0 : s.y[j] - l)),
      };
    }
    return bar;
  });
  const yaxis = { title: { text: opts.yTitle ?? '' }, automargin: true, ...(opts.yRange ? { range: opts.yRange } : {}) };
  return { name: opts.name, data, layout: { ...baseLayout(opts.title, undefined, opts.yTitle), barmode: 'group', yaxis } };
}

export interface ScatterSeries {
  name: string;
  x: number[];
  y: number[];
  text?: string[];
  /** Show `text` beside each marker (not only on hover). */
  showText?: boolean;
  /** 95% CI bounds drawn as error bars. */
  xCi?: { lo: number[]; hi: number[] };
  yCi?: { lo: number[]; hi: number[] };
}

const errorBars = (values: number[], ci: { lo: number[]; hi: number[] }) => ({
  type: 'data',
  symmetric: false,
  array: values.map((v, i) => ci.hi[i] - v),
  arrayminus: values.map((v, i) => v - ci.lo[i]),
  thickness: 1,
});

/** Scatter plot; with `diagonal`, the line y = x over the data range (predicted vs actual). */
export function scatter(opts: {
  name: string;
  title: string;
  xTitle?: string;
  yTitle?: string;
  series: ScatterSeries[];
  diagonal?: boolean;
  xType?: AxisType;
  yType?: AxisType;
}): FigureSpec {
  const data: FigureSpec['data'] = opts.series.map((s, i) => ({
    type: 'scatter',
    mode: s.showText ? 'markers+text' : 'markers',
    name: s.name,
    x: s.x,
    y: s.y,
    marker: { color: PALETTE[i % PALETTE.length], size: 6, opacity: 0.8 },
    ...(s.text ? { text: s.text, hoverinfo: 'text+x+y', textposition: 'top right' } : {}),
    ...(s.xCi ? { error_x: { ...errorBars(s.x, s.xCi), color: PALETTE[i % PALETTE.length] } } : {}),
    ...(s.yCi ? { error_y: { ...errorBars(s.y, s.yCi), color: PALETTE[i % PALETTE.length] } } : {}),
  }));
  if (opts.diagonal) {
    const all = opts.series.flatMap((s) => [...s.x, ...s.y]).filter(Number.isFinite);
    const lo = Math.min(...all),
      hi = Math.max(...all);
    data.push({ type: 'scatter', mode: 'lines', name: 'y = x', x: [lo, hi], y: [lo, hi], line: { color: '#888', dash: 'dash' } });
  }
  const layout = baseLayout(opts.title, opts.xTitle, opts.yTitle);
  (layout.xaxis as Record<string, unknown>).type = opts.xType ?? 'linear';
  (layout.yaxis as Record<string, unknown>).type = opts.yType ?? 'linear';
  return { name: opts.name, data, layout };
}

/** Heatmap of z[row][column] with labelled axes (e.g. rho_{k,l} over position pairs). */
export function heatmap(opts: {
  name: string;
  title: string;
  z: number[][];
  x: string[];
  y: string[];
  xTitle?: string;
  yTitle?: string;
  zmid?: number;
  colorscale?: string;
}): FigureSpec {
  return {
    name: opts.name,
    data: [{ type: 'heatmap', z: opts.z, x: opts.x, y: opts.y, colorscale: opts.colorscale ?? 'RdBu', zmid: opts.zmid ?? 0, reversescale: true }],
    layout: { ...baseLayout(opts.title, opts.xTitle, opts.yTitle), yaxis: { title: { text: opts.yTitle ?? '' }, autorange: 'reversed', automargin: true } },
  };
}

/** Overlaid histograms (e.g. rewards of chosen vs rejected responses). */
export function histogram(opts: {
  name: string;
  title: string;
  xTitle?: string;
  series: Array<{ name: string; values: number[] }>;
  nbins?: number;
}): FigureSpec {
  const data = opts.series.map((s, i) => ({
    type: 'histogram',
    name: s.name,
    x: s.values,
    opacity: 0.6,
    nbinsx: opts.nbins ?? 30,
    marker: { color: PALETTE[i % PALETTE.length] },
  }));
  return { name: opts.name, data, layout: { ...baseLayout(opts.title, opts.xTitle, 'count'), barmode: 'overlay' } };
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The numbers behind a figure as long-format CSV: trace, x, y (and z for heatmaps). Bands are skipped. */
export function figureCsv(fig: FigureSpec): string {
  const rows: string[] = ['trace,x,y,z'];
  for (const t of fig.data) {
    if (t.hoverinfo === 'skip') continue;
    const name = String(t.name ?? t.type);
    if (t.type === 'heatmap') {
      const z = t.z as number[][];
      z.forEach((row, i) => row.forEach((v, j) => rows.push([name, (t.x as string[])[j], (t.y as string[])[i], v].map(csvCell).join(','))));
    } else if (t.type === 'histogram') {
      (t.x as number[]).forEach((v) => rows.push([name, v, '', ''].map(csvCell).join(',')));
    } else {
      const xs = t.x as unknown[],
        ys = t.y as unknown[];
      xs.forEach((x, i) => rows.push([name, x, ys[i], ''].map(csvCell).join(',')));
    }
  }
  return `${rows.join('\n')}\n`;
}
