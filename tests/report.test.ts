import './helpers'; // guards the default run store
import { NOTEBOOK_COSTS, notebookCostsMarkdown } from '../lib/report/notebook-costs';
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as figures from '../lib/report/figures';
import { escapeHtml, figureHtml, plotlyLoaderHtml, scriptJson, tableHtml } from '../lib/report/html';
import {
  declaredParameters,
  injectParameters,
  cellIdProblems,
  outputProblems,
  readNotebook,
  stripOutputs,
  firstFailure,
  cellSource,
  type Notebook,
} from '../lib/report/notebook';
import { countDrawnFigures } from '../lib/report/render';
import * as display from '../lib/report/display';
import { epochCurve, type RunRecord } from '../lib/report/curves';
import { indexHtml } from '../lib/report/index-page';

const notebooks = fs
  .readdirSync('notebooks')
  .filter((f) => f.endsWith('.ipynb'))
  .map((f) => path.join('notebooks', f));

describe('figure builders', () => {
  it('line with bands: a band trace before each line, titles as {text}', () => {
    const f = figures.lineWithBands({
      name: 'acc',
      title: 'Accuracy',
      xTitle: 'epoch',
      series: [
        { name: 'EX', x: [0, 1], y: [0.5, 0.7], lo: [0.4, 0.6], hi: [0.6, 0.8] },
        { name: 'IM', x: [0, 1], y: [0.5, 0.6] },
      ],
    });
    assert.equal(f.data.length, 3);
    assert.equal(f.data[0].fill, 'toself');
    assert.deepEqual(f.data[0].x, [0, 1, 1, 0]);
    assert.deepEqual(f.data[0].y, [0.6, 0.8, 0.6, 0.4]);
    assert.equal(f.data[1].name, 'EX');
    assert.deepEqual(f.layout.title, { text: 'Accuracy' });
    assert.deepEqual((f.layout.xaxis as { title: unknown }).title, { text: 'epoch' });
  });

  it('grouped bars: asymmetric error bars from CI bounds', () => {
    const f = figures.groupedBars({
      name: 'b',
      title: 'B',
      categories: ['train', 'test'],
      series: [{ name: 'ex', y: [0.8, 0.6], lo: [0.7, null], hi: [0.95, null] }],
    });
    assert.equal(f.layout.barmode, 'group');
    const e = f.data[0].error_y as { array: number[]; arrayminus: number[] };
    assert.deepEqual(
      e.array.map((v) => +v.toFixed(6)),
      [0.15, 0],
    );
    assert.deepEqual(
      e.arrayminus.map((v) => +v.toFixed(6)),
      [0.1, 0],
    );
  });

  it('scatter with diagonal, heatmap and histogram specs, and CSV of the numbers', () => {
    const s = figures.scatter({ name: 's', title: 'S', series: [{ name: 'p', x: [1, 3], y: [2, -1] }], diagonal: true });
    assert.deepEqual(s.data[1].x, [-1, 3]);
    const h = figures.heatmap({ name: 'h', title: 'H', z: [[1, -2]], x: ['a', 'b'], y: ['r'] });
    assert.equal(h.data[0].zmid, 0);
    assert.equal(figures.figureCsv(h), 'trace,x,y,z\nheatmap,a,r,1\nheatmap,b,r,-2\n');
    const g = figures.histogram({ name: 'g', title: 'G', series: [{ name: 'chosen, "a"', values: [1, 2] }] });
    assert.equal(figures.figureCsv(g), 'trace,x,y,z\n"chosen, ""a""",1,,\n"chosen, ""a""",2,,\n');
  });
});

