/**
 * The notebook kernel under output pressure (issue: the kernel died with zeromq's EBUSY mid-reproduce). A unit test
 * of the per-socket send queue on a socket that behaves like zeromq 6's, then the real kernel with a slow client.
 */
import './helpers'; // guards the default run store
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestKernel } from './kernel-client';
import { executeNotebook, findPython, KERNEL_NAME, KernelDiedError, writeKernelspec } from '../lib/report/jupyter';
import { type Notebook, type NotebookCell, readNotebook, writeNotebook } from '../lib/report/notebook';

const { queueSends } = require('../scripts/kernel/send-queue.cjs') as {
  queueSends: (proto: object, report?: (socket: unknown, error: unknown) => void) => unknown;
};

/** Like zeromq 6: a send stays pending for a while; a second send while one is pending throws EBUSY. */
class FakeSocket {
  pending = false;
  readonly sent: unknown[] = [];
  send(message: unknown): Promise<void> {
    if (this.pending) throw Object.assign(new Error('Socket is busy writing'), { code: 'EBUSY' });
    if (message === 'fail') return Promise.reject(new Error('peer gone'));
    this.pending = true;
    return new Promise((resolve) =>
      setTimeout(() => {
        this.pending = false;
        this.sent.push(message);
        resolve();
      }, 1),
    );
  }
}

