/**
 * npm run exp -- <experiment> [--profile smoke|quick|paper] [--seeds N] [--force] [--set key.path=value ...]
 *                             [--runs-dir DIR] [--list]
 * Runs (or re-uses) an experiment, shows progress with an ETA on stderr, prints the path of summary.json on stdout.
 */
import { getExperiment, EXPERIMENTS } from '../lib/experiments/registry';
import { runExperiment } from '../lib/experiments/runner';
import { PROFILES, ProfileName } from '../lib/experiments/types';
import { parseOverrides } from '../lib/config';
import { terminalRenderer, formatSeconds } from '../lib/runs/progress';

const USAGE = `usage: npm run exp -- <experiment> [--profile ${PROFILES.join('|')}] [--seeds N] [--force] [--set key=value ...] [--runs-dir DIR]
       npm run exp -- --list`;

function parseArgs(argv: string[]) {
  const out = { experiment: '', profile: 'quick' as ProfileName, seeds: 1, force: false, sets: [] as string[], runsDir: undefined as string | undefined, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (a === '--profile') out.profile = value() as ProfileName;
    else if (a === '--seeds') out.seeds = Number(value());
    else if (a === '--force') out.force = true;
    else if (a === '--set') out.sets.push(value());
    else if (a === '--runs-dir') out.runsDir = value();
    else if (a === '--list') out.list = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else if (!out.experiment) out.experiment = a;
    else throw new Error(`unexpected argument '${a}'\n${USAGE}`);
  }
  if (!PROFILES.includes(out.profile)) throw new Error(`--profile must be one of ${PROFILES.join(', ')}, got '${out.profile}'`);
  if (!Number.isInteger(out.seeds) || out.seeds < 1) throw new Error(`--seeds must be a positive integer`);
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.list || !args.experiment) {
    for (const e of Object.values(EXPERIMENTS)) console.log(`${e.name.padEnd(14)} ${e.description}`);
    if (!args.list) console.error(`\n${USAGE}`);
    return;
  }
  const exp = getExperiment(args.experiment);
  const out = await runExperiment(exp, {
    profile: args.profile,
    seeds: args.seeds,
    overrides: parseOverrides(args.sets),
    force: args.force,
    root: args.runsDir,
    progress: terminalRenderer(),
  });
  const reused = out.reusedSeeds.length ? ` (re-used seeds ${out.reusedSeeds.join(', ')})` : '';
  console.error(`${exp.name} ${args.profile}: ${out.summary.seeds.length} seed(s) on ${out.summary.backend} in ${formatSeconds(out.summary.seconds)}${reused}`);
  for (const [group, splits] of Object.entries(out.summary.results)) {
    const cells = Object.entries(splits).map(([split, m]) => {
      // Preference experiments: accuracy per split; others: every metric.
      const shown = m.accuracy ? { accuracy: m.accuracy } : m;
      return `${split} ${Object.entries(shown).map(([k, a]) => `${m.accuracy ? '' : `${k}=`}${Number(a.mean.toPrecision(4))}`).join(' ')}`;
    });
    console.error(`  ${group.padEnd(10)} ${cells.join('  |  ')}`);
  }
  console.log(out.summaryPath);
}

main().catch((e) => {
  console.error(process.env.IMRM_DEBUG ? e : `error: ${(e as Error).message}`);
  process.exit(1);
});