describe('HTML', () => {
  it('escapes </script> and user text inside figure scripts and tables', () => {
    const f = figures.scatter({ name: 'x', title: '</script><script>alert(1)</script>', series: [{ name: '<b>&', x: [1], y: [1] }] });
    const html = figureHtml(f, 'imrm-fig-1-x');
    assert.ok(!html.slice(html.indexOf('<script')).slice(8, -9).includes('</script'), 'a </script> inside the script');
    assert.equal(JSON.parse(scriptJson('</script>\u2028')), '</script>\u2028');
    assert.ok(!scriptJson('</script>').includes('<'));
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const t = tableHtml({ columns: ['a<b'], rows: [['<i>x</i>'], [0.12345]] }, { digits: 2 });
    assert.ok(t.includes('a&lt;b') && t.includes('&lt;i&gt;x&lt;/i&gt;') && t.includes('0.12') && !t.includes('<i>'));
  });

  it('inlines plotly.js without a CDN, shielded from RequireJS', () => {
    const loader = plotlyLoaderHtml();
    assert.ok(loader.length > 1_000_000, 'the bundle is inlined');
    assert.ok(!/<script[^>]*\bsrc=/i.test(loader), 'no script loaded from elsewhere');
    assert.ok(loader.includes('(function (define, module, exports)'));
    assert.equal((loader.match(/<\/script>/g) ?? []).length, 1);
  });

  it('figure ids are deterministic: a counter reset by init()', () => {
    const out: string[] = [];
    display.setSink({ html: (s) => out.push(s), markdown: () => undefined });
    const f = figures.scatter({ name: 'Reward vs. Length', title: 't', series: [] });
    const ids = () => out.map((h) => /<div id="(imrm-fig-[^"]+)"/.exec(h)?.[1]).filter(Boolean);
    display.init();
    display.showFigure(f);
    display.showFigure(f);
    const first = ids();
    out.length = 0;
    display.init();
    display.showFigure(f);
    display.showFigure(f);
    assert.deepEqual(ids(), first);
    assert.deepEqual(first, ['imrm-fig-1-reward-vs-length', 'imrm-fig-2-reward-vs-length']);
    display.setSink(null);
  });

  it('counts drawn figures in a rendered DOM', () => {
    const dom =
      '<div id="imrm-fig-1-a" class="imrm-figure js-plotly-plot"><svg class="main-svg"></svg></div>' +
      '<div id="imrm-fig-2-b" class="imrm-figure">plotly.js is not loaded</div>';
    assert.deepEqual(countDrawnFigures(dom), { figures: 2, drawn: 1 });
  });

  it('the index page links every report and escapes errors', () => {
    const html = indexHtml([{ name: '00-overview', html: '00-overview.html', ok: false, seconds: 1, error: '<boom>', runs: [] }], { backend: 'wasm' });
    assert.ok(html.includes('href="00-overview.html"') && html.includes('&lt;boom&gt;') && html.includes('failed'));
  });
});

describe('curves', () => {
  it('mean and CI per epoch over seeds, dropping epochs some seed lacks', () => {
    const rec = (seed: number, epoch: number, accuracy: number): RunRecord => ({ seed, kind: 'eval', rewardModel: 'im', split: 'test', epoch, accuracy });
    const c = epochCurve([rec(1, 0, 0.5), rec(2, 0, 0.5), rec(1, 1, 0.6), rec(2, 1, 0.8), rec(1, 2, 0.9)], {
      rewardModel: 'im',
      split: 'test',
      metric: 'accuracy',
    });
    assert.deepEqual(c.x, [0, 1]);
    assert.deepEqual(
      c.y.map((v) => +v.toFixed(6)),
      [0.5, 0.7],
    );
    // two seeds: half-width t(1) * std / sqrt(2) = 12.706 * 0.141421 / 1.414214
    assert.ok(Math.abs((c.hi as number[])[1] - (0.7 + 12.706 * 0.1)) < 1e-9);
  });
});

