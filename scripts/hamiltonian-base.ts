/**
 * npm run ham-base -- [--profile smoke|quick|paper] [--set key=value ...] [--every K] [--workers N]
 * Builds (or resumes, or finds) the cached base model of the hamiltonian experiment for this config — the same
 * base `npm run exp -- hamiltonian` uses, under runs/hamiltonian-base/<hash> — and shows whether it learns edge
 * lookup. Every K steps while training (and once for a finished base): one sampled answer for each of 100 fresh
 * graphs of the current stage's largest size and of task.n vertices — edge rate (share of consecutive answer
 * vertices joined by an edge; random vertices score the density), well-formed and valid fractions — and,
 * teacher-forced on walks along those graphs (lib/experiments/hamiltonian-lookup.ts), where the next-vertex
 * probability goes: the current vertex (a walk never stays), its neighbours (the lookup; uniform guessing puts
 * `uniform` there), other vertices, non-vertex tokens; and the losses of vertex and separator predictions.
 * Interrupt it at any time: the next call resumes from the last checkpoint (base.checkpointEverySteps).
 */
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import { parseOverrides } from '../lib/config';
import { Rng, deriveSeed } from '../lib/random';
import { type Graph, graphDensity, randomGraph } from '../lib/data/hamiltonian';
import { resolveExperimentConfig } from '../lib/experiments/runner';
import { baseTask, generationStats, hamiltonian } from '../lib/experiments/hamiltonian';
import { baseSteps, ensureHamiltonianBase, hamiltonianBaseDir, hamiltonianTokenizer, loadHamiltonianBase } from '../lib/experiments/hamiltonian-base';
import type { ProfileName } from '../lib/experiments/types';
import { lookupDiagnostics } from '../lib/experiments/hamiltonian-lookup';
import type { LanguageModel } from '../lib/model/transformer';
import type { VocabTokenizer } from '../lib/tokenizers/vocab';
import { workersFromArgv } from '../lib/train/data-parallel';
import { Progress, terminalRenderer } from '../lib/runs/progress';

function probeGraphs(n: number, p: number): Graph[] {
  const rng = new Rng(deriveSeed(1, 'base-probe-graphs', n));
  return Array.from({ length: 100 }, () => randomGraph(n, p, rng));
}

async function report(model: LanguageModel, tok: VocabTokenizer, n: number, p: number, step: number): Promise<string> {
  const graphs = probeGraphs(n, p);
  const density = graphs.reduce((a, g) => a + graphDensity(g), 0) / graphs.length;
  const s = await generationStats(
    model,
    tok,
    graphs,
    graphs.map((_, i) => `probe-${i}`),
    { temperature: 1, maxNewTokens: 2 * n + 2, batchSize: 50 },
    deriveSeed(1, 'probe', n, step),
  );
  const d = lookupDiagnostics(model, tok, graphs, new Rng(deriveSeed(1, 'probe-walks', n, step)));
  return (
    `  n = ${n}: edge rate ${s.edgeRate.toFixed(3)} (density ${density.toFixed(3)})  well-formed ${s.wellFormed.toFixed(2)}  valid ${s.valid.toFixed(2)}; ` +
    `next-vertex mass: current ${d.currentMass.toFixed(3)}  neighbours ${d.neighbourMass.toFixed(3)} (uniform ${d.neighbourMassUniform.toFixed(3)})  ` +
    `other ${d.otherVertexMass.toFixed(3)}  non-vertex ${d.nonVertexMass.toFixed(3)}; loss vertex ${d.vertexLoss.toFixed(3)}  separator ${d.separatorLoss.toFixed(3)}`
  );
}

async function main() {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : fallback);
  const sets = argv.flatMap((a, i) => (a === '--set' ? [argv[i + 1]] : []));
  const c = resolveExperimentConfig(hamiltonian, value('--profile', 'paper') as ProfileName, parseOverrides(sets));
  const every = Number(value('--every', '250'));
  if (!(Number.isInteger(every) && every > 0)) throw new Error(`--every must be a positive integer, got ${value('--every', '')}`);
  const backend = await initBackend();
  const workers = workersFromArgv(argv);
  const task = baseTask(c);
  const tok = hamiltonianTokenizer();
  const total = baseSteps(c.base);
  console.log(
    `backend ${backend.backend}, ${workers} worker(s); base ${hamiltonianBaseDir(process.env.IMRM_RUNS_DIR ?? 'runs', task, c.base)}; task n = ${c.task.n}, p = ${c.task.edgeProbability}; stages ${c.base.stages.map((s) => `${s.steps} steps on ${c.base.minVertices}..${s.maxVertices} vertices (walks ${s.walkLength}x, walk fraction ${s.walkFraction ?? c.base.walkFraction})`).join(', then ')}; ` +
      `${c.base.graphs} graphs per stage, ${c.base.model.nLayers} layers x ${c.base.model.dModel}, lr ${c.base.lm.optimizer.lr}, batch ${c.base.lm.batchSize}`,
  );
  const t0 = Date.now();
  let window: number[] = [];
  // A bar with an ETA on stderr (a line at least every 30 s without a terminal); the probes below on stdout.
  const progress = new Progress(total, terminalRenderer());
  const { dir, outcome } = await ensureHamiltonianBase(process.env.IMRM_RUNS_DIR ?? 'runs', task, c.base, {
    onResume: (step, prefix) => {
      progress.skip(step, 'resumed');
      console.log(`resumed after step ${step}${prefix ? ` from the cached base ${prefix}` : ''}`);
    },
    onWait: (h) => console.log(`${h ? `${h.host} pid ${h.pid}` : 'another process'} is building this base: waiting`),
    onStep: async (step, loss, model, stage) => {
      progress.tick(1, `hamiltonian base, stage ${stage + 1}`);
      window.push(loss);
      if (step % every !== 0 && step !== total) return;
      const mean = window.reduce((a, b) => a + b, 0) / window.length;
      window = [];
      const sizes = [...new Set([c.base.stages[stage].maxVertices, c.task.n])];
      console.log(
        `step ${step} (stage ${stage + 1})  answer loss ${mean.toFixed(3)}  ${((Date.now() - t0) / 1000).toFixed(0)} s\n${(await Promise.all(sizes.map((n) => report(model, tok, n, c.task.edgeProbability, step)))).join('\n')}`,
      );
    },
  });
  progress.finish();
  if (outcome !== 'built') {
    const base = loadHamiltonianBase(dir);
    console.log(
      `${outcome} (trained ${total} steps in ${base.seconds.toFixed(0)} s); last-step loss ${base.losses[base.losses.length - 1].toFixed(3)}\n${await report(base.model, tok, c.task.n, c.task.edgeProbability, total)}`,
    );
    base.dispose();
  }
  console.log(`base: ${path.resolve(dir)}`);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
