import './helpers'; // guards the default run store
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { VocabTokenizer } from '../lib/tokenizers/vocab';

describe('VocabTokenizer', () => {
  const texts = ['Vertices: <sep>0<sep>1<sep>10\nEdges: <sep>0<edge_sep>1', 'hello, world'];
  const tok = VocabTokenizer.build(texts, 'word', ['<sep>', '<edge_sep>']);

  it('keeps special tokens whole and round-trips in-vocabulary text', () => {
    const ids = tok.encode(texts[0]);
    assert.equal(tok.decode(ids), texts[0]);
    assert.equal(ids.filter((i) => i === tok.id('<sep>')).length, 4);
    assert.equal(tok.id('<pad>'), 0);
    assert.equal(tok.id('<sep>'), 4);
    assert.equal(tok.id('<edge_sep>'), 5);
    // numbers are single tokens; whitespace and punctuation are tokens of their own
    assert.deepEqual(tok.pieces('<sep>10 x,'), ['<sep>', '10', ' ', 'x', ',']);
  });

  it('is deterministic and independent of corpus order', () => {
    const other = VocabTokenizer.build([...texts].reverse(), 'word', ['<sep>', '<edge_sep>']);
    assert.deepEqual(other.toJSON(), tok.toJSON());
  });

  it('maps unknown pieces to <unk>, skips <bos>/<eos>/<pad> on request, and survives JSON', () => {
    assert.deepEqual(tok.encode('zebra'), [tok.unkId]);
    assert.equal(tok.decode([tok.bosId, tok.id('hello'), tok.eosId, tok.padId], true), 'hello');
    const back = VocabTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    assert.deepEqual(back.encode(texts[1]), tok.encode(texts[1]));
    assert.equal(back.vocabSize, tok.vocabSize);
  });

  it('splits characters in char mode, keeping specials', () => {
    const c = VocabTokenizer.build(['ab=ba'], 'char');
    assert.deepEqual(c.pieces('<bos>ab=<eos>'), ['<bos>', 'a', 'b', '=', '<eos>']);
    assert.equal(c.vocabSize, 4 + 3);
  });

  it('rejects bad ids and duplicate tokens', () => {
    assert.throws(() => tok.decode([999]), /id 999 outside vocabulary/);
    assert.throws(() => new VocabTokenizer({ type: 'vocab', mode: 'word', specials: [], tokens: ['a', 'a'] }), /appears twice/);
  });
});

describe('VocabTokenizer spaced mode', () => {
  it('keeps one leading space on words and symbols, and round-trips', () => {
    const t = VocabTokenizer.build(['q: is the sky blue ? a: yes , it is .'], 'spaced');
    assert.deepEqual(t.pieces('a: yes ,  it'), ['a', ':', ' yes', ' ,', ' ', ' it']);
    const text = 'q: is the sky blue ? a: yes , it is .';
    assert.equal(t.decode(t.encode(text)), text);
    assert.ok(!t.encode(text).includes(t.unkId));
  });
});
