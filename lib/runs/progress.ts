/** Progress with an ETA from the average rate so far; renderers for a terminal (and, later, notebooks). */

export interface ProgressState {
  done: number;
  total: number;
  label: string;
  elapsedS: number;
  etaS: number | null;
}

export type ProgressRenderer = (s: ProgressState, final: boolean) => void;

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 59.95) return `${s.toFixed(1)}s`;
  // Round once, to the unit shown, before splitting: 599.6 s is 10m00s, never 9m60s.
  if (s < 3599.5) {
    const whole = Math.round(s);
    return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  }
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export class Progress {
  private done = 0;
  /** Units found done (resumed, cached) rather than computed here: they do not count in the rate. */
  private skipped = 0;
  private label = '';
  private readonly start = Date.now();
  private lastRender = 0;

  constructor(
    private total: number,
    private readonly render: ProgressRenderer = () => undefined,
    private readonly everyMs = 200,
  ) {}

  state(): ProgressState {
    const elapsedS = (Date.now() - this.start) / 1000;
    const computed = this.done - this.skipped;
    const etaS = computed > 0 ? (elapsedS / computed) * Math.max(0, this.total - this.done) : null;
    return { done: this.done, total: this.total, label: this.label, elapsedS, etaS };
  }

  /** Adds `n` units of work done; `label` says what is running. */
  tick(n = 1, label?: string): void {
    this.done = Math.min(this.total, this.done + n);
    if (label !== undefined) this.label = label;
    const now = Date.now();
    if (now - this.lastRender >= this.everyMs) {
      this.lastRender = now;
      this.render(this.state(), false);
    }
  }

  /** Adds `n` units found done (a resumed checkpoint, a cached base): the ETA counts only work done in this process. */
  skip(n: number, label?: string): void {
    this.skipped += Math.min(n, this.total - this.done);
    this.tick(n, label);
  }

  setLabel(label: string): void {
    this.tick(0, label);
  }

  /** More work than planned was found (e.g. a resumed run): grows the total. */
  addTotal(n: number): void {
    this.total += n;
  }

  finish(): void {
    this.done = this.total;
    this.render(this.state(), true);
  }
}

/**
 * A one-line bar on stderr: [#####-----] 50% 10/20 label  elapsed 3.0s  ETA 3.0s. Without a TTY (CI, nohup, logs) a
 * new line every 10% and at least every `everyS` seconds (30) instead of redrawing.
 */
export function terminalRenderer(stream: NodeJS.WriteStream = process.stderr, everyS = 30): ProgressRenderer {
  let lastDecile = -1;
  let lastLine = 0;
  return (s, final) => {
    const frac = s.total > 0 ? s.done / s.total : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const eta = final ? 'done' : `ETA ${s.etaS === null ? '?' : formatSeconds(s.etaS)}`;
    const line = `${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${s.done}/${s.total} ${s.label}  ${formatSeconds(s.elapsedS)}  ${eta}`;
    if (stream.isTTY) stream.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else if (final || Math.floor(frac * 10) > lastDecile || s.elapsedS - lastLine >= everyS) {
      lastDecile = Math.floor(frac * 10);
      lastLine = s.elapsedS;
      stream.write(`${line}\n`);
    }
  };
}
