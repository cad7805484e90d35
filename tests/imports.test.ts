import './helpers'; // guards the default run store
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filesUnder } from '../lib/runs/hash';

const LIB = path.resolve(__dirname, '..', 'lib');

/** Static value imports (not `import type`) between lib/ files: file -> files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const rel of filesUnder(LIB).filter((f) => f.endsWith('.ts'))) {
    const p = path.join(LIB, rel);
    const src = fs.readFileSync(p, 'utf8');
    graph.set(
      p,
      [...src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gm)].map((m) => path.resolve(path.dirname(p), `${m[1]}.ts`)),
    );
  }
  return graph;
}

/**
 * The layers of lib/, lowest first: a file may import its own layer and those below, never above. Files at the top
 * of lib/ (backend, config, random) lib/native and lib/gpu belong with runs, the lowest.
 */
export const LAYERS: string[][] = [
  ['runs', 'native', 'gpu', 'backend.ts', 'config.ts', 'random.ts'],
  ['data', 'tokenizers'],
  ['model'],
  ['rewards'],
  ['train', 'baselines'],
  ['theory'],
  ['experiments'],
  ['report'],
];

function layerOf(rel: string): number {
  const top = rel.split(path.sep)[0];
  const i = LAYERS.findIndex((l) => l.includes(top));
  if (i < 0) throw new Error(`lib/${rel}: its folder '${top}' is in no layer of tests/imports.test.ts`);
  return i;
}

/** Every import of a lib/ file by lib/ files, static, dynamic (import('...')) or require('...'), type-only ones aside. */
function allImports(): Array<{ from: string; to: string }> {
  return filesUnder(LIB)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((rel) => {
      const p = path.join(LIB, rel);
      const src = fs.readFileSync(p, 'utf8');
      const specs = [
        ...src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gm),
        ...src.matchAll(/^import\s+'(\.[^']+)'/gm),
        ...src.matchAll(/\b(?:import|require)\(\s*'(\.[^']+)'\s*\)/g),
      ].map((m) => m[1]);
      return specs.map((s) => {
        const to = path.relative(LIB, path.resolve(path.dirname(p), s));
        return { from: rel, to: fs.existsSync(path.join(LIB, `${to}.ts`)) ? `${to}.ts` : to };
      });
    });
}

describe('lib imports', () => {
  it('follow the layer order runs -> data/tokenizers -> model -> rewards -> train -> theory -> experiments -> report, dynamic imports included', () => {
    const upward = allImports()
      .filter(({ from, to }) => !to.startsWith('..') && layerOf(to) > layerOf(from))
      .map(({ from, to }) => `lib/${from} imports lib/${to} (layer ${layerOf(to)} above ${layerOf(from)})`);
    assert.deepEqual(upward, []);
  });

  it('the layer check sees dynamic imports and requires', () => {
    const found = allImports().filter(({ from }) => from === path.join('native', 'openblas.ts'));
    assert.ok(
      found.every(({ to }) => layerOf(to) === 0),
      JSON.stringify(found),
    );
    assert.ok(
      [..."x = require('./a'); await import('../b')".matchAll(/\b(?:import|require)\(\s*'(\.[^']+)'\s*\)/g)].length === 2,
      'the patterns match both forms',
    );
  });

  it('have no cycles (tslab, which loads lib/ in the notebooks, recurses forever on one)', () => {
    const graph = importGraph();
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      state.set(file, 'open');
      for (const dep of graph.get(file) ?? []) {
        if (!graph.has(dep)) continue;
        if (state.get(dep) === 'open') cycles.push([...trail.slice(trail.indexOf(dep)), dep].map((f) => path.relative(LIB, f)).join(' -> '));
        else if (!state.has(dep)) visit(dep, [...trail, dep]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    assert.deepEqual(cycles, []);
  });
});
