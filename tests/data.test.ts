/** The data layer: mirror / cache / download resolution with checksums, file formats, persona, Brown corpus. */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { SHARED_DATA } from './helpers';
import { DATA_FILES } from '../lib/data/catalog';
import { DataUnavailableError, dataFile } from '../lib/data/sources';
import { DataFormatError, readArrow, readJsonl, stringFields } from '../lib/data/formats';
import { PERSONA_TRAITS, loadPersona } from '../lib/data/persona';
import { loadBrown, splitBrown, untag } from '../lib/data/brown';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe('data files: mirror, cache, download', () => {
  it('finds a catalogued file in the mirror folder and verifies its checksum', async () => {
    const f = await dataFile('persona/agreeableness.jsonl');
    assert.equal(f, path.join(path.resolve(SHARED_DATA as string), 'persona/agreeableness.jsonl'));
  });

  it('rejects a mirror file whose checksum differs, naming the file', async () => {
    const mirror = tmp('imrm-mirror-');
    fs.mkdirSync(path.join(mirror, 'persona'));
    fs.writeFileSync(path.join(mirror, 'persona/openness.jsonl'), '{}\n');
    await assert.rejects(
      dataFile('persona/openness.jsonl', { dataDir: mirror }),
      (e: Error) => e instanceof DataUnavailableError && e.message.includes(path.join(mirror, 'persona/openness.jsonl')) && /sha256/.test(e.message),
    );
  });

  it('without the file and without downloads: one error saying what to download and where', async () => {
    const cache = tmp('imrm-cache-');
    await assert.rejects(
      dataFile('persona/openness.jsonl', { dataDir: tmp('imrm-empty-'), cacheDir: cache, download: false }),
      (e: Error) =>
        e instanceof DataUnavailableError &&
        e.message.includes(DATA_FILES['persona/openness.jsonl'].url as string) &&
        e.message.includes(path.join(cache, 'persona/openness.jsonl')) &&
        e.message.includes('IMRM_DATA_DIR'),
    );
  });

  describe('downloads into the cache (local HTTP server)', () => {
    const body = Buffer.from('{"a": 1}\n{"a": 2}\n');
    let server: http.Server;
    let base = '';
    before(async () => {
      server = http.createServer((req, res) => {
        if (req.url === '/good.jsonl' || req.url === '/bad.jsonl') {
          res.writeHead(200, { 'content-length': body.length });
          res.end(body);
        } else {
          res.writeHead(404);
          res.end();
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      DATA_FILES['test/good.jsonl'] = { url: `${base}/good.jsonl`, sha256: crypto.createHash('sha256').update(body).digest('hex') };
      DATA_FILES['test/bad.jsonl'] = { url: `${base}/bad.jsonl`, sha256: '0'.repeat(64) };
      DATA_FILES['test/missing.jsonl'] = { url: `${base}/missing.jsonl`, sha256: null };
    });
    after(() => {
      server.close();
      for (const k of ['good', 'bad', 'missing']) delete DATA_FILES[`test/${k}.jsonl`];
    });

    it('downloads once, verifies the checksum, then reads the cache', async () => {
      const cache = tmp('imrm-cache-');
      const f = await dataFile('test/good.jsonl', { dataDir: tmp('imrm-empty-'), cacheDir: cache, progress: () => undefined });
      assert.equal(f, path.join(cache, 'test/good.jsonl'));
      assert.deepEqual(readJsonl(f), [{ a: 1 }, { a: 2 }]);
      server.close(); // a second call must not need the network
      assert.equal(await dataFile('test/good.jsonl', { cacheDir: cache }), f);
      await new Promise<void>((r) => server.listen(Number(base.split(':')[2]), '127.0.0.1', () => r()));
    });

    it('keeps nothing when the checksum is wrong or the server fails', async () => {
      const cache = tmp('imrm-cache-');
      await assert.rejects(dataFile('test/bad.jsonl', { cacheDir: cache, progress: () => undefined }), /sha256 .* does not match/);
      await assert.rejects(dataFile('test/missing.jsonl', { cacheDir: cache, progress: () => undefined }), /HTTP 404/);
      assert.deepEqual(fs.readdirSync(path.join(cache, 'test')), []);
    });
  });
});

describe('formats', () => {
  it('JSONL errors name the file and line', () => {
    const f = path.join(tmp('imrm-jsonl-'), 'x.jsonl');
    fs.writeFileSync(f, '{"prompt": "a"}\n\n{"prompt": 3}\n{oops\n');
    assert.throws(
      () => readJsonl(f, stringFields('prompt')),
      (e: Error) => e instanceof DataFormatError && e.message.startsWith(`${f}:3: field 'prompt' must be a string`),
    );
    assert.throws(
      () => readJsonl(f),
      (e: Error) => e.message.startsWith(`${f}:4: not valid JSON`),
    );
  });

  it('Arrow (datasets save_to_disk) and its JSONL twin hold the same rows', async () => {
    const dir = 'exrm-vs-imrm/rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/train/data-00000-of-00001';
    const fields = stringFields('prompt', 'chosen', 'rejected');
    const arrow = readArrow(await dataFile(`${dir}.arrow`), fields);
    const jsonl = readJsonl(await dataFile(`${dir}.jsonl`), fields);
    assert.equal(arrow.length, 2000); // "Number of samples: 2000" in the dataset's creation log
    assert.deepEqual(
      arrow.map((r) => [r.prompt, r.chosen, r.rejected]),
      jsonl.map((r) => [r.prompt, r.chosen, r.rejected]),
    );
  });
});

describe('persona statements', () => {
  it('reads every trait: 1,000 statements each, answers Yes/No', async () => {
    for (const trait of PERSONA_TRAITS) {
      const rows = await loadPersona(trait);
      assert.equal(rows.length, 1000, trait);
      assert.ok(rows.every((r) => r.matchingAnswer === 'Yes' || r.matchingAnswer === 'No'));
    }
    const agree = await loadPersona('agreeableness');
    assert.equal(agree.filter((r) => r.matchingAnswer === 'Yes').length, 500);
  });
  it('names the file and line of a malformed statement', async () => {
    const mirror = tmp('imrm-mirror-');
    fs.mkdirSync(path.join(mirror, 'persona'));
    const f = path.join(mirror, 'persona/openness.jsonl');
    fs.writeFileSync(f, '{"statement": "s", "question": "q", "label_confidence": 0.9, "answer_matching_behavior": "Maybe"}\n');
    const original = DATA_FILES['persona/openness.jsonl'];
    DATA_FILES['persona/openness.jsonl'] = { ...original, sha256: null }; // an edited copy: checksum off for this test
    try {
      await assert.rejects(loadPersona('openness', { dataDir: mirror }), new RegExp(`${f.replace(/[/.]/g, '\\$&')}:1: field 'answer_matching_behavior'`));
    } finally {
      DATA_FILES['persona/openness.jsonl'] = original;
    }
  });
});

describe('Brown corpus', () => {
  it('undoes the tagging and tokenisation', () => {
    assert.equal(
      untag("The/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, (/( as/cs expected/vbn )/) ./."),
      'The jury said "no evidence", (as expected).',
    );
  });
  it('has 500 documents in 15 genres; the validation split is disjoint', () => {
    const docs = loadBrown();
    assert.equal(docs.length, 500);
    assert.equal(new Set(docs.map((d) => d.genre)).size, 15);
    const { train, validation } = splitBrown(docs, 25);
    assert.equal(validation.length, 20);
    assert.equal(train.length + validation.length, 500);
    assert.ok(!validation.some((d) => train.includes(d)));
    assert.ok(!docs[0].text.includes('/at'));
  });
});
