/**
 * Answered persona statements for the controlled token-cue bases (the alignment experiment). Each pretraining
 * statement is followed by `answersPerStatement` answers, each a neutral prefix and a word drawn from the "agree"
 * group when the statement's label is Yes, else from the "disagree" group:
 *
 *   I enjoy meeting new people
 *   Answer: sure
 *   Reply: certainly
 *
 * Several answers per statement (not one) give a small LM a signal it can learn without reading the statement: words
 * of one group follow each other. The prefixes are neutral: none is a training or paraphrase prefix of the token-cue
 * experiment.
 *
 * The dose (`paraphraseDose`, lib/experiments/alignment-family.ts): the groups hold the training words, and a share
 * of the answers (`share`) is a paraphrase word, drawn with probability p from those of the statement's own meaning
 * and 1 - p from the opposite ones. So p is the share of each paraphrase word's answers that go with its meaning:
 * 1 is used as the training words of its meaning are, 0 as those of the opposite meaning, 0.5 seen but
 * uninformative, while every word is as frequent at every p.
 */
import { check } from '../config';
import type { Rng } from '../random';
import type { PersonaStatement } from './persona';

export interface AnswerGroups {
  agree: string[];
  disagree: string[];
}

export interface AnsweredStatementsConfig {
  groups: AnswerGroups;
  prefixes: string[];
  answersPerStatement: number;
  /** Every word any base of the family answers with: the shared tokenizer sees each equally often. */
  tokenizerWords: string[];
  /** Absent: the groups alone decide (the absent control of the alignment family). */
  paraphraseDose?: ParaphraseDose;
  /**
   * Absent or 'lines': each answer on its own line after its own prefix. 'run': one prefix, then the answers as a
   * run of words ("Answer: certainly sure yes"), so the token after each answer word (but the last) is another
   * answer of the same statement and the word's own hidden state must carry its group to predict it.
   */
  layout?: 'lines' | 'run';
}

export interface ParaphraseDose {
  /** Paraphrase words meaning agreement, and meaning disagreement. */
  agree: string[];
  disagree: string[];
  /** The share of a paraphrase word's answers that follow statements of its own meaning, in [0, 1]. */
  p: number;
  /** The share of answers that are paraphrase words, in (0, 1). */
  share: number;
}

export const NEUTRAL_PREFIXES = ['Answer: ', 'Reply: ', 'Their verdict: ', 'Someone said: '];

export function checkAnsweredStatementsConfig(c: AnsweredStatementsConfig, where: string): void {
  const words = (xs: unknown) => Array.isArray(xs) && xs.length > 0 && xs.every((x) => typeof x === 'string' && x.trim().length > 0 && !x.includes('\n'));
  check(words(c.groups.agree), where, 'groups.agree', 'must be a non-empty list of one-line words', c.groups.agree);
  check(words(c.groups.disagree), where, 'groups.disagree', 'must be a non-empty list of one-line words', c.groups.disagree);
  const both = c.groups.agree.filter((x) => c.groups.disagree.includes(x));
  check(both.length === 0, where, 'groups', 'a word cannot be in both groups', both);
  check(words(c.prefixes), where, 'prefixes', 'must be a non-empty list of one-line prefixes', c.prefixes);
  check(
    Number.isInteger(c.answersPerStatement) && c.answersPerStatement >= 1 && c.answersPerStatement <= (c.layout === 'run' ? 8 : c.prefixes.length),
    where,
    'answersPerStatement',
    c.layout === 'run' ? 'must be an integer in [1, 8]' : `must be an integer in [1, ${c.prefixes.length}] (one prefix per answer)`,
    c.answersPerStatement,
  );
  check(c.layout === undefined || c.layout === 'lines' || c.layout === 'run', where, 'layout', "must be 'lines' or 'run'", c.layout);
  const d = c.paraphraseDose;
  const doseWords = d ? [...d.agree, ...d.disagree] : [];
  if (d) {
    check(words(d.agree), where, 'paraphraseDose.agree', 'must be a non-empty list of one-line words', d.agree);
    check(words(d.disagree), where, 'paraphraseDose.disagree', 'must be a non-empty list of one-line words', d.disagree);
    check(typeof d.p === 'number' && d.p >= 0 && d.p <= 1, where, 'paraphraseDose.p', 'must be in [0, 1]', d.p);
    check(typeof d.share === 'number' && d.share > 0 && d.share < 1, where, 'paraphraseDose.share', 'must be in (0, 1)', d.share);
    const inGroups = doseWords.filter((x) => c.groups.agree.includes(x) || c.groups.disagree.includes(x));
    const twice = d.agree.filter((x) => d.disagree.includes(x));
    check(inGroups.length + twice.length === 0, where, 'paraphraseDose', 'a paraphrase word cannot also be in the groups or in both of its lists', [
      ...inGroups,
      ...twice,
    ]);
  }
  const missing = [...c.groups.agree, ...c.groups.disagree, ...doseWords].filter((x) => !c.tokenizerWords.includes(x));
  check(missing.length === 0, where, 'tokenizerWords', 'must hold every word of both groups (and of the dose)', missing);
}

/** One answer word for a statement of label `yes`: from the groups, or with a dose possibly a paraphrase word. */
function answerWord(yes: boolean, c: AnsweredStatementsConfig, rng: Rng): string {
  const d = c.paraphraseDose;
  if (d && rng.next() < d.share) {
    const own = rng.next() < d.p;
    const list = yes === own ? d.agree : d.disagree;
    return list[rng.int(list.length)];
  }
  const group = yes ? c.groups.agree : c.groups.disagree;
  return group[rng.int(group.length)];
}

/** A statement followed by its answers: one per line after distinct prefixes (in a drawn order), or a run after one prefix. */
export function answeredStatement(s: PersonaStatement, c: AnsweredStatementsConfig, rng: Rng): string {
  const yes = s.matchingAnswer === 'Yes';
  if (c.layout === 'run') {
    const prefix = c.prefixes[rng.int(c.prefixes.length)];
    return `${s.statement}\n${prefix}${Array.from({ length: c.answersPerStatement }, () => answerWord(yes, c, rng)).join(' ')}`;
  }
  const prefixes = rng.shuffle(c.prefixes.slice()).slice(0, c.answersPerStatement);
  return [s.statement, ...prefixes.map((p) => p + answerWord(yes, c, rng))].join('\n');
}

/**
 * Text the shared tokenizer is trained on in place of the answers: statement i followed by prefix i mod P and
 * word i mod W of tokenizerWords, the same for every variant, so every base of a family has one tokenizer.
 */
export function tokenizerStatement(s: string, i: number, c: AnsweredStatementsConfig): string {
  return `${s}\n${c.prefixes[i % c.prefixes.length]}${c.tokenizerWords[i % c.tokenizerWords.length]}`;
}
