/**
 * A minimal Jupyter client for tests: starts the project kernel (scripts/tslab-kernel) on free local ports and
 * speaks the wire protocol (HMAC-signed multipart messages) on its shell and IOPub sockets. Its IOPub reader can be
 * made slow on purpose, to stand for a loaded client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zmq from 'zeromq';

const ROOT = path.resolve(__dirname, '..');
const DELIM = '<IDS|MSG>';

export interface KernelMessage {
  header: { msg_type: string; msg_id: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export class TestKernel {
  readonly stderr: string[] = [];
  readonly iopub: KernelMessage[] = [];
  exit: { code: number | null; signal: string | null } | null = null;
  private readonly shell = new zmq.Dealer({ routingId: `test-${randomBytes(4).toString('hex')}` });
  private readonly sub = new zmq.Subscriber({ receiveHighWaterMark: 0 });
  private readonly replies = new Map<string, (m: KernelMessage) => void>();
  /** Rejections of the requests still waiting, called when the kernel process exits. */
  private readonly onExit = new Map<string, () => void>();
  private readonly session = randomBytes(8).toString('hex');
  private readingIopub = false;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly key: string,
    private readonly dir: string,
  ) {
    proc.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    proc.on('exit', (code, signal) => {
      this.exit = { code, signal };
      // A reply already on its way is still read; then every request left waiting fails.
      setTimeout(() => {
        for (const reject of this.onExit.values()) reject();
      }, 200);
    });
  }

  /** Starts the kernel and waits until it answers kernel_info (tslab compiles its set-up first). */
  static async start(): Promise<TestKernel> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-kernel-'));
    const ports = {
      shell_port: await freePort(),
      iopub_port: await freePort(),
      stdin_port: await freePort(),
      control_port: await freePort(),
      hb_port: await freePort(),
    };
    const key = randomBytes(16).toString('hex');
    const connection = path.join(dir, 'connection.json');
    fs.writeFileSync(connection, JSON.stringify({ ...ports, ip: '127.0.0.1', transport: 'tcp', signature_scheme: 'hmac-sha256', key }));
    const proc = spawn('bash', [path.join(ROOT, 'scripts', 'tslab-kernel'), connection], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const kernel = new TestKernel(proc, key, dir);
    kernel.shell.connect(`tcp://127.0.0.1:${ports.shell_port}`);
    kernel.sub.connect(`tcp://127.0.0.1:${ports.iopub_port}`);
    kernel.sub.subscribe();
    void kernel.readShell();
    try {
      await kernel.request('kernel_info_request', {}, 60_000);
    } catch (e) {
      await kernel.stop();
      throw e;
    }
    return kernel;
  }

  private sign(parts: string[]): string {
    const h = createHmac('sha256', this.key);
    for (const p of parts) h.update(p);
    return h.digest('hex');
  }

  private parse(frames: Buffer[]): KernelMessage {
    const at = frames.findIndex((f) => f.toString() === DELIM);
    const [signature, header, parent, metadata, content] = frames.slice(at + 1).map((f) => f.toString());
    if (signature !== this.sign([header, parent, metadata, content])) throw new Error('kernel message with a wrong signature');
    return { header: JSON.parse(header), parent_header: JSON.parse(parent), content: JSON.parse(content) };
  }

  private async readShell(): Promise<void> {
    try {
      for await (const frames of this.shell) {
        const m = this.parse(frames);
        const id = m.parent_header.msg_id;
        if (id) this.replies.get(id)?.(m);
      }
    } catch {
      // socket closed
    }
  }

  /**
   * Reads IOPub in the background, sleeping `delayMs` before the first message and after every `batch` messages:
   * a client that reads more slowly than the kernel writes.
   */
  readIopubSlowly(delayMs: number, batch: number): void {
    if (this.readingIopub) return;
    this.readingIopub = true;
    void (async () => {
      await new Promise((r) => setTimeout(r, delayMs));
      try {
        for await (const frames of this.sub) {
          this.iopub.push(this.parse(frames));
          if (this.iopub.length % batch === 0) await new Promise((r) => setTimeout(r, delayMs));
        }
      } catch {
        // socket closed
      }
    })();
  }

  /** Sends a shell request now; the promise resolves with its reply. */
  request(type: string, content: Record<string, unknown>, timeoutMs = 60_000): Promise<KernelMessage> {
    const header = {
      msg_id: randomBytes(8).toString('hex'),
      msg_type: type,
      session: this.session,
      username: 'test',
      date: new Date().toISOString(),
      version: '5.3',
    };
    const parts = [JSON.stringify(header), '{}', '{}', JSON.stringify(content)];
    const reply = new Promise<KernelMessage>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no ${type} reply in ${timeoutMs} ms (kernel ${this.exit ? `exited: ${JSON.stringify(this.exit)}` : 'alive'}; stderr: ${this.stderr.join('').slice(-2000)})`,
            ),
          ),
        timeoutMs,
      );
      this.onExit.set(header.msg_id, () =>
        reject(new Error(`the kernel exited (${JSON.stringify(this.exit)}) before its ${type} reply; stderr: ${this.stderr.join('').slice(-2000)}`)),
      );
      this.replies.set(header.msg_id, (m) => {
        clearTimeout(timer);
        this.replies.delete(header.msg_id);
        this.onExit.delete(header.msg_id);
        resolve(m);
      });
    });
    void this.shell.send([DELIM, this.sign(parts), ...parts]);
    return reply;
  }

  execute(code: string, timeoutMs = 60_000): Promise<KernelMessage> {
    return this.request('execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false }, timeoutMs);
  }

  /** IOPub messages answering `request`, once its idle status arrived (or the wait timed out). */
  async outputsOf(reply: KernelMessage, timeoutMs = 30_000): Promise<KernelMessage[]> {
    const id = reply.parent_header.msg_id as string;
    const mine = () => this.iopub.filter((m) => m.parent_header.msg_id === id);
    const t0 = Date.now();
    while (!mine().some((m) => m.header.msg_type === 'status' && m.content.execution_state === 'idle')) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`no idle status for ${id} in ${timeoutMs} ms (got ${mine().length} messages)`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return mine();
  }

  get alive(): boolean {
    return this.exit === null;
  }

  async stop(): Promise<void> {
    if (this.alive) this.proc.kill('SIGKILL');
    this.shell.close();
    this.sub.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
