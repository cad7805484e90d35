/**
 * npm run render-check — opens every exported report (reports/*.html, not the index) in headless Chromium,
 * offline, and checks that every figure was drawn: each figure div (id "imrm-fig-...") must have become a plotly
 * plot (class js-plotly-plot) containing plotly's SVG layer (main-svg). Writes reports/<name>.png screenshots.
 * Exits 1 when a figure is missing or a report has none.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '../lib/report/jupyter';
import { countDrawnFigures } from '../lib/report/render';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--hide-scrollbars',
  '--virtual-time-budget=20000',
];

function chromium(): string {
  for (const c of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((x): x is string => !!x)) {
    if (fs.existsSync(c)) return c;
  }
  throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM to its path)');
}

function run(bin: string, args: string[]): string {
  const userDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'imrm-chromium-'));
  const r = spawnSync(bin, [...CHROMIUM_FLAGS, `--user-data-dir=${userDir}`, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120000 });
  fs.rmSync(userDir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`chromium exited with ${r.status}: ${(r.stderr ?? '').slice(0, 2000)}`);
  return r.stdout;
}

function main() {
  const bin = chromium();
  const dir = path.join(PROJECT_ROOT, process.argv[2] ?? 'reports');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.html') && f !== 'index.html')
    .sort();
  if (files.length === 0) throw new Error(`no reports in ${dir}: run npm run reproduce first`);
  let bad = 0;
  for (const f of files) {
    const url = `file://${path.join(dir, f)}`;
    const dom = run(bin, ['--dump-dom', url]);
    const { figures, drawn } = countDrawnFigures(dom);
    const png = path.join(dir, f.replace(/\.html$/, '.png'));
    run(bin, [`--screenshot=${png}`, '--window-size=1280,2400', url]);
    const ok = figures > 0 && drawn === figures;
    if (!ok) bad++;
    console.log(`${ok ? 'ok ' : 'BAD'} ${f}: ${drawn}/${figures} figures drawn; screenshot ${path.relative(PROJECT_ROOT, png)}`);
  }
  if (bad) {
    console.error(`${bad} report(s) with undrawn figures`);
    process.exit(1);
  }
}

try {
  main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
