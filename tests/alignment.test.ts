/** The controlled token-cue family: corpus construction, equal size and compute, word alignment measures, config keys. */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setup, assertClose } from './helpers';
import { Rng } from '../lib/random';
import {
  ALIGNMENT_VARIANTS,
  ALIGNMENT_VARIANT_NAMES,
  type AnsweredStatementsConfig,
  NEUTRAL_PREFIXES,
  answeredStatement,
  checkAnsweredStatementsConfig,
  doseOf,
  variantGroups,
} from '../lib/data/answered-statements';
import { DEFAULT_PRETRAINING_CORPUS, loadPretrainingCorpus } from '../lib/data/pretraining-corpus';
import { type PersonaStatement, loadPersona } from '../lib/data/persona';
import { TOKEN_CUES } from '../lib/data/token-cues';
import { alignment, baseOverrides } from '../lib/experiments/alignment';
import { pretrain } from '../lib/experiments/pretrain';
import { resolveExperimentConfig, runExperiment } from '../lib/experiments/runner';
import { alignmentScore, alignmentOf, wordTokens } from '../lib/theory/word-alignment';
import { alignmentRows, alignmentVerdicts, pairedDifference, verdictsMarkdown } from '../lib/experiments/alignment-report';
import { aggregate } from '../lib/runs/stats';

const roles = {
  trainChosen: TOKEN_CUES.trainChosenWords,
  trainRejected: TOKEN_CUES.trainRejectedWords,
  paraphraseChosen: TOKEN_CUES.paraphraseChosenWords,
  paraphraseRejected: TOKEN_CUES.paraphraseRejectedWords,
};

describe('answered statements', () => {
  it('the three variants put the paraphrase words with the same meaning, the opposite, or nowhere', () => {
    for (const v of ALIGNMENT_VARIANT_NAMES) assert.deepEqual(variantGroups(v, roles), ALIGNMENT_VARIANTS[v]);
    for (const p of NEUTRAL_PREFIXES) {
      const used = [
        ...TOKEN_CUES.trainChosenPrefixes,
        ...TOKEN_CUES.trainRejectedPrefixes,
        TOKEN_CUES.paraphraseChosenPrefix,
        TOKEN_CUES.paraphraseRejectedPrefix,
      ];
      assert.ok(
        used.every((u) => !u.startsWith(p.trim()) && !p.startsWith(u.trim())),
        `prefix ${p} overlaps an experiment prefix`,
      );
    }
  });

  it("answers a statement with words of its label's group after distinct prefixes", () => {
    const c: AnsweredStatementsConfig = {
      groups: ALIGNMENT_VARIANTS.aligned,
      prefixes: NEUTRAL_PREFIXES,
      answersPerStatement: 2,
      tokenizerWords: [...ALIGNMENT_VARIANTS.aligned.agree, ...ALIGNMENT_VARIANTS.aligned.disagree],
    };
    const rng = new Rng(3);
    for (const label of ['Yes', 'No'] as const) {
      for (let i = 0; i < 20; i++) {
        const lines = answeredStatement({ statement: 'I like tea', matchingAnswer: label } as PersonaStatement, c, rng).split('\n');
        assert.equal(lines[0], 'I like tea');
        assert.equal(lines.length, 3);
        const prefixes = lines.slice(1).map((l) => NEUTRAL_PREFIXES.find((p) => l.startsWith(p)) as string);
        assert.equal(new Set(prefixes).size, 2);
        const group = label === 'Yes' ? c.groups.agree : c.groups.disagree;
        lines.slice(1).forEach((l, k) => assert.ok(group.includes(l.slice(prefixes[k].length)), l));
      }
    }
  });
});

