/**
 * llama2.c import: stories260K must decode, greedily from BOS, exactly the text upstream documents for
 * `./run stories260K.bin -z tok512.bin -t 0 -n 200` (llama2.c's test_all.py), i.e. 200 tokens.
 */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setup } from './helpers';
import { loadBaseModel, promptIds, type BaseModel } from '../lib/model/load';
import { generate } from '../lib/model/generate';
import { interleavedToHalf, readLlama2c } from '../lib/model/llama2c';
import type { Llama2cTokenizer } from '../lib/tokenizers/llama2c';
import { Rng } from '../lib/random';

const UPSTREAM_200 =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n' +
  'Lily\'s mom said, "Lily, let\'s go to the park." Lily was sad and didn\'t know what to do. She said, "I want to play with your ball, but I can\'t find it."\n' +
  "Lily was sad and didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to do.\"\n" +
  "Lily didn't want to help her mom, so she";

describe('llama2.c: stories260K', () => {
  let base: BaseModel;
  before(async () => {
    await setup();
    base = await loadBaseModel('stories260K');
  });

  it('reads the header into a Llama layout (RMSNorm, rotary, SwiGLU, grouped key-value heads, shared classifier)', () => {
    const c = base.lm.config;
    assert.deepEqual([c.dModel, c.dMlp, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize, c.contextLength], [64, 172, 5, 8, 4, 512, 512]);
    assert.deepEqual([c.norm, c.positions, c.activation, c.gatedMlp, c.tiedEmbeddings], ['rmsnorm', 'rotary', 'silu', true, true]);
  });

  it('reproduces the documented greedy text, 200 tokens from BOS', async () => {
    const [g] = await generate(base.lm, [[1]], { maxNewTokens: 200, temperature: 0, seed: 1, stopIds: base.stopIds });
    assert.equal(g.tokens.length, 200);
    assert.equal(base.tokenizer.decode([1, ...g.tokens]), UPSTREAM_200);
  });

  it('encodes like run.c: dummy-prefix space, highest-score merges, byte fallback', () => {
    const tok = base.tokenizer as Llama2cTokenizer;
    const ids = tok.encode('Once upon a time');
    assert.equal(tok.decode([1, ...ids]), 'Once upon a time');
    assert.ok(ids.length < 'Once upon a time'.length / 2, 'merged into few pieces');
    const emoji = tok.encode('🙂');
    assert.deepEqual(
      emoji.slice(-4),
      [...Buffer.from('🙂')].map((b) => b + 3),
      'bytes of an unknown character fall back to <0xNN>',
    );
    assert.equal(tok.decode([1, ...emoji]), '🙂');
    assert.deepEqual(promptIds(base, 'Zoo').slice(0, 1), [1]);
  });

  it('merges exactly as the rescan-per-merge rule of run.c (heap implementation vs a naive reference)', () => {
    const tok = base.tokenizer as Llama2cTokenizer;
    const t = tok as unknown as { ids: Map<string, number>; pieces: string[]; scores: number[] };
    // The naive rule: rescan all adjacent pairs, merge the best-scoring (leftmost on ties), until none merges.
    const naive = (text: string): number[] => {
      const tokens: number[] = [];
      for (const ch of ` ${text}`) {
        const id = t.ids.get(ch);
        if (id !== undefined) tokens.push(id);
        else for (const b of Buffer.from(ch)) tokens.push(b + 3);
      }
      for (;;) {
        let best = -1e10,
          at = -1,
          bestId = -1;
        for (let i = 0; i + 1 < tokens.length; i++) {
          const id = t.ids.get(t.pieces[tokens[i]] + t.pieces[tokens[i + 1]]);
          if (id !== undefined && t.scores[id] > best) {
            best = t.scores[id];
            at = i;
            bestId = id;
          }
        }
        if (at < 0) return tokens;
        tokens.splice(at, 2, bestId);
      }
    };
    const rng = new Rng(11);
    const alphabet = 'aaaeeiioouu  bcdnrstlmhTO.,!é€\n';
    const texts = ['Once upon a time, there was a little girl named Lily.', 'aaaaaaaa', 'the the the', '  double  spaces  ', ''];
    for (let k = 0; k < 200; k++) texts.push(Array.from({ length: 1 + rng.int(60) }, () => alphabet[rng.int(alphabet.length)]).join(''));
    for (const text of texts) assert.deepEqual(tok.encode(text), text === '' ? [] : naive(text), JSON.stringify(text));
  });

  it('permutes interleaved rotary pairs into halves, per head', () => {
    assert.deepEqual(interleavedToHalf(2, 4), [0, 2, 1, 3, 4, 6, 5, 7]);
  });

  it('names a truncated checkpoint', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-l2c-')), 'cut.bin');
    fs.writeFileSync(f, fs.readFileSync(base.source.split(' + ')[0]).subarray(0, 200000));
    assert.throws(() => readLlama2c(f), /file ends inside wq/);
  });

  it('npm run generate prints only the text', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '..', 'scripts', 'generate.ts'),
        '--model',
        'stories260K',
        '--prompt',
        'Zoo',
        '--temperature',
        '0',
        '--max-new-tokens',
        '12',
      ],
      { encoding: 'utf8', env: process.env },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Zoo was a little girl named Lily. She loved\n');
  });
});
