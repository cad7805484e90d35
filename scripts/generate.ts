/**
 * npm run generate -- --model <spec> [--prompt TEXT] [--max-new-tokens N] [--temperature T] [--seed S]
 * Prints the prompt and its continuation (only the text) for any model spec of lib/model/load.ts:
 * stories260K, llama2c:<model.bin>,<tokenizer.bin>, hf:<folder or hub id>, pretrained:<profile>, or a
 * checkpoint / run folder. Temperature 0 decodes greedily; sampling uses no top-k / top-p.
 */
import '../lib/experiments/pretrained-base'; // makes pretrained:<profile> specs resolvable
import { initBackend } from '../lib/backend';
import { loadBaseModel, promptIds } from '../lib/model/load';
import { generate } from '../lib/model/generate';

const USAGE = 'usage: npm run generate -- --model <spec> [--prompt TEXT] [--max-new-tokens N] [--temperature T] [--seed S]';

function parseArgs(argv: string[]) {
  const out = { model: '', prompt: '', maxNewTokens: 256, temperature: 1, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (a === '--model') out.model = value();
    else if (a === '--prompt') out.prompt = value();
    else if (a === '--max-new-tokens') out.maxNewTokens = Number(value());
    else if (a === '--temperature') out.temperature = Number(value());
    else if (a === '--seed') out.seed = Number(value());
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'\n${USAGE}`);
  }
  if (!out.model) throw new Error(`--model is required\n${USAGE}`);
  if (!Number.isInteger(out.maxNewTokens) || out.maxNewTokens < 1) throw new Error('--max-new-tokens must be a positive integer');
  if (!(out.temperature >= 0)) throw new Error('--temperature must be >= 0');
  if (!Number.isInteger(out.seed) || out.seed < 1) throw new Error('--seed must be a positive integer (0 means unseeded in tfjs)');
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  await initBackend();
  const base = await loadBaseModel(args.model);
  const prompt = promptIds(base, args.prompt);
  if (prompt.length === 0) throw new Error(`${args.model} has no start token: give a --prompt`);
  const [g] = await generate(base.lm, [prompt], { maxNewTokens: args.maxNewTokens, temperature: args.temperature, seed: args.seed, stopIds: base.stopIds });
  const tokens = g.stop === 'eos' ? g.tokens.slice(0, -1) : g.tokens;
  process.stdout.write(`${base.tokenizer.decode([...prompt, ...tokens], true)}\n`);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