describe('answered statements with a dose p', () => {
  const config = (p: number): AnsweredStatementsConfig => ({
    ...doseOf(p, roles),
    prefixes: NEUTRAL_PREFIXES,
    answersPerStatement: 2,
    tokenizerWords: [...ALIGNMENT_VARIANTS.aligned.agree, ...ALIGNMENT_VARIANTS.aligned.disagree],
  });
  /** Over 2,000 statements of each label: the share of paraphrase answers, and the share of those with their meaning. */
  function shares(p: number): { paraphrase: number; ownMeaning: number } {
    const c = config(p);
    const rng = new Rng(11);
    let answers = 0;
    let paraphrase = 0;
    let own = 0;
    for (const label of ['Yes', 'No'] as const)
      for (let i = 0; i < 2000; i++)
        for (const line of answeredStatement({ statement: 'S', matchingAnswer: label } as PersonaStatement, c, rng)
          .split('\n')
          .slice(1)) {
          const word = line.slice((NEUTRAL_PREFIXES.find((x) => line.startsWith(x)) as string).length);
          answers++;
          const agreeing = roles.paraphraseChosen.includes(word);
          if (agreeing || roles.paraphraseRejected.includes(word)) {
            paraphrase++;
            if (agreeing === (label === 'Yes')) own++;
          } else assert.ok((label === 'Yes' ? roles.trainChosen : roles.trainRejected).includes(word), `${label}: ${word}`);
        }
    return { paraphrase: paraphrase / answers, ownMeaning: own / paraphrase };
  }

  it('p is the share of paraphrase answers that follow their meaning; their frequency does not move with p', () => {
    // The paper's lists: 4 paraphrase words of 8, so half the answers are paraphrase words, as on the aligned base.
    assert.equal(doseOf(0.3, roles).paraphraseDose.share, 0.5);
    for (const p of [0, 0.25, 0.5, 1]) {
      const s = shares(p);
      assert.ok(Math.abs(s.paraphrase - 0.5) < 0.02, `p ${p}: paraphrase share ${s.paraphrase}`);
      assert.ok(Math.abs(s.ownMeaning - p) < 0.02, `p ${p}: own-meaning share ${s.ownMeaning}`);
    }
  });

  it('refuses a dose outside [0, 1] and paraphrase words that are also group words, naming the key', () => {
    assert.throws(() => checkAnsweredStatementsConfig(config(1.2), 'corpus.answers'), /corpus\.answers.*paraphraseDose\.p.*must be in \[0, 1\]/);
    const clash = config(0.5);
    clash.groups.agree.push('certainly');
    assert.throws(() => checkAnsweredStatementsConfig(clash, 'corpus.answers'), /paraphraseDose.*cannot also be in the groups/);
    assert.doesNotThrow(() => checkAnsweredStatementsConfig(config(0.5), 'corpus.answers'));
  });
});

