/**
 * npm run notebooks:check [-- --fix] — notebooks are committed without outputs or execution counts.
 * Lists every offending cell and exits 1; --fix strips them in place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cellIdProblems, outputProblems, readNotebook, stripOutputs, writeNotebook } from '../lib/report/notebook';
import { PROJECT_ROOT } from '../lib/report/jupyter';

const dir = path.join(PROJECT_ROOT, 'notebooks');
const fix = process.argv.includes('--fix');
let problems: string[] = [];
for (const f of fs
  .readdirSync(dir)
  .filter((x) => x.endsWith('.ipynb'))
  .sort()) {
  const file = path.join(dir, f);
  const nb = readNotebook(file);
  problems = problems.concat(cellIdProblems(nb, `notebooks/${f}`));
  const found = outputProblems(nb, `notebooks/${f}`);
  if (found.length && fix) {
    writeNotebook(file, stripOutputs(nb));
    console.log(`stripped notebooks/${f}`);
  } else {
    problems = problems.concat(found);
  }
}
if (problems.length) {
  console.error(`${problems.join('\n')}\nnotebooks must be committed without outputs: npm run notebooks:check -- --fix`);
  process.exit(1);
}
console.log('notebooks: no outputs, no execution counts');
