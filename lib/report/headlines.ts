/**
 * The headline numbers of each experiment, beside the paper's: what the CLI prints after a run and what
 * RESULTS.md tabulates. One function per experiment reads its typed summary; the paper's numbers are those of
 * ../shared/docs/paper.md (null where the paper reports none).
 */
import type { Summary } from '../experiments/runner';
import type { TokenCuesMetrics } from '../experiments/token-cues';
import type { AlignmentMetrics } from '../experiments/alignment';
import { type BaseRow, baseRows, cellsOf, familySummaryTable } from '../experiments/alignment-report';
import type { RealWorldMetrics } from '../experiments/real-world';
import type { MetricTable } from '../experiments/types';
import { type Aggregate, aggregate } from '../runs/stats';
import { EVAL_TYPES, TRAIN_SETS } from '../data/real-world';
import { rewardModelLabel } from './format';

export interface HeadlineRow {
  quantity: string;
  value: Aggregate;
  /** The paper's number, as the paper states it; null when it has none. */
  paper: string | null;
}

type AnySummary = Summary<object>;
type TableResults = Summary<MetricTable>['results'];

const row = (quantity: string, value: Aggregate | undefined, paper: string | null = null): HeadlineRow[] => (value ? [{ quantity, value, paper }] : []);

function preference(r: TableResults, splits: string[], paper: Record<string, string> = {}): HeadlineRow[] {
  return Object.keys(r)
    .filter((rm) => r[rm][splits[0]]?.accuracy)
    .flatMap((rm) => splits.flatMap((sp) => row(`${rewardModelLabel(rm)} accuracy, ${sp}`, r[rm][sp]?.accuracy, paper[`${rm}/${sp}`] ?? null)));
}

const TOKEN_CUE_PAPER: Record<string, string> = {
  'ex/test-paraphrased': '1.00',
  'im/test-paraphrased': '0.019',
  'ex/train-paraphrased': '1.00',
  'im/train-paraphrased': '0.022',
  'ex/test-original': '1.00',
  'im/test-original': '1.00',
};

function tokenCueRows(r: Summary<TokenCuesMetrics>['results'], prefix = ''): HeadlineRow[] {
  return Object.entries(r.rewardModels).flatMap(([rm, m]) =>
    (['test-original', 'test-paraphrased', 'test-same-prefix'] as const).flatMap((sp) =>
      row(`${prefix}${rewardModelLabel(rm)} accuracy, ${sp}`, m.splits[sp].accuracy, prefix ? null : (TOKEN_CUE_PAPER[`${rm}/${sp}`] ?? null)),
    ),
  );
}

