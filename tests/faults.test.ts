/**
 * Fault injection: each fault ends with one clear message naming the file, and running again gives the undisturbed
 * result. The experiment is toy-copy's smoke profile (seconds); the reference is the same request in a fresh store.
 */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setup, tinyModel } from './helpers';
import { runExperiment } from '../lib/experiments/runner';
import { toyCopy } from '../lib/experiments/toy-copy';
import { resolveScheduledLmConfig, trainScheduledLm } from '../lib/train/lm-schedule';
import { fingerprint } from '../lib/train/checkpointing';
import { GradientPool } from '../lib/train/data-parallel';

before(setup);
const tmp = (what: string) => fs.mkdtempSync(path.join(os.tmpdir(), `imrm-fault-${what}-`));
const request = (root: string) => runExperiment(toyCopy, { profile: 'smoke', seeds: 1, root });
let reference: unknown;

/** What console.error printed while `f` ran. */
async function stderrOf<T>(f: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    return { value: await f(), lines };
  } finally {
    console.error = original;
  }
}

describe('faults in the run store', () => {
  before(async () => {
    reference = (await request(tmp('reference'))).summary.results;
  });

  it('a truncated seed result.json is named, moved aside and computed again', async () => {
    const root = tmp('truncated');
    const run = await request(root);
    const file = path.join(run.dir, 'seed-1', 'result.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 40));
    const { value, lines } = await stderrOf(() => request(root));
    assert.ok(
      lines.some((l) => l.includes(`${file} is unreadable (`) && /moved aside to result\.json\.unreadable-\d+; seed 1 is computed again/.test(l)),
      lines.join('\n'),
    );
    assert.deepEqual(value.summary.results, reference);
    assert.deepEqual(value.reusedSeeds, []);
  });

  it('a corrupt summary.json is rewritten from the seeds', async () => {
    const root = tmp('summary');
    const run = await request(root);
    fs.writeFileSync(run.summaryPath, '{"experiment": "toy-co');
    const again = await request(root);
    assert.deepEqual(again.reusedSeeds, [1]);
    assert.deepEqual(JSON.parse(fs.readFileSync(again.summaryPath, 'utf8')).results, reference);
  });

  it('a full disk on commit: one error naming the file, no partial file, and the re-run gives the undisturbed result', async () => {
    const root = tmp('enospc');
    // The module object itself (an import namespace is read-only); the library's imports read through to it.
    const fsModule = require('node:fs') as { writeFileSync: typeof fs.writeFileSync };
    const write = fsModule.writeFileSync;
    fsModule.writeFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (String(file).includes(`${path.sep}result.json.`) && String(file).endsWith('.tmp')) {
        write(file, 'partial');
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return (write as (...a: unknown[]) => void)(file, ...rest);
    }) as typeof fs.writeFileSync;
    try {
      await assert.rejects(request(root), /could not write .*seed-1\/result\.json: ENOSPC, .*the disk is full: free space and run again/);
    } finally {
      fsModule.writeFileSync = write;
    }
    const seedDir = fs.readdirSync(path.join(root, 'toy-copy')).map((h) => path.join(root, 'toy-copy', h, 'seed-1'))[0];
    assert.deepEqual(
      fs.readdirSync(seedDir).filter((f) => f.startsWith('result.json')),
      [],
      'no result.json and no temporary left',
    );
    assert.deepEqual((await request(root)).summary.results, reference);
  });

  it('a seed killed with SIGKILL (mid-seed or mid-commit) leaves nothing that stops the re-run from giving the undisturbed result', async () => {
    const root = tmp('kill');
    const cli = spawn(process.execPath, ['--import', 'tsx', 'scripts/exp.ts', 'toy-copy', '--profile', 'smoke', '--seeds', '1', '--runs-dir', root], {
      cwd: path.resolve(__dirname, '..'),
      stdio: 'ignore',
    });
    // Killed once training has started (its seed folder exists), wherever it then is.
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000 && !fs.existsSync(path.join(root, 'toy-copy'))) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    cli.kill('SIGKILL');
    await new Promise((r) => cli.on('exit', r));
    // What a kill in the middle of the commit leaves: a partial temporary beside the result, and the lock.
    const hash = fs.readdirSync(path.join(root, 'toy-copy'))[0];
    const seedDir = path.join(root, 'toy-copy', hash, 'seed-1');
    fs.mkdirSync(seedDir, { recursive: true });
    fs.writeFileSync(path.join(seedDir, `result.json.${os.hostname()}.${cli.pid}.deadbeef.tmp`), '{"metr');
    const again = await request(root);
    assert.deepEqual(again.summary.results, reference);
    assert.ok(!fs.existsSync(path.join(seedDir, 'result.json.lock')), 'the dead holder lock is gone');
  });
});

describe('faults in a training checkpoint', () => {
  it('an unreadable checkpoint is named, moved aside, and training starts over to the same weights', async () => {
    const stream = Int32Array.from({ length: 400 }, (_, i) => [3, 5, 7, 9, 10][i % 5]);
    const cfg = resolveScheduledLmConfig({ steps: 6, batchSize: 4, seqLen: 8, warmupSteps: 2, evalEvery: 0, checkpointEvery: 2 });
    const pool = new GradientPool(1);
    const train = async (checkpointDir?: string, stopAfterSteps?: number) => {
      const { model, vars } = tinyModel();
      await trainScheduledLm(cfg, model, vars, { train: stream, validation: stream.subarray(0, 64), seed: 2, pool, checkpointDir, stopAfterSteps });
      const weights = await fingerprint(vars);
      Object.values(vars).forEach((v) => v.dispose());
      return weights;
    };
    const whole = await train();
    for (const damaged of ['state.json', 'weights.safetensors']) {
      const dir = path.join(tmp('checkpoint'), 'state');
      await train(dir, 4);
      fs.writeFileSync(path.join(dir, damaged), fs.readFileSync(path.join(dir, damaged)).subarray(0, 10));
      const { value, lines } = await stderrOf(() => train(dir));
      assert.ok(
        lines.some((l) => l.startsWith(`checkpoint ${dir} is unreadable (`) && /moved aside to state\.unreadable-\d+; training starts over/.test(l)),
        `${damaged}: ${lines.join('\n')}`,
      );
      assert.equal(value, whole, `${damaged}: same weights as the uninterrupted run`);
    }
  });
});
