/** The dosed alignment family: corpus construction, equal size and compute, replicated bases, word alignment measures, config keys. */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setup, assertClose } from './helpers';
import { Rng } from '../lib/random';
import { type AnsweredStatementsConfig, NEUTRAL_PREFIXES, answeredStatement, checkAnsweredStatementsConfig } from '../lib/data/answered-statements';
import { DEFAULT_PRETRAINING_CORPUS, loadPretrainingCorpus } from '../lib/data/pretraining-corpus';
import { type PersonaStatement, loadPersona } from '../lib/data/persona';
import { TOKEN_CUES } from '../lib/data/token-cues';
import { alignment, baseOverrides } from '../lib/experiments/alignment';
import { baseAnswers, baseLabel, familyBases } from '../lib/experiments/alignment-family';
import { pretrain } from '../lib/experiments/pretrain';
import { resolveExperimentConfig, runExperiment } from '../lib/experiments/runner';
import { alignmentScore, alignmentOf, wordTokens } from '../lib/theory/word-alignment';

const PAPER_FAMILY = resolveExperimentConfig(alignment, 'paper').family;
const family = () => structuredClone(PAPER_FAMILY);
const train = { chosen: TOKEN_CUES.trainChosenWords, rejected: TOKEN_CUES.trainRejectedWords };
/** Every word a family base may answer with, longest first (a run is read greedily: 'not really' before 'no'). */
const KNOWN_WORDS = [...train.chosen, ...train.rejected, ...PAPER_FAMILY.wordSets.flatMap((w) => [...w.chosen, ...w.rejected])].sort(
  (a, b) => b.length - a.length,
);

/** The answer words of an answer line (either layout), or null when the line is not one. */
function answerWords(line: string): string[] | null {
  const prefix = NEUTRAL_PREFIXES.find((p) => line.startsWith(p));
  if (!prefix) return null;
  const words: string[] = [];
  let rest = line.slice(prefix.length);
  while (rest.length) {
    const w = KNOWN_WORDS.find((k) => rest === k || rest.startsWith(`${k} `));
    if (!w) return null;
    words.push(w);
    rest = rest.slice(w.length + 1);
  }
  return words;
}