const HEADLINES: Record<string, (s: AnySummary) => HeadlineRow[]> = {
  'toy-copy': (s) => preference(s.results as TableResults, ['test', 'longer']),
  theorem1: (s) => {
    const r = s.results as TableResults;
    return Object.keys(r).flatMap((ref) => {
      const deltas = Object.values(r[ref]);
      const worst = deltas.reduce((a, m) => (m.marginMinOverDelta.mean < a.marginMinOverDelta.mean ? m : a));
      const holds = deltas.reduce((a, m) => (m.boundHolds.mean < a.boundHolds.mean ? m : a));
      return [
        ...row(`${ref} reference: smallest margin / delta over the delta grid`, worst.marginMinOverDelta, '1 (exactly)'),
        ...row(`${ref} reference: bound holds (worst delta)`, holds.boundHolds, '1'),
      ];
    });
  },
  hamiltonian: (s) => {
    const r = s.results as TableResults;
    return [
      ...row('IM-RM verification accuracy, test', r.im?.test?.accuracy, '0.993'),
      ...row('EX-RM verification accuracy, test', r.ex?.test?.accuracy),
      ...row('IM-RM policy: valid cycles generated', r.generation?.['im-policy']?.valid, '0'),
      ...row('base: valid cycles generated', r.generation?.base?.valid),
      ...row('random permutation: valid (exact)', r.generation?.['random-permutation']?.valid),
    ];
  },
  dynamics: (s) => {
    const r = s.results as TableResults;
    return [
      ...row('Eq. 4 (EX-RM, fixed hidden states): max relative error', r.ex?.fixed?.eq4MaxRelError, '0 (exact)'),
      ...row('Eq. 5 (IM-RM): error slope in eta (2 = first order)', r.im?.fixed?.eq5Slope, '2'),
      ...row('IM-RM full fine-tuning: correlation with Eq. 5', r.im?.full?.pearsonWithPrediction),
      ...row('EX-RM full fine-tuning: correlation with Eq. 4', r.ex?.full?.pearsonWithPrediction),
    ];
  },
  theorem2: (s) => {
    const r = s.results as TableResults;
    return [
      ...row('IM-RM accuracy on unseen tokens (base hidden states)', r.im?.model?.unseenAccuracy, '0.5 (exactly)'),
      ...row('EX-RM accuracy on unseen tokens (base hidden states)', r.ex?.model?.unseenAccuracy),
      ...row('EX-RM cosine to the max-margin separator', r.ex?.model?.cosToSvm, '→ 1'),
      ...row('separator accuracy on unseen tokens', r.ex?.model?.svmUnseenAccuracy),
    ];
  },
  pretrain: (s) => {
    const r = s.results as TableResults;
    return [
      ...row('validation perplexity', r.lm?.validation?.perplexity),
      ...row('validation perplexity, Brown', r.lm?.['validation-brown']?.perplexity),
      ...row('validation perplexity, persona statements', r.lm?.['validation-persona']?.perplexity),
    ];
  },
  'token-cues': (s) => tokenCueRows((s as Summary<TokenCuesMetrics>).results),
  'real-world': (s) => {
    const r = (s as Summary<RealWorldMetrics>).results;
    const paper: Record<string, string> = {
      'ex/in-distribution': '0.752',
      'im/in-distribution': '0.646',
      'ex/token-level shift': '0.665',
      'im/token-level shift': '0.602',
      'ex/domain shift': '0.621',
      'im/domain shift': '0.720',
    };
    return TRAIN_SETS.flatMap((t) =>
      ['ex', 'im'].flatMap((rm) =>
        EVAL_TYPES.flatMap((e) =>
          row(
            `trained on ${t}: ${rewardModelLabel(rm)} accuracy, ${e}`,
            r.trained[t]?.[rm]?.byType[e]?.accuracy,
            paper[`${rm}/${e}`] ? `${paper[`${rm}/${e}`]} (mean of six models)` : null,
          ),
        ),
      ),
    );
  },
  // Per trait and word set, per dose: the mean over the dose's replicated bases, seed by seed (the slopes with the
  // base as the unit are in EXTRA.alignment, below the table).
  alignment: (s) => {
    const r = (s as Summary<AlignmentMetrics>).results;
    return cellsOf(r).flatMap(({ trait, wordSet }) => {
      const rows = baseRows(r, trait, wordSet);
      const levels = [...new Set(rows.map((x) => x.dose))];
      return levels.flatMap((dose) => {
        const mine = rows.filter((x) => x.dose === dose);
        const label = `${trait}, ${wordSet}, ${dose === null ? 'absent' : `p=${dose}`} (${mine.length} base${mine.length === 1 ? '' : 's'}):`;
        const over = (f: (x: BaseRow) => Aggregate | undefined) => (mine.every((x) => f(x)) ? meanOfBases(mine.map((x) => f(x) as Aggregate)) : undefined);
        return [
          ...row(
            `${label} hidden-state alignment`,
            over((x) => x.hiddenAlignment),
          ),
          ...row(
            `${label} EX-RM accuracy, test-paraphrased`,
            over((x) => x.paraphrased.ex),
          ),
          ...row(
            `${label} IM-RM accuracy, test-paraphrased`,
            over((x) => x.paraphrased.im),
          ),
          ...row(
            `${label} IM-RM accuracy, test-same-prefix`,
            over((x) => x.samePrefix.im),
          ),
        ];
      });
    });
  },
};

/** Several bases' aggregates over the same seeds, averaged seed by seed. */
function meanOfBases(xs: Aggregate[]): Aggregate {
  return aggregate(xs[0].perSeed.map((_, i) => xs.reduce((a, x) => a + x.perSeed[i], 0) / xs.length));
}

/** Markdown shown below an experiment's headline table: for alignment, the slopes with the base as the unit. */
const EXTRA: Record<string, (s: AnySummary) => string> = {
  alignment: (s) => {
    const t = familySummaryTable((s as Summary<AlignmentMetrics>).results);
    const keys = Object.keys(t[0] ?? {});
    return [
      'Slopes per unit of hidden-state alignment (same-prefix: of unembedding alignment), least squares over the bases with a 95% interval from a bootstrap over bases, then their seeds:',
      '',
      `| ${keys.join(' | ')} |`,
      `|${keys.map(() => '---').join('|')}|`,
      ...t.map((x) => `| ${keys.map((k) => x[k] ?? '—').join(' | ')} |`),
    ].join('\n');
  },
};

export function headlineExtra(summary: AnySummary): string {
  const f = EXTRA[summary.experiment];
  return f ? f(summary) : '';
}

/** The headline rows of a run's summary (every numeric leaf, flattened, for an experiment without headlines). */
export function headlines(summary: AnySummary): HeadlineRow[] {
  const f = HEADLINES[summary.experiment];
  return f ? f(summary) : [];
}
