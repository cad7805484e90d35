/**
 * npm run export-hf -- <model spec> <out folder>
 * Writes a model (any spec of lib/model/load.ts: an in-project checkpoint or run folder, a trained reward model,
 * pretrained:<profile>, hf:...) as a Hugging Face folder: config.json + model.safetensors (+ tokenizer.json for
 * byte-level BPE tokenizers). A reward model's EX-RM head becomes 'score.weight' of <Arch>ForSequenceClassification.
 */
import '../lib/experiments/pretrained-base'; // makes pretrained:<profile> specs resolvable
import * as fs from 'node:fs';
import { initBackend } from '../lib/backend';
import { loadBaseModel } from '../lib/model/load';
import { hfConfigFor } from '../lib/model/hf-layout';
import { saveHfModel } from '../lib/model/hf';
import { BpeModelTokenizer } from '../lib/tokenizers/index';

async function main() {
  const [spec, out] = process.argv.slice(2);
  if (!spec || !out) throw new Error('usage: npm run export-hf -- <model spec> <out folder>');
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new Error(`${out} exists and is not empty`);
  await initBackend();
  const base = await loadBaseModel(spec);
  const tok = base.tokenizer instanceof BpeModelTokenizer ? base.tokenizer : null;
  const { arch, hfConfig } = hfConfigFor(base.lm.config, { bos: base.startId, eos: base.tokenizer.eosId, pad: base.tokenizer.padId });
  await saveHfModel(out, { arch, hfConfig, config: base.lm.config, params: base.lm.params, tokenizer: tok }, base.rewardHead);
  if (!tok) console.error(`note: the ${spec} tokenizer is not byte-level BPE; no tokenizer.json written`);
  console.log(out);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