describe('answered statements', () => {
  it('the neutral prefixes are none of the experiment’s prefixes', () => {
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

  it("answers a statement with words of its label's group: one per line after distinct prefixes, or a run after one", () => {
    for (const layout of ['lines', 'run'] as const) {
      const c: AnsweredStatementsConfig = { ...baseAnswers(family(), train, null), layout };
      assert.equal(c.paraphraseDose, undefined);
      const rng = new Rng(3);
      for (const label of ['Yes', 'No'] as const) {
        for (let i = 0; i < 20; i++) {
          const lines = answeredStatement({ statement: 'I like tea', matchingAnswer: label } as PersonaStatement, c, rng).split('\n');
          assert.equal(lines[0], 'I like tea');
          assert.equal(lines.length, layout === 'run' ? 2 : 1 + c.answersPerStatement);
          const prefixes = lines.slice(1).map((l) => NEUTRAL_PREFIXES.find((p) => l.startsWith(p)) as string);
          assert.equal(new Set(prefixes).size, lines.length - 1);
          const words = lines.slice(1).flatMap((l) => answerWords(l) as string[]);
          assert.equal(words.length, c.answersPerStatement);
          const group = label === 'Yes' ? c.groups.agree : c.groups.disagree;
          for (const w of words) assert.ok(group.includes(w), `${layout}: ${w} after a ${label} statement`);
        }
      }
    }
  });
});

describe('answered statements with a dose p', () => {
  const f = family();
  const chosen = f.wordSets.flatMap((w) => w.chosen);
  const rejected = f.wordSets.flatMap((w) => w.rejected);
  const config = (p: number): AnsweredStatementsConfig => baseAnswers(f, train, p);
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
          .slice(1)
          .flatMap((l) => answerWords(l) as string[])) {
          const word = line;
          answers++;
          const agreeing = chosen.includes(word);
          if (agreeing || rejected.includes(word)) {
            paraphrase++;
            if (agreeing === (label === 'Yes')) own++;
          } else assert.ok((label === 'Yes' ? train.chosen : train.rejected).includes(word), `${label}: ${word}`);
        }
    return { paraphrase: paraphrase / answers, ownMeaning: own / paraphrase };
  }

  it('p is the share of paraphrase answers that follow their meaning; their frequency does not move with p', () => {
    for (const p of [0, 0.25, 0.5, 1]) {
      const s = shares(p);
      assert.ok(Math.abs(s.paraphrase - f.share) < 0.02, `p ${p}: paraphrase share ${s.paraphrase}`);
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
  const c = resolveExperimentConfig(alignment, 'smoke');
  const bases = familyBases(c.family);
  const corpusOf = async (i: number) => {
    const o = baseOverrides(c, bases[i]);
    return loadPretrainingCorpus({ ...DEFAULT_PRETRAINING_CORPUS, ...small, ...o.corpus }, o.seed);
  };

  it('lists the absent control first, then doses ascending, each with its pretraining seeds, under labels without dots', () => {
    const f = { ...family(), doses: [1, 0.25, 0], baseSeeds: 2 };
    assert.deepEqual(
      familyBases(f).map((b) => b.label),
      ['absent-s1', 'absent-s2', 'p0-s1', 'p0-s2', 'p25-s1', 'p25-s2', 'p100-s1', 'p100-s2'],
    );
    assert.equal(baseLabel(0.5, 3), 'p50-s3');
  });

  it('never holds a measured trait; equal statements, answers and documents at every dose; one tokenizer text', async () => {
    const corpora = await Promise.all(bases.map((_, i) => corpusOf(i)));
    const heldOut = await Promise.all(c.family.heldOutTraits.map((t) => loadPersona(t as never)));
    const statementsByLabel = new Map<string, string>();
    for (const t of corpora[0].traits) for (const s of (await loadPersona(t as never)).slice(0, 30)) statementsByLabel.set(s.statement, s.matchingAnswer);
    const texts = corpora.map((x) => [...x.train, ...x.validation].flatMap((p) => p.documents).join('\n'));
    for (const [i, x] of corpora.entries()) {
      for (const t of c.family.heldOutTraits) assert.ok(!x.traits.includes(t as never));
      const lines = new Set(texts[i].split('\n'));
      assert.ok(
        heldOut.flat().every((s) => !lines.has(s.statement)),
        'a held-out statement was pretrained on',
      );
      assert.deepEqual(x.tokenizerDocuments, corpora[0].tokenizerDocuments, 'every base trains the same tokenizer');
      assert.deepEqual(
        x.train.map((p) => p.documents.length),
        corpora[0].train.map((p) => p.documents.length),
      );
    }
    // Each answer line follows a statement; a training word from the label's group, or a paraphrase word whose
    // meaning agrees with the label at p = 1 and disagrees at p = 0.
    const agreeing = c.family.wordSets.flatMap((w) => w.chosen);
    for (const [i, b] of bases.entries()) {
      let statement = '';
      let paraphrases = 0;
      let answers = 0;
      for (const line of corpora[i].train[1].documents.join('\n').split('\n')) {
        const words = statementsByLabel.has(line) ? null : answerWords(line);
        if (!words) {
          statement = line;
          continue;
        }
        const yes = statementsByLabel.get(statement) === 'Yes';
        assert.ok(statementsByLabel.has(statement), `${b.label}: an answer line after '${statement}'`);
        answers += words.length;
        for (const word of words) {
          if (train.chosen.includes(word) || train.rejected.includes(word)) {
            assert.ok((yes ? train.chosen : train.rejected).includes(word), `${b.label}: '${word}' after a ${yes ? 'Yes' : 'No'} statement`);
            continue;
          }
          paraphrases++;
          assert.notEqual(b.dose, null, `${b.label}: paraphrase word '${word}' in the absent control`);
          assert.equal(agreeing.includes(word) === yes, b.dose === 1, `${b.label}: '${word}' after a ${yes ? 'Yes' : 'No'} statement`);
        }
      }
      assert.ok(answers > 0, b.label);
      assert.equal(paraphrases > 0, b.dose !== null, b.label);
    }
  });

  it('bases differ only in their dose and pretraining seed: same architecture, steps, batch and context (equal compute)', () => {
    const paper = resolveExperimentConfig(alignment, 'paper');
    const all = familyBases(paper.family);
    const configs = all.map((b) => resolveExperimentConfig(pretrain, paper.base.profile, baseOverrides(paper, b)));
    const strip = (x: (typeof configs)[number]) => ({ ...x, seed: null, corpus: { ...x.corpus, answers: { ...x.corpus.answers, paraphraseDose: null } } });
    for (const x of configs) assert.deepEqual(strip(x), strip(configs[0]));
    assert.deepEqual(
      configs.map((x) => [x.corpus.answers?.paraphraseDose?.p ?? null, x.seed]),
      all.map((b) => [b.dose, b.seed]),
    );
    assert.deepEqual(configs[0].corpus.heldOutTraits, paper.family.heldOutTraits);
    assert.equal(configs[0].train.steps, resolveExperimentConfig(pretrain, 'full').train.steps);
    // The quick profile measures less on the same bases.
    const quick = resolveExperimentConfig(alignment, 'quick');
    assert.deepEqual(
      familyBases(quick.family).map((b) => baseOverrides(quick, b)),
      all.map((b) => baseOverrides(paper, b)),
    );
  });

  it('trains smoke bases: one tokenizer across doses of a pretraining seed, other weights for another seed', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-align-'));
    const f = { ...c.family, doses: [0, 1], absent: false, baseSeeds: 2 };
    const models = await Promise.all(
      familyBases(f).map(async (b) => {
        const run = await runExperiment(pretrain, { profile: 'smoke', seeds: 1, root, overrides: baseOverrides({ ...c, family: f }, b) });
        const dir = path.join(run.dir, 'seed-1', 'model');
        const weights = [fs.readFileSync(path.join(dir, 'model.safetensors')).toString('base64')];
        return { label: b.label, tok: JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).tokenizer), weights: weights.join() };
      }),
    );
    const [p0s1, p0s2, p100s1] = ['p0-s1', 'p0-s2', 'p100-s1'].map((l) => models.find((m) => m.label === l) as (typeof models)[number]);
    assert.equal(p100s1.tok, p0s1.tok); // the tokenizer's text does not depend on the dose
    assert.ok(p0s1.weights.length > 0);
    assert.notEqual(p0s2.weights, p0s1.weights); // a replicate: another draw of the corpus order and initialisation
    fs.rmSync(root, { recursive: true });
  });

  it('bad config is one error naming the key', () => {
    assert.throws(
      () => resolveExperimentConfig(alignment, 'smoke', { family: { doses: [0, 1.5] } }),
      /key 'family.doses' must be distinct numbers in \[0, 1\]/,
    );
    assert.throws(() => resolveExperimentConfig(alignment, 'smoke', { family: { doses: [0.5, 0.501] } }), /family.doses.*must differ by at least 0.01/);
    assert.throws(() => resolveExperimentConfig(alignment, 'smoke', { measure: { traits: ['openness'] } }), /key 'measure.traits' must be traits held out/);
    assert.throws(() => resolveExperimentConfig(alignment, 'smoke', { measure: { wordSets: ['fourth'] } }), /key 'measure.wordSets' must name word sets/);
    assert.throws(
      () => resolveExperimentConfig(alignment, 'smoke', { family: { wordSets: [{ name: 'a', chosen: ['yes'], rejected: ['nope'] }] } }),
      /key 'family.wordSets' a word may appear once/,
    );
    assert.throws(
      () => resolveExperimentConfig(alignment, 'smoke', { base: { profile: 'paper' } }),
      /key 'base.profile' must be a pretrain profile \(smoke, quick, full\)/,
    );
    assert.throws(
      () => resolveExperimentConfig(alignment, 'smoke', { family: { answers: { answersPerStatement: 9 } } }),
      /answers: key 'answersPerStatement' must be an integer in \[1, 8\]/,
    );
    assert.throws(() => resolveExperimentConfig(pretrain, 'smoke', { seed: 0 }), /key 'seed' must be a positive integer/);
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