describe('the alignment family of bases', () => {
  before(setup);
  const small = { maxBrownDocuments: 4, maxStatementsPerTrait: 30 };
  const corpusOf = async (v: (typeof ALIGNMENT_VARIANT_NAMES)[number]) => {
    const c = resolveExperimentConfig(alignment, 'smoke');
    const overrides = baseOverrides(c, v);
    return loadPretrainingCorpus({ ...DEFAULT_PRETRAINING_CORPUS, ...small, ...overrides.corpus }, 1);
  };

  it("never holds the experiment's trait; equal statements, answers and documents in every variant; one tokenizer text", async () => {
    const corpora = await Promise.all(ALIGNMENT_VARIANT_NAMES.map(corpusOf));
    const agreeable = (await loadPersona('agreeableness')).map((s) => s.statement);
    const statementsByLabel = new Map<string, string>();
    for (const t of corpora[0].traits) for (const s of (await loadPersona(t)).slice(0, 30)) statementsByLabel.set(s.statement, s.matchingAnswer);
    const texts = corpora.map((c) => [...c.train, ...c.validation].flatMap((p) => p.documents).join('\n'));
    for (const [i, c] of corpora.entries()) {
      assert.ok(!c.traits.includes('agreeableness'));
      const lines = new Set(texts[i].split('\n'));
      assert.ok(
        agreeable.every((s) => !lines.has(s)),
        'an agreeableness statement was pretrained on',
      );
      assert.deepEqual(c.tokenizerDocuments, corpora[0].tokenizerDocuments, 'every variant trains the same tokenizer');
      assert.deepEqual(
        c.train.map((p) => p.documents.length),
        corpora[0].train.map((p) => p.documents.length),
      );
    }
    // Each answer line follows a statement and uses a word of that statement's label group.
    for (const [i, v] of ALIGNMENT_VARIANT_NAMES.entries()) {
      const groups = ALIGNMENT_VARIANTS[v];
      let statement = '';
      let answers = 0;
      for (const line of corpora[i].train[1].documents.join('\n').split('\n')) {
        const prefix = NEUTRAL_PREFIXES.find((p) => line.startsWith(p));
        if (!prefix || statementsByLabel.has(line)) {
          statement = line;
          continue;
        }
        const word = line.slice(prefix.length);
        const group = statementsByLabel.get(statement) === 'Yes' ? groups.agree : groups.disagree;
        assert.ok(group.includes(word), `${v}: '${word}' after a ${statementsByLabel.get(statement)} statement`);
        answers++;
      }
      assert.equal(answers, 2 * (corpora[i].train[1].documents.join('\n').split('\n').length / 3));
      if (v === 'absent') assert.ok(!/^(Answer|Reply|Their verdict|Someone said): (certainly|absolutely|not really|nope)$/m.test(texts[i]));
    }
  });

  it('bases differ only in their word groups: same architecture, steps, batch and context (equal compute)', () => {
    const c = resolveExperimentConfig(alignment, 'paper');
    const configs = ALIGNMENT_VARIANT_NAMES.map((v) => resolveExperimentConfig(pretrain, c.base.profile, baseOverrides(c, v)));
    const strip = (x: (typeof configs)[number]) => ({ ...x, corpus: { ...x.corpus, answers: { ...x.corpus.answers, groups: null } } });
    for (const x of configs) assert.deepEqual(strip(x), strip(configs[0]));
    assert.deepEqual(
      configs.map((x) => x.corpus.answers?.groups),
      ALIGNMENT_VARIANT_NAMES.map((v) => ALIGNMENT_VARIANTS[v]),
    );
    assert.deepEqual(configs[0].corpus.heldOutTraits, ['agreeableness']);
    assert.equal(configs[0].train.steps, resolveExperimentConfig(pretrain, 'full').train.steps);
  });

  it('trains the smoke family with one tokenizer, and another trait is held out when asked', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-align-'));
    const c = resolveExperimentConfig(alignment, 'smoke');
    const toks = await Promise.all(
      ALIGNMENT_VARIANT_NAMES.map(async (v) => {
        const run = await runExperiment(pretrain, { profile: 'smoke', seeds: 1, root, overrides: baseOverrides(c, v) });
        return JSON.stringify(JSON.parse(fs.readFileSync(path.join(run.dir, 'seed-1', 'model', 'config.json'), 'utf8')).tokenizer);
      }),
    );
    assert.equal(toks[1], toks[0]);
    assert.equal(toks[2], toks[0]);
    const openness = resolveExperimentConfig(alignment, 'smoke', { tokenCues: { data: { trait: 'openness' } } });
    assert.deepEqual(baseOverrides(openness, 'aligned').corpus.heldOutTraits, ['openness']);
    fs.rmSync(root, { recursive: true });
  });

  it('bad config is one error naming the key', () => {
    assert.throws(() => resolveExperimentConfig(alignment, 'smoke', { variants: ['aligned', 'reversed'] }), /key 'variants' must list distinct variants/);
    assert.throws(
      () => resolveExperimentConfig(alignment, 'smoke', { base: { profile: 'paper' } }),
      /key 'base.profile' must be a pretrain profile \(smoke, quick, full\)/,
    );
    assert.throws(
      () => resolveExperimentConfig(alignment, 'smoke', { answers: { answersPerStatement: 9 } }),
      /answers: key 'answersPerStatement' must be an integer in \[1, 4\]/,
    );
    assert.throws(
      () => resolveExperimentConfig(alignment, 'smoke', { tokenCues: { data: { paraphraseChosenWords: ['yes'] } } }),
      /key 'data.paraphraseChosenWords' shares words with data.trainChosenWords/,
    );
  });
});

