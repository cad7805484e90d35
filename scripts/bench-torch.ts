/**
 * npm run bench:torch -- [--rounds 3] [--steps 20] [--variants default,workers-2]
 * The speed ratio to PyTorch on this machine, measured side by side: each round runs the PyTorch yardstick on one
 * thread (OPENBLAS_NUM_THREADS=1), then `npm run bench -- --json` (both engines: default, workers-2, native,
 * native-workers-2, ...), then the yardstick on every core, so machine noise hits all alike. Prints each round and
 * the median ratios: to PyTorch on one thread, and to PyTorch's best on the same cores (the faster of its one- and
 * all-thread steps in that round).
 * Needs Debian's python3-torch (/usr/bin/python3) and ../shared/bench/torch_gpt.py (or IMRM_TORCH_BENCH).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from '../lib/runs/stats';

const ROOT = path.resolve(__dirname, '..');
const YARDSTICK = process.env.IMRM_TORCH_BENCH ?? path.resolve(ROOT, '..', 'shared', 'bench', 'torch_gpt.py');

function jsonLines(stdout: string): Array<Record<string, number | string>> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

function torch(threads: number, steps: number): number {
  const out = jsonLines(run('/usr/bin/python3', [YARDSTICK, String(threads), String(steps)], threads === 1 ? { OPENBLAS_NUM_THREADS: '1' } : {}));
  return Number(out[out.length - 1].ms_per_step);
}

function main() {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : fallback);
  const rounds = Number(value('--rounds', '3'));
  const steps = Number(value('--steps', '20'));
  const variants = value('--variants', 'default,workers-2');
  if (!fs.existsSync(YARDSTICK)) throw new Error(`no PyTorch yardstick at ${YARDSTICK} (set IMRM_TORCH_BENCH)`);
  const cores = os.availableParallelism();
  const rows: Array<Record<string, number>> = [];
  console.log(`${rounds} rounds of ${steps} steps on ${cores} cores (${os.cpus()[0]?.model}); ms per step, median of each run`);
  for (let r = 1; r <= rounds; r++) {
    const row: Record<string, number> = { 'torch-1t': torch(1, steps) };
    const bench = ['--import', 'tsx', 'scripts/bench.ts', '--json', '--steps', String(steps), '--variants', variants];
    for (const b of jsonLines(run(process.execPath, bench))) row[String(b.variant)] = Number(b.ms_per_step);
    row[`torch-${cores}t`] = torch(cores, steps);
    rows.push(row);
    console.log(
      `round ${r}: ${Object.entries(row)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  const torchBest = (row: Record<string, number>) => Math.min(row['torch-1t'], row[`torch-${cores}t`]);
  const ratio = (variant: string, base: (row: Record<string, number>) => number) => median(rows.map((row) => base(row) / row[variant]));
  const ours = Object.keys(rows[0]).filter((k) => !k.startsWith('torch-'));
  console.log("median ratio, higher is faster (steps/s of ours over PyTorch's):");
  for (const v of ours)
    console.log(
      `  ${v.padEnd(18)} ${ratio(v, (r) => r['torch-1t']).toFixed(2)}x PyTorch on 1 thread, ${ratio(v, torchBest).toFixed(2)}x PyTorch's best on ${cores} cores`,
    );
  console.log(`  PyTorch on ${cores} threads: ${ratio(`torch-${cores}t`, (r) => r['torch-1t']).toFixed(2)}x PyTorch on 1 thread`);
}

main();