describe('kernel send queue', () => {
  it('sends one message at a time, in order, where the bare socket throws EBUSY', async () => {
    const bare = new FakeSocket();
    void bare.send(0);
    assert.throws(() => bare.send(1), /busy/);

    class Queued extends FakeSocket {}
    Queued.prototype.send = FakeSocket.prototype.send;
    const failures: unknown[] = [];
    queueSends(Queued.prototype, (_s, e) => failures.push(e));
    const a = new Queued();
    const b = new Queued();
    const sends = [...Array.from({ length: 50 }, (_, i) => a.send(i)), ...Array.from({ length: 5 }, (_, i) => b.send(`b${i}`))];
    await Promise.all(sends);
    assert.deepEqual(
      a.sent,
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(b.sent, ['b0', 'b1', 'b2', 'b3', 'b4']);
    assert.equal(failures.length, 0);
  });

  it('reports a failed send and goes on with the next', async () => {
    class Queued extends FakeSocket {}
    Queued.prototype.send = FakeSocket.prototype.send;
    const failures: string[] = [];
    queueSends(Queued.prototype, (_s, e) => failures.push((e as Error).message));
    const s = new Queued();
    await Promise.all([s.send('x'), s.send('fail'), s.send('y')]);
    assert.deepEqual(s.sent, ['x', 'y']);
    assert.deepEqual(failures, ['peer gone']);
  });
});

describe('the project kernel with a slow client', { timeout: 120_000 }, () => {
  let kernel: TestKernel;
  before(async () => {
    kernel = await TestKernel.start();
    kernel.readIopubSlowly(200, 500);
  });
  after(async () => kernel?.stop());

  it('delivers thousands of stream writes, several MB of display data and many status messages, and stays up', async () => {
    const lines = 3000;
    const streamed = await kernel.execute(`for (let i = 0; i < ${lines}; i++) console.log('line ' + i);`);
    assert.equal(streamed.content.status, 'ok', `stream cell: ${JSON.stringify(streamed.content)}; stderr: ${kernel.stderr.join('')}`);

    const chunk = 2_000_000;
    const shown = await kernel.execute(
      `import * as tslab from 'tslab';\nconst big = 'x'.repeat(${chunk});\nfor (let k = 0; k < 4; k++) tslab.display.html('<p>' + k + '</p>' + big);`,
    );
    assert.equal(shown.content.status, 'ok', `display cell: ${JSON.stringify(shown.content)}`);

    // Requests sent back to back: each publishes a busy and an idle status around its reply.
    const infos = await Promise.all(Array.from({ length: 40 }, () => kernel.request('kernel_info_request', {})));

    const text = (await kernel.outputsOf(streamed))
      .filter((m) => m.header.msg_type === 'stream')
      .map((m) => m.content.text)
      .join('');
    assert.deepEqual(
      text.trimEnd().split('\n'),
      Array.from({ length: lines }, (_, i) => `line ${i}`),
    );
    const displays = (await kernel.outputsOf(shown)).filter((m) => m.header.msg_type === 'display_data');
    assert.deepEqual(
      displays.map((m) => ((m.content.data as Record<string, string>)['text/html'] ?? '').length),
      [0, 1, 2, 3].map((k) => `<p>${k}</p>`.length + chunk),
    );
    for (const info of infos) {
      const states = (await kernel.outputsOf(info)).filter((m) => m.header.msg_type === 'status').map((m) => m.content.execution_state);
      assert.deepEqual(states, ['busy', 'idle']);
    }
    assert.ok(kernel.alive, `the kernel exited: ${JSON.stringify(kernel.exit)}\n${kernel.stderr.join('')}`);
    assert.doesNotMatch(kernel.stderr.join(''), /was not sent|EBUSY/);
  });
});

describe('a notebook whose kernel dies', { timeout: 180_000 }, () => {
  const python = findPython();
  // CI installs Jupyter (.ci/run); elsewhere a machine without it skips, and says so.
  const skip = python ? false : process.env.CI ? false : 'no Python with nbclient (npm run setup:jupyter)';
  it('names the running cell, keeps the runs computed before it, and a re-run re-uses them', { skip }, () => {
    assert.ok(python, 'CI must have Jupyter: .ci/run installs it');
    writeKernelspec();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-died-'));
    const saved = { runs: process.env.IMRM_RUNS_DIR, crash: process.env.IMRM_TEST_CRASH };
    process.env.IMRM_RUNS_DIR = path.join(dir, 'runs');
    const code = (id: string, source: string): NotebookCell => ({ id, cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null });
    const nb: Notebook = {
      cells: [
        code(
          'run',
          `import { runExperiment } from './lib/experiments/runner';\nimport { toyCopy } from './lib/experiments/toy-copy';\nconst run = await runExperiment(toyCopy, { profile: 'smoke', seeds: 1 });\nconsole.log('reused seeds: ' + JSON.stringify(run.reusedSeeds));`,
        ),
        code('crash', `if (process.env.IMRM_TEST_CRASH === '1') process.kill(process.pid, 'SIGKILL');`),
      ],
      metadata: { kernelspec: { name: KERNEL_NAME, display_name: 'TypeScript (imrm-workbench)', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const input = path.join(dir, 'dies.ipynb');
    writeNotebook(input, nb);
    const run = () => executeNotebook(python as string, input, path.join(dir, 'dies.executed.ipynb'), path.join(dir, 'dies.html'));
    const stdoutOf = (executed: Notebook) =>
      (executed.cells[0].outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join('') : String(o.text ?? ''))).join('');
    try {
      process.env.IMRM_TEST_CRASH = '1';
      assert.throws(run, (e: unknown) => {
        assert.ok(e instanceof KernelDiedError, String(e));
        assert.equal(e.cell, 1);
        assert.match(e.message, /the kernel died while cell 1 ran/);
        assert.match(e.message, /IMRM_TEST_CRASH/, 'the message shows the cell that was running');
        return true;
      });
      assert.match(stdoutOf(readNotebook(path.join(dir, 'dies.executed.ipynb'))), /reused seeds: \[\]/);
      process.env.IMRM_TEST_CRASH = '0';
      assert.match(stdoutOf(run()), /reused seeds: \[1\]/, 'the re-run computes nothing again');
    } finally {
      for (const [k, v] of [
        ['IMRM_RUNS_DIR', saved.runs],
        ['IMRM_TEST_CRASH', saved.crash],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
