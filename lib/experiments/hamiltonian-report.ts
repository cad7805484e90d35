/** The computed conclusion of the Hamiltonian run (notebook 01), from its summary: tested with hand-made aggregates. */
import { formatCi } from '../runs/format';
import type { Summary } from './runner';

const f3 = (x: number) => x.toFixed(3);

/**
 * Markdown: verification accuracy of both reward models, valid generations of the IM-RM's policy and the base next to
 * the random-permutation baseline, the base's lookup and answer format, and the verdict on "verification needs
 * generation". `format` is the share of answers in the task's format (n vertices, then EOS) per model.
 */
export function hamiltonianConclusion(s: Summary, format: { im: number; base: number }, profile: string): string {
  const R = s.results;
  const G = R.generation;
  const L = R['base-lookup'].test;
  const [im, ex, gen, rnd] = [R.im.test.accuracy, R.ex.test.accuracy, G['im-policy'].valid, G['random-permutation'].valid];
  const verifies = im.ci95 ? im.ci95[0] > 0.5 : im.mean > 0.6;
  const lines = [
    `- IM-RM test accuracy ${formatCi(im)}, EX-RM ${formatCi(ex)} (paper, Pythia-1B: IM-RM 0.993; EX-RM not reported).`,
    `- The IM-RM's policy generated valid cycles for ${formatCi(gen)} of test prompts (paper: 0), the base model for ${formatCi(G.base.valid)}; a random permutation is valid with probability ${rnd.mean.toExponential(2)}.`,
    `- The base model's lookup: ${f3(L.neighbourMass.mean)} of its next-vertex probability on neighbours (uniform ${f3(L.neighbourMassUniform.mean)}, perfect 1).`,
    `- Answers in the task's format (n vertices, then EOS): IM-RM policy ${f3(format.im)}, base ${f3(format.base)}; well-formed (a permutation of the vertices): IM-RM policy ${f3(G['im-policy'].wellFormed.mean)}, base ${f3(G.base.wellFormed.mean)}. ` +
      `Edge lookup (share of consecutive answer vertices joined by an edge): base ${f3(G.base.edgeRate.mean)}, IM-RM policy ${f3(G['im-policy'].edgeRate.mean)}, random vertices ${f3(G['random-permutation'].edgeRate.mean)}.`,
  ];
  // "Does not generate": at most 5% valid, or within 10x of a random permutation when that is larger.
  const verdict =
    verifies && gen.mean <= Math.max(0.05, 10 * rnd.mean)
      ? 'As in the paper, the IM-RM verifies above chance while its policy does not generate valid cycles: verification does not require generation.'
      : verifies
        ? 'The IM-RM verifies above chance, but its policy also generates valid cycles more often than the random baseline: here the two do not separate as in the paper.'
        : 'In this run the small IM-RM does not verify clearly above chance, so this run says little about the hypothesis; the paper-scale model verified at 0.993.';
  return `Measured (${profile} profile, ${s.seeds.length} seed(s), backend ${s.backend}):\n\n${lines.join('\n')}\n\n${verdict}`;
}