describe('word alignment', () => {
  it('the score averages own-meaning minus opposite-meaning cosines over the paraphrase words (hand-computed)', () => {
    const words = ['y', 'n', 'p', 'q'];
    const cos: Record<string, Record<string, number>> = Object.fromEntries(words.map((a) => [a, Object.fromEntries(words.map((b) => [b, a === b ? 1 : 0]))]));
    cos.p.y = 0.8;
    cos.p.n = -0.2; // p (chosen paraphrase): 0.8 - (-0.2) = 1.0
    cos.q.n = 0.1;
    cos.q.y = 0.5; //  q (rejected paraphrase): 0.1 - 0.5 = -0.4
    assertClose(alignmentScore(cos, { trainChosen: ['y'], trainRejected: ['n'], paraphraseChosen: ['p'], paraphraseRejected: ['q'] }), 0.3, 1e-12);
  });

  it('centres the vectors: paraphrases on their own side score +2, on the opposite side -2', () => {
    const r = { trainChosen: ['y'], trainRejected: ['n'], paraphraseChosen: ['p'], paraphraseRejected: ['q'] };
    const shift = [5, 5];
    const add = (v: number[]) => v.map((x, j) => x + shift[j]); // a common component: raw cosines near 1, centred ones not
    assertClose(alignmentOf({ y: add([1, 0]), p: add([1, 0]), n: add([-1, 0]), q: add([-1, 0]) }, r).score, 2, 1e-9);
    assertClose(alignmentOf({ y: add([1, 0]), p: add([-1, 0]), n: add([-1, 0]), q: add([1, 0]) }, r).score, -2, 1e-9);
  });

  it('finds the tokens of a word after a prefix', () => {
    const encode = (t: string) => t.split(/(?= )/).map((w) => w.length + 100 * w.charCodeAt(w.length - 1)); // one token per " word"
    assert.deepEqual(wordTokens(encode, 'I say', ' not really'), encode(' not really'));
  });
});

