/** The computed conclusion of the toy-copy run (notebook 00), from its typed summary: tested with hand-made aggregates. */
import { formatCi } from '../runs/format';
import type { Summary } from './runner';
import { type Aggregate, cisOverlap, consistentWithChance } from '../runs/stats';

/**
 * Markdown: per split which reward model leads and whether the CIs separate them, whether the IM-RM tied exactly at
 * step 0 (its policy equals its reference), the length shift against chance, and what the toy can and cannot show.
 */
export function toyCopyConclusion(s: Summary, splits: string[], stepZeroImTieRates: number[], profile: string): string {
  const acc = (rm: string, split: string) => s.results[rm][split].accuracy;
  const lines = splits.map((split) => {
    const ex = acc('ex', split);
    const im = acc('im', split);
    const leader = ex.mean > im.mean ? 'EX-RM ahead' : ex.mean < im.mean ? 'IM-RM ahead' : 'equal';
    const overlap = cisOverlap(ex, im);
    return `- **${split}**: EX-RM ${formatCi(ex)}, IM-RM ${formatCi(im)}: ${leader}${overlap === null ? ' (one seed: no CI)' : overlap ? ' (the 95% CIs overlap: not a clear difference)' : ' (the 95% CIs do not overlap)'}`;
  });
  lines.push(
    `- At step 0 the IM-RM tie rate is ${stepZeroImTieRates.length > 0 && stepZeroImTieRates.every((t) => t === 1) ? 'exactly 1 on every split (policy = reference)' : 'NOT 1: check the reference model'}.`,
  );
  if (splits.includes('longer')) {
    const say = (a: Aggregate) => (consistentWithChance(a) ? 'not distinguishable from chance (0.5 lies inside its 95% CI)' : 'different from chance');
    lines.push(`- On longer strings (a length shift) EX-RM is ${say(acc('ex', 'longer'))}; IM-RM is ${say(acc('im', 'longer'))}.`);
  }
  const [ex, im] = [acc('ex', 'test'), acc('im', 'test')];
  const imAhead = !!(ex.ci95 && im.ci95 && im.ci95[0] > ex.ci95[1]);
  const note = imAhead
    ? "Here the IM-RM is clearly ahead on new strings. This toy is not the paper's setting: its base model was pretrained to *generate* copies, which is exactly the verification rule, so the IM-RM's log-ratio can lean on that generation skill."
    : "This toy is not the paper's setting: its base model was pretrained to *generate* copies, which is exactly the verification rule.";
  return `Measured in this run (${profile} profile, ${s.seeds.length} seed(s), backend ${s.backend}):\n\n${lines.join('\n')}\n\n${note} The paper's claim is about token-level shifts on pretrained language models; the notebooks below test it.`;
}
