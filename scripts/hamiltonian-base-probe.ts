/**
 * npm run ham-base-probe -- [--profile quick|paper] [--set key=value ...] [--every K]
 * Does the Hamiltonian base model learn edge lookup? Trains the base of the hamiltonian experiment (its config,
 * with overrides, e.g. --set base.minVertices=3 --set base.lm.steps=2000 --set base.lm.optimizer.lr=3e-3) and every
 * K steps samples one answer for 100 fresh n-vertex graphs, printing the mean answer-token loss of the last K
 * steps, the edge rate (share of consecutive answer vertices joined by an edge; random vertices: the density),
 * the density, and the well-formed and valid fractions. A base that looks edges up has an edge rate near 1.
 * Then, teacher-forced on walks along the probe graphs (lib/experiments/hamiltonian-lookup.ts), where the next-vertex
 * probability goes: on the current vertex (a walk never stays), on its neighbours (uniform guessing: `uniform`),
 * on other vertices, and the losses of the vertex and of the separator predictions.
 */
import { initBackend } from '../lib/backend';
import { parseOverrides } from '../lib/config';
import { Rng, deriveSeed } from '../lib/random';
import { graphDensity, randomGraph } from '../lib/data/hamiltonian';
import { resolveExperimentConfig } from '../lib/experiments/runner';
import { generationStats, hamiltonian, hamiltonianTokenizer, trainHamiltonianBase } from '../lib/experiments/hamiltonian';
import { ProfileName } from '../lib/experiments/types';
import { lookupDiagnostics } from '../lib/experiments/hamiltonian-lookup';

async function main() {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : fallback);
  const sets = argv.flatMap((a, i) => (a === '--set' ? [argv[i + 1]] : []));
  const c = resolveExperimentConfig(hamiltonian, value('--profile', 'paper') as ProfileName, parseOverrides(sets));
  const every = Number(value('--every', '250'));
  if (!(Number.isInteger(every) && every > 0)) throw new Error(`--every must be a positive integer, got ${value('--every', '')}`);
  const backend = await initBackend();
  const tok = hamiltonianTokenizer(c.task.n);
  const rng = new Rng(deriveSeed(1, 'base-probe-graphs'));
  const graphs = Array.from({ length: 100 }, () => randomGraph(c.task.n, c.task.edgeProbability, rng));
  const density = graphs.reduce((a, g) => a + graphDensity(g), 0) / graphs.length;
  console.log(`backend ${backend.backend}; n = ${c.task.n}, base graphs of ${c.base.minVertices}..${c.task.n} vertices, walk fraction ${c.base.walkFraction}, ` +
    `${c.base.model.nLayers} layers x ${c.base.model.dModel}, lr ${c.base.lm.optimizer.lr}, batch ${c.base.lm.batchSize}, ${c.base.lm.steps} steps; density of the probe graphs ${density.toFixed(3)}`);
  const t0 = Date.now();
  let window: number[] = [];
  const { base } = trainHamiltonianBase(c, tok, (step, loss, model) => {
    window.push(loss);
    if (step % every !== 0 && step !== c.base.lm.steps) return;
    const s = generationStats(model, tok, graphs, graphs.map((_, i) => `probe-${i}`), { temperature: 1, maxNewTokens: 2 * c.task.n + 2, batchSize: 50 }, deriveSeed(1, 'probe', step));
    const mean = window.reduce((a, b) => a + b, 0) / window.length;
    window = [];
    const d = lookupDiagnostics(model, tok, graphs, new Rng(deriveSeed(1, 'probe-walks', step)));
    console.log(`step ${step}  loss ${mean.toFixed(3)}  edge rate ${s.edgeRate.toFixed(3)}  well-formed ${s.wellFormed.toFixed(2)}  valid ${s.valid.toFixed(2)}  ${((Date.now() - t0) / 1000).toFixed(0)} s\n` +
      `  next-vertex mass: current ${d.currentMass.toFixed(3)}  neighbours ${d.neighbourMass.toFixed(3)} (uniform ${d.neighbourMassUniform.toFixed(3)})  other vertices ${d.otherVertexMass.toFixed(3)}  ` +
      `non-vertex ${d.nonVertexMass.toFixed(3)}; loss vertex ${d.vertexLoss.toFixed(3)}  separator ${d.separatorLoss.toFixed(3)}`);
  });
  base.dispose();
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
