/**
 * npm run results -- [--runs-dir DIR] [--out FILE] [--include-smoke] [--keep-others]
 * Writes RESULTS.md (default: at the project root) from the finished runs in the run store (default runs/). With
 * --keep-others, an experiment without a finished run in the store keeps its section from the current page.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPERIMENTS } from '../lib/experiments/registry';
import { resolveExperimentConfig, runsRoot } from '../lib/experiments/runner';
import { readRunStore, resultsMarkdown } from '../lib/report/results-page';

const argv = process.argv.slice(2);
const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const root = runsRoot(value('--runs-dir'));
const out = value('--out') ?? path.resolve(__dirname, '..', 'RESULTS.md');
const runs = readRunStore(root);
const page = resultsMarkdown(runs, Object.keys(EXPERIMENTS), {
  versions: Object.fromEntries(Object.values(EXPERIMENTS).map((e) => [e.name, e.version])),
  profileConfig: (e, p) => {
    try {
      return resolveExperimentConfig(EXPERIMENTS[e], p);
    } catch {
      return null; // the experiment has no such profile any more
    }
  },
  skipSmoke: !argv.includes('--include-smoke'),
  previous: argv.includes('--keep-others') && fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined,
});
fs.writeFileSync(out, page);
console.error(`${runs.length} finished run(s) in ${root}; wrote ${out}`);