describe('notebooks', () => {
  it('are committed without outputs or execution counts', () => {
    assert.ok(notebooks.length > 0);
    for (const f of notebooks) assert.deepEqual(outputProblems(readNotebook(f), f), []);
    for (const f of notebooks) assert.deepEqual(cellIdProblems(readNotebook(f), f), []);
  });

  it('are thin: every code cell reads as one step (at most 15 lines; analysis lives in lib/)', () => {
    for (const f of notebooks) {
      readNotebook(f).cells.forEach((c, i) => {
        const src = Array.isArray(c.source) ? c.source.join('') : c.source;
        if (c.cell_type === 'code') assert.ok(src.split('\n').length <= 15, `${f} cell ${i}: ${src.split('\n').length} lines`);
      });
    }
  });

  it('the outputs check finds outputs and counts; stripping fixes them', () => {
    const nb: Notebook = {
      cells: [{ cell_type: 'code', source: 'x', metadata: {}, outputs: [{ output_type: 'stream', text: 'hi' }], execution_count: 3 }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    };
    assert.equal(outputProblems(nb, 'n').length, 2);
    assert.deepEqual(outputProblems(stripOutputs(nb), 'n'), []);
  });

  for (const f of notebooks) {
    it(`${f}: parameters injected after the parameters cell, round trip`, () => {
      const nb = readNotebook(f);
      const declared = declaredParameters(nb);
      assert.ok(declared.includes('profile') && declared.includes('seeds'), `declared: ${declared}`);
      const once = injectParameters(nb, { profile: 'quick', seeds: 3 }, f);
      const twice = injectParameters(once, { profile: 'smoke', seeds: 1 }, f);
      assert.equal(once.cells.length, nb.cells.length + 1);
      assert.equal(twice.cells.length, nb.cells.length + 1, 'a second injection replaces the first');
      const p = twice.cells.findIndex((c) => c.metadata.tags?.includes('parameters'));
      assert.deepEqual(twice.cells[p + 1].metadata.tags, ['injected-parameters']);
      assert.deepEqual(cellIdProblems(twice, f), [], 'the injected cell has a stable id of its own');
      assert.match(cellSource(twice.cells[p + 1]), /profile = "smoke";\n\s*seeds = 1;/);
      assert.deepEqual(JSON.parse(JSON.stringify(twice.cells.filter((_, i) => i !== p + 1))), JSON.parse(JSON.stringify(nb.cells)));
      assert.throws(() => injectParameters(nb, { sedes: 2 }, f), /unknown parameter 'sedes' \(declared: profile, seeds(, \w+)*\)/);
    });
  }

  it('finds missing, malformed and repeated cell ids', () => {
    const cell = (id?: string) => ({
      cell_type: 'code' as const,
      source: '',
      metadata: {},
      outputs: [],
      execution_count: null,
      ...(id === undefined ? {} : { id }),
    });
    const nb: Notebook = { cells: [cell('a'), cell(), cell('b c'), cell('a')], metadata: {}, nbformat: 4, nbformat_minor: 5 };
    assert.deepEqual(cellIdProblems(nb, 'n'), [
      'n: cell 1 has no id',
      "n: cell 2 has the id 'b c' (allowed: 1-64 of A-Z a-z 0-9 - _)",
      "n: cell 3 repeats the id 'a' of cell 0",
    ]);
    assert.deepEqual(cellIdProblems({ ...nb, cells: [cell('a')], nbformat_minor: 4 }, 'n'), ['n: nbformat 4.4; cell ids need 4.5']);
  });

  it('reads the real message of a failed tslab cell from stderr', () => {
    const nb: Notebook = {
      cells: [
        {
          cell_type: 'code',
          source: ['foo(', ')'],
          metadata: {},
          execution_count: 1,
          outputs: [{ output_type: 'stream', name: 'stderr', text: ['ReferenceError: foo is not defined\n'] }],
        },
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    };
    const f = firstFailure(nb, 0);
    assert.equal(f.source, 'foo()');
    assert.equal(f.message, 'ReferenceError: foo is not defined');
  });
});

describe('notebook costs', () => {
  it('the README carries the table that reproduce --help prints', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
    assert.ok(readme.includes(notebookCostsMarkdown()), 'README.md: paste notebookCostsMarkdown() (lib/report/notebook-costs.ts) in place of its table');
    assert.deepEqual(
      NOTEBOOK_COSTS.map((c) => `${c.notebook}.ipynb`),
      fs
        .readdirSync(path.resolve(__dirname, '..', 'notebooks'))
        .filter((f) => f.endsWith('.ipynb'))
        .sort(),
    );
  });
});
