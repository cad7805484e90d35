/**
 * The quantities the Hugging Face goldens hold (../shared/golden/hf-transformers), computed by this library with
 * asynchronous reads, so that every backend (WebGPU included) computes them the same way: logits and last hidden
 * states, response log-probs, IM-RM rewards, the Bradley-Terry loss, its gradient norm per Hugging Face parameter,
 * the loss after one SGD step, and EX-RM rewards.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type HfModel, loadHfModel } from '../lib/model/hf';
import { hfMappings } from '../lib/model/hf-layout';
import { forward } from '../lib/model/transformer';
import { batchTensors, buildPairBatch } from '../lib/rewards/sequences';
import { tokenLogProbs } from '../lib/rewards/logprobs';
import { type RewardModelSpec, sequenceLogProbs, sequenceRewards } from '../lib/rewards/reward-model';
import { bradleyTerryLoss } from '../lib/rewards/loss';
import { gradsByName } from '../lib/train/checkpointing';

export const GOLDEN = process.env.IMRM_GOLDEN_DIR ?? path.resolve(__dirname, '..', '..', 'shared', 'golden', 'hf-transformers');
export const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'golden.json'), 'utf8'));
export const ARCHS = ['gpt2', 'gpt_neox', 'llama'] as const;

/** Named values, each a flat list: what a golden holds and what we compute. */
export type Quantities = Record<string, number[]>;

const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

/** The golden's own values for `arch`, named as `computeQuantities` names ours. */
export function goldenQuantities(arch: (typeof ARCHS)[number]): Quantities {
  const g = golden.models[arch];
  const p = g.preference;
  const out: Quantities = {};
  (g.forward as Array<{ logits: number[][]; last_hidden_state: number[][] }>).forEach((c, i) => {
    out[`forward ${i} logits`] = flat(c.logits);
    out[`forward ${i} hidden`] = flat(c.last_hidden_state);
  });
  out['reference log-probs'] = [...p.ref_logprobs_chosen, ...p.ref_logprobs_rejected];
  out['policy log-probs'] = [...p.policy_logprobs_chosen, ...p.policy_logprobs_rejected];
  out['IM-RM rewards'] = [p.im_reward_chosen, p.im_reward_rejected];
  out['Bradley-Terry loss'] = [p.bt_loss];
  for (const [name, v] of Object.entries(p.grad_norms as Record<string, number>)) out[`gradient norm ${name}`] = [v];
  out['loss after one SGD step'] = [p.bt_loss_after_one_sgd_step];
  out['EX-RM rewards'] = [p.ex_reward_chosen_reference_model, p.ex_reward_rejected_reference_model];
  return out;
}

/** Our values of the golden's quantities for `arch`, on the current backend; every tensor is disposed. */
export async function computeQuantities(arch: (typeof ARCHS)[number]): Promise<Quantities> {
  const g = golden.models[arch];
  const p = g.preference;
  const ref: HfModel = await loadHfModel(path.join(GOLDEN, p.reference_dir));
  const policy: HfModel = await loadHfModel(path.join(GOLDEN, p.policy_dir));
  const out: Quantities = {};
  const read = async (t: tf.Tensor) => {
    const v = Array.from(await t.data());
    t.dispose();
    return v;
  };
  for (const [i, c] of (g.forward as Array<{ ids: number[] }>).entries()) {
    const { logits, hidden } = tf.tidy(() => {
      const o = forward(ref, tf.tensor2d([c.ids], [1, c.ids.length], 'int32'));
      return { logits: o.logits as tf.Tensor, hidden: o.hidden as tf.Tensor };
    });
    out[`forward ${i} logits`] = await read(logits as tf.Tensor);
    out[`forward ${i} hidden`] = await read(hidden);
  }
  const batch = buildPairBatch([{ id: 'golden', prompt: p.prompt, chosen: p.chosen, rejected: p.rejected }], 0, ref.config.contextLength);
  const t = batchTensors(batch);
  const responseLp = async (m: HfModel) => {
    const lp = await read(tf.tidy(() => tokenLogProbs(forward(m, t.ids).logits as tf.Tensor3D, t.ids)));
    return lp.filter((_, j) => batch.responseMask[j] === 1);
  };
  out['reference log-probs'] = await responseLp(ref);
  out['policy log-probs'] = await responseLp(policy);

  const spec: RewardModelSpec = { kind: 'im', beta: p.beta, useReference: true, aggregate: 'sum', pooling: 'last' };
  const refLp = tf.tidy(() => sequenceLogProbs(ref, t, 'sum'));
  const vars: Record<string, tf.Variable> = {};
  for (const [k, v] of Object.entries(policy.params)) vars[k] = tf.variable(v, true);
  const lm = { config: policy.config, params: vars as Record<string, tf.Tensor> };
  const lossOf = () => {
    const r = sequenceRewards(spec, { lm, head: null }, batch, t, refLp);
    return bradleyTerryLoss(r.slice(0, 1) as tf.Tensor1D, r.slice(1, 1) as tf.Tensor1D);
  };
  out['IM-RM rewards'] = await read(tf.tidy(() => sequenceRewards(spec, { lm, head: null }, batch, t, refLp)));
  const { loss, grads } = gradsByName(() => tf.tidy(lossOf), vars);
  out['Bradley-Terry loss'] = await read(loss);
  // Gradient norm per Hugging Face parameter: the parts a fused tensor was split into add in squares.
  for (const m of hfMappings(ref.arch, ref.config)) {
    const ours = typeof m.ours === 'string' ? [m.ours] : m.ours;
    let sq = 0;
    for (const n of ours) sq += (await read(tf.tidy(() => grads[n].square().sum())))[0];
    const name = m.hf in p.grad_norms ? m.hf : m.hf === 'embed_out.weight' && 'lm_head.weight' in p.grad_norms ? 'lm_head.weight' : m.hf;
    out[`gradient norm ${name}`] = [Math.sqrt(sq)];
  }
  tf.tidy(() => {
    for (const [k, v] of Object.entries(vars)) v.assign(v.sub(grads[k].mul(p.sgd_lr)));
  });
  out['loss after one SGD step'] = await read(tf.tidy(lossOf));
  const head = tf.tensor2d(p.ex_head, [ref.config.dModel, 1]);
  out['EX-RM rewards'] = await read(tf.tidy(() => sequenceRewards({ ...spec, kind: 'ex' }, { lm: ref, head }, batch, t, null)));
  tf.dispose([refLp, head, t.ids, t.responseMask, ...Object.values(grads), ...Object.values(vars)]);
  for (const m of [ref, policy]) tf.dispose(Object.values(m.params));
  return out;
}

/** The largest error of `actual` against `expected`, relative where |expected| > 1 and absolute below, per name. */
export function worstErrors(actual: Quantities, expected: Quantities): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    if (!a || a.length !== e.length) throw new Error(`${name}: ${a ? `${a.length} values, expected ${e.length}` : 'not computed'}`);
    out[name] = Math.max(...e.map((v, i) => Math.abs(a[i] - v) / Math.max(1, Math.abs(v))));
  }
  return out;
}
