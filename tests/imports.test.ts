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

describe('lib imports', () => {
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
