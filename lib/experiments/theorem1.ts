/**
 * theorem1: Theorem 1 checked exactly. The responses are all n! vertex sequences of a small random graph with a
 * planted Hamiltonian cycle (correct = a valid cycle). For several reference distributions (uniform, random,
 * adversarial: mass eps on the correct ones) and a grid of delta / beta, the tilted policy's IM-RM margin between
 * every correct and every incorrect response, pi(correct), and the bound e^{delta/beta} pi_ref(correct).
 */
import { check } from '../config';
import { Rng, deriveSeed } from '../random';
import { isHamiltonianCycle, adjacency, randomGraph } from '../data/hamiltonian';
import { checkTilt } from '../theory/theorem1';
import type { Experiment, MetricTable } from './types';

export interface Theorem1Config {
  /** Vertices of the enumerated graph (n! responses). */
  n: number;
  edgeProbability: number;
  beta: number;
  deltaOverBeta: number[];
  /** pi_ref(correct) of the adversarial reference. */
  adversarialMass: number;
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

export const theorem1: Experiment<Theorem1Config> = {
  version: 1,
  name: 'theorem1',
  description: 'Theorem 1: an IM-RM can verify perfectly while its policy almost never generates a correct answer (exact check)',
  defaults: { n: 6, edgeProbability: 0.3, beta: 0.01, deltaOverBeta: [0.5, 1, 2, 5, 10, 20], adversarialMass: 1e-12 },
  profiles: { smoke: { n: 5 }, quick: {}, paper: { n: 7 } },
  validate(c) {
    const where = 'experiment theorem1';
    check(Number.isInteger(c.n) && c.n >= 4 && c.n <= 8, where, 'n', 'must be an integer in [4, 8] (n! responses are enumerated)', c.n);
    check(c.beta > 0, where, 'beta', 'must be positive', c.beta);
    check(c.deltaOverBeta.length > 0 && c.deltaOverBeta.every((d) => d > 0), where, 'deltaOverBeta', 'must be positive values', c.deltaOverBeta);
    check(c.adversarialMass > 0 && c.adversarialMass < 1, where, 'adversarialMass', 'must be in (0, 1)', c.adversarialMass);
  },
  workUnits: (c) => 3 * c.deltaOverBeta.length,
  dataIdentity: () => ({ generator: 'hamiltonian v1, all permutations' }),
  async runSeed(c, ctx) {
    const rng = new Rng(deriveSeed(ctx.seed, 'theorem1'));
    const g = randomGraph(c.n, c.edgeProbability, rng);
    const adj = adjacency(g);
    const responses = permutations(c.n);
    const correct = responses.map((r) => isHamiltonianCycle(g, r, adj));
    const nc = correct.filter(Boolean).length;
    const references: Record<string, number[]> = {
      uniform: responses.map(() => 0),
      random: responses.map(() => 2 * rng.normal()),
      // eps spread over the correct responses, 1 - eps over the others
      adversarial: correct.map((ok) => Math.log(ok ? c.adversarialMass / nc : (1 - c.adversarialMass) / (responses.length - nc))),
    };
    const metrics: MetricTable = {};
    const records: Array<Record<string, unknown>> = [];
    for (const [name, logRef] of Object.entries(references)) {
      metrics[name] = {};
      for (const d of c.deltaOverBeta) {
        const delta = d * c.beta;
        const t = checkTilt(logRef, correct, c.beta, delta);
        metrics[name][`d${d}`] = {
          marginMinOverDelta: t.marginMin / delta,
          marginMaxOverDelta: t.marginMax / delta,
          verificationAccuracy: t.verificationAccuracy,
          piRefCorrect: t.piRefCorrect,
          piCorrect: t.piCorrect,
          bound: t.bound,
          boundHolds: t.piCorrect <= t.bound * (1 + 1e-12) ? 1 : 0,
          closedFormRelError: Math.abs(t.piCorrect - t.closedForm) / t.closedForm,
        };
        records.push({ kind: 'tilt', reference: name, responses: responses.length, correctResponses: nc, ...t });
        ctx.progress.tick(1, `theorem1 ${name} delta/beta ${d}`);
      }
    }
    return { metrics, records };
  },
};
