/** Byte-level BPE: training (hand-computed merges, determinism), encode/decode round trips, tokenizer.json I/O. */
import './helpers'; // guards the default run store
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { BYTE_TO_CHAR, BpeTokenizer, toJsRegexSource } from '../lib/tokenizers/bpe';
import { trainBpe } from '../lib/tokenizers/bpe-train';
import { BpeModelTokenizer, tokenizerFromJSON } from '../lib/tokenizers/index';

describe('byte-level BPE', () => {
  it('maps all 256 bytes to distinct printable characters (GPT-2 table)', () => {
    assert.equal(new Set(BYTE_TO_CHAR).size, 256);
    assert.equal(BYTE_TO_CHAR[32], 'Ġ');
    assert.equal(BYTE_TO_CHAR[10], 'Ċ');
    assert.equal(BYTE_TO_CHAR[97], 'a');
  });

  it('learns the merges computed by hand', () => {
    // Pieces "aaab", " aab": pairs (a,a) 3, (a,b) 2, (Ġ,a) 1 -> merge a+a. Then every pair occurs once:
    // the tie goes to the smallest (left id, right id), here (Ġ = byte 32, aa = 256) -> merge Ġ+aa.
    const json = trainBpe(['aaab aab'], { vocabSize: 2 + 256 + 2, minPairCount: 1 });
    assert.deepEqual(json.model.merges, [
      ['a', 'a'],
      ['Ġ', 'aa'],
    ]);
    const tok = new BpeTokenizer(json);
    assert.deepEqual(
      tok.encode(' aab').map((i) => tok.token(i)),
      ['Ġaa', 'b'],
    );
    assert.equal(tok.id('<|endoftext|>'), 0);
  });

  it('stops below vocabSize when no pair is frequent enough', () => {
    assert.equal(trainBpe(['abc'], { vocabSize: 1000, minPairCount: 2 }).model.merges.length, 0);
  });

  it('is deterministic and round-trips any text, including bytes never seen in training', () => {
    const corpus = ['the cat sat on the mat', 'the dog sat on the log', 'a cat and a dog'];
    const a = trainBpe(corpus, { vocabSize: 300, minPairCount: 1 });
    assert.deepEqual(trainBpe(corpus, { vocabSize: 300, minPairCount: 1 }), a);
    const tok = new BpeTokenizer(a);
    for (const text of ['the cat', 'naïve café 日本語 🙂', 'Tabs\tand  double  spaces\n', '', 'x<|endoftext|>y'])
      assert.equal(tok.decode(tok.encode(text)), text);
    assert.deepEqual(
      tok.encode('x<|endoftext|>y').filter((i) => i === 0),
      [0],
    );
    assert.equal(tok.decode(tok.encode('x<|endoftext|>y'), true), 'xy');
  });

  it('saves with its special-token roles and loads back identically', () => {
    const bpe = new BpeTokenizer(trainBpe(['hello world hello'], { vocabSize: 270, minPairCount: 1 }));
    const saved = new BpeModelTokenizer(bpe, 0, 0, 1).toJSON();
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(saved)));
    assert.deepEqual(back.encode('hello there'), bpe.encode('hello there'));
    assert.equal(back.bosId, 0);
    assert.equal(back.padId, 1);
  });

  it("rewrites Llama 3's inline case-insensitive group for JavaScript", () => {
    const re = new RegExp(toJsRegexSource("(?i:'s|'t)|\\p{L}+"), 'gu');
    assert.deepEqual("IT'S it's".match(re), ['IT', "'S", 'it', "'s"]);
  });

  it('takes whole pieces that are tokens when ignore_merges is set (Llama 3)', () => {
    const json = trainBpe(['ab ab ab'], { vocabSize: 259, minPairCount: 1 }); // one merge: a + b
    json.model.vocab.abc = Object.keys(json.model.vocab).length; // a token no merge sequence reaches
    assert.equal(new BpeTokenizer(json).encode('abc').length, 2);
    assert.deepEqual(new BpeTokenizer({ ...json, model: { ...json.model, ignore_merges: true } }).encode('abc'), [json.model.vocab.abc]);
  });

  it('names unsupported tokenizer.json features', () => {
    const json = trainBpe(['ab'], { vocabSize: 260 });
    assert.throws(() => new BpeTokenizer({ ...json, model: { ...json.model, type: 'WordPiece' } }), /'model.type' must be 'BPE'/);
    assert.throws(() => new BpeTokenizer({ ...json, normalizer: { type: 'Lowercase' } }), /normalizer.*Lowercase/);
    assert.throws(() => new BpeTokenizer({ ...json, pre_tokenizer: { type: 'Metaspace' } }), /'Metaspace' is not supported/);
  });
});
