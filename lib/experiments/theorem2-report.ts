/** The computed reading of the Theorem 2 run (notebook 02), from its summary: tested with hand-made aggregates. */
import type { Summary } from './runner';

const f3 = (x: number) => x.toFixed(3);

/** Markdown: per source of hidden states, the IM-RM's ties on unseen tokens and how far the EX-RM follows the separator. */
export function theorem2Conclusion(s: Summary): string {
  const R = s.results;
  const lines = Object.keys(R.im).map(
    (name) =>
      `- **${name}**: IM-RM unseen accuracy ${R.im[name].unseenAccuracy.mean} with tie rate ${R.im[name].unseenTieRate.mean} ` +
      `(unseen unembedding rows unchanged in ${(100 * R.im[name].unseenRowsUnchanged.mean).toFixed(0)}% of seeds); EX-RM unseen accuracy ${f3(R.ex[name].unseenAccuracy.mean)}, ` +
      `the separator u\\* ranks ${f3(R.ex[name].svmUnseenAccuracy.mean)} of unseen pairs correctly, final cos(u, u\\*) ${f3(R.ex[name].cosToSvm.mean)}.`,
  );
  const ties = Object.keys(R.im).every((n) => R.im[n].unseenAccuracy.mean === 0.5 && R.im[n].unseenTieRate.mean === 1);
  return (
    `Measured (${s.seeds.length} seed(s)):\n\n${lines.join('\n')}\n\n` +
    `${ties ? 'As Theorem 2 states, the IM-RM cannot rank tokens it never saw as responses: every unseen pair ties, accuracy exactly ½.' : 'The IM-RM did NOT tie exactly on unseen pairs: check the run.'} ` +
    "The EX-RM generalises exactly as far as the separator of the training differences does: its unseen accuracy follows the fraction of unseen pairs u\\* ranks correctly, which depends on how the base model's hidden states align the unseen synonyms."
  );
}