describe('alignment verdicts (hand-made aggregates)', () => {
  const a = (...perSeed: number[]) => aggregate(perSeed);
  const base = (hidden: number[], ex: number[], im: number[], sep: number[]) => ({
    alignment: { hidden: { score: a(...hidden), cosines: {} }, unembedding: { score: a(0, 0, 0), cosines: {} } },
    tokenCues: {
      rewardModels: Object.fromEntries(
        [
          ['ex', ex],
          ['im', im],
        ].map(([rm, acc]) => [
          rm,
          {
            splits: {
              'test-paraphrased': { accuracy: a(...(acc as number[])) },
              'test-original': { accuracy: a(1, 1, 1) },
              'test-same-prefix': { accuracy: a(0.5, 0.5, 0.5) },
            },
            byWords: {},
          },
        ]),
      ),
      separator: { predictedAccuracy: a(...sep) },
      eq5: {
        chosen: { predictedChange: a(1, 1, 1), tokenMatch: a(2, 2, 2), tokenMismatch: a(-1, -1, -1) },
        rejected: { predictedChange: a(0, 0, 0), tokenMatch: a(0, 0, 0), tokenMismatch: a(0, 0, 0) },
      },
    },
  });

  it('reads the IM-RM same-prefix accuracy against the unembedding alignment', () => {
    const withUnemb = (b: ReturnType<typeof base>, u: number[], same: number[]) => {
      b.alignment.unembedding.score = a(...u);
      (b.tokenCues.rewardModels.im.splits as Record<string, { accuracy: unknown }>)['test-same-prefix'] = { accuracy: a(...same) };
      return b;
    };
    const r = {
      variants: {
        crossed: withUnemb(base([0, 0, 0], [0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0.5, 0.5]), [-0.02, -0.03, -0.02], [0.51, 0.5, 0.52]),
        absent: withUnemb(base([0, 0, 0], [0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0.5, 0.5]), [-0.05, -0.05, -0.06], [0.5, 0.49, 0.5]),
        aligned: withUnemb(base([0, 0, 0], [0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0.5, 0.5]), [0.31, 0.32, 0.31], [0.97, 0.94, 0.96]),
      },
    };
    const v = alignmentVerdicts(r as never).find((x) => x.claim.startsWith('With the prefixes cancelled')) as { holds: string; evidence: string };
    assert.equal(v.holds, 'yes');
    assert.match(v.evidence, /aligned 0\.957 .* Pearson r = 1\.00/);
  });

  it('pairs seeds across bases', () => {
    const d = pairedDifference(a(0.1, 0.5, 0.9), a(0.2, 0.6, 1.0));
    assertClose(d.mean, 0.1, 1e-12);
    assertClose(d.std, 0, 1e-12); // the same step in every seed: reliable although the bases' own CIs overlap
  });

  it('reports rising accuracy, a predictive separator and an IM-RM below chance when the numbers say so', () => {
    const r = {
      variants: {
        aligned: base([0.5, 0.6, 0.7], [0.9, 1, 0.95], [0, 0, 0.1], [0.9, 1, 0.95]),
        crossed: base([-0.5, -0.4, -0.6], [0.1, 0, 0.05], [0, 0.1, 0], [0.1, 0, 0.05]),
        absent: base([0, 0.1, -0.1], [0.5, 0.6, 0.55], [0, 0, 0], [0.5, 0.6, 0.55]),
      },
    };
    const v = alignmentVerdicts(r as never);
    assert.deepEqual(
      v.map((x) => x.holds),
      ['yes', 'yes', 'yes', 'no', 'yes', 'yes'], // same-prefix at 0.5 on every base: nothing follows the unembedding alignment
    );
    // Base means (alignment, accuracy): crossed (-0.5, 0.05), absent (0, 0.55), aligned (0.6, 0.95): by hand
    // sxy = 0.49333, sxx = 0.60667, slope 0.813.
    assert.match(v[5].evidence, /^slope 0\.813 accuracy per unit of alignment over 3 bases \(9 seeds\), 95% CI \[/);
    assert.match(v[1].evidence, /absent − crossed 0\.500 \[0\.252, 0\.748\], aligned − absent 0\.400 \[0\.400, 0\.400\]/);
    assert.match(v[2].evidence, /Pearson r = 1\.00, mean absolute gap 0\.000/);
    assert.deepEqual(
      alignmentRows(r as never).map((x) => x.variant),
      ['crossed', 'absent', 'aligned'],
    );
  });

  it('says no, or in part, and shows the Eq. 5 terms where the IM-RM is not below chance', () => {
    const r = {
      variants: {
        crossed: base([0, 0, 0], [0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0.5, 0.5]),
        absent: base([0, 0, 0], [0.4, 0.6, 0.5], [0, 0, 0], [0.5, 0.5, 0.5]),
        aligned: base([0, 0, 0], [0.3, 0.3, 0.3], [0.9, 1, 0.95], [0.5, 0.5, 0.5]),
      },
    };
    const v = alignmentVerdicts(r as never);
    assert.equal(v[0].holds, 'no');
    assert.equal(v[1].holds, 'no');
    assert.equal(v[2].holds, 'no'); // no variation in the prediction
    assert.equal(v[4].holds, 'in part');
    assert.match(v[4].evidence, /aligned: IM-RM 0\.950 .* Eq\. 5 on one paraphrased pair: chosen 1\.000 .*same-token pairs 2\.000/);
    assert.match(verdictsMarkdown(v), /^\*\*The manipulation worked.*: no\.\*\*/);
  });
});
