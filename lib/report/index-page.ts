/** reports/index.html: one line per notebook (link, status, time, runs used) and the environment stamp. */
import { escapeHtml } from './html';

export interface NotebookReport {
  name: string;
  html: string;
  ok: boolean;
  seconds: number;
  error?: string;
  /** The runs it showed, with what computed them (version, commits, backend). */
  runs: Array<{ experiment: string; dir: string; summary: string; provenance?: string }>;
}

export function indexHtml(reports: NotebookReport[], stamp: Record<string, unknown>): string {
  const rows = reports
    .map((r) => {
      const status = r.ok ? '<span style="color:#1a7f37">ok</span>' : '<span style="color:#cf222e">failed</span>';
      const runs = r.runs
        .map((x) => `${escapeHtml(x.experiment)}: <a href="${escapeHtml(x.summary)}">summary.json</a>${x.provenance ? ` (${escapeHtml(x.provenance)})` : ''}`)
        .join('<br>');
      const error = r.error ? `<details><summary>error</summary><pre>${escapeHtml(r.error)}</pre></details>` : '';
      return `<tr><td><a href="${escapeHtml(r.html)}">${escapeHtml(r.name)}</a></td><td>${status}${error}</td><td>${r.seconds.toFixed(1)} s</td><td>${runs}</td></tr>`;
    })
    .join('\n');
  const env = Object.entries(stamp)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>imrm-workbench reports</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}pre{white-space:pre-wrap;font-size:12px}</style></head>
<body><h1>imrm-workbench reports</h1>
<p>Reproduction of Razin, Lin, Yao, Arora, <i>Why is Your Language Model a Poor Implicit Reward Model?</i> (arXiv 2507.07981).</p>
<h2>Notebooks</h2>
<table><thead><tr><th>notebook</th><th>status</th><th>time</th><th>runs</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Environment</h2>
<table><tbody>
${env}
</tbody></table>
</body></html>
`;
}
