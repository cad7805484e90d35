/**
 * Autoregressive generation for any library model: sampling at a temperature (0 = greedy), no top-k / top-p,
 * seeded, stopping at EOS, at maxNewTokens or at the model's context. Prompts are batched with right padding:
 * with causal attention the logits at each sequence's last real position ignore the padding after it.
 * No key-value cache: every step re-runs the batch (simple, and fast enough for short answers).
 */
import * as tf from '@tensorflow/tfjs';
import { type LanguageModel, forward } from './transformer';
import { Rng } from '../random';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 for greedy decoding. */
  temperature: number;
  seed: number;
  eosId?: number;
  /** More tokens that end a sequence like EOS (llama2.c models emit BOS between stories). */
  stopIds?: number[];
  padId?: number;
  batchSize?: number;
}

export interface Generation {
  tokens: number[];
  /** Why it stopped: the EOS token (included in tokens), the token budget, or the model's context. */
  stop: 'eos' | 'max-new-tokens' | 'context';
}

/** Index of a draw from probabilities p (which sum to ~1). */
function sample(p: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i];
    if (u < acc) return i;
  }
  return p.length - 1;
}

export async function generate(lm: LanguageModel, prompts: number[][], opts: GenerateOptions, onToken?: (done: number) => void): Promise<Generation[]> {
  const rng = new Rng(opts.seed);
  const out: Generation[] = prompts.map(() => ({ tokens: [], stop: 'max-new-tokens' as const }));
  const batchSize = opts.batchSize ?? 32;
  const ctx = lm.config.contextLength;
  const stops = new Set([...(opts.eosId === undefined ? [] : [opts.eosId]), ...(opts.stopIds ?? [])]);
  for (let from = 0; from < prompts.length; from += batchSize) {
    const idx = prompts.slice(from, from + batchSize).map((_, i) => from + i);
    const seqs = idx.map((i) => prompts[i].slice());
    const active = new Set(idx.map((_, j) => j));
    for (const j of active)
      if (seqs[j].length >= ctx) {
        out[idx[j]].stop = 'context';
        active.delete(j);
      }
    for (let step = 0; step < opts.maxNewTokens && active.size > 0; step++) {
      const rows = [...active];
      const T = Math.max(...rows.map((j) => seqs[j].length));
      const ids = new Int32Array(rows.length * T).fill(opts.padId ?? 0);
      rows.forEach((j, r) => ids.set(seqs[j], r * T));
      const probs = tf.tidy(() => {
        const logits = forward(lm, tf.tensor2d(ids, [rows.length, T], 'int32')).logits as tf.Tensor3D;
        const V = logits.shape[2];
        const last = tf.stack(rows.map((j, r) => logits.slice([r, seqs[j].length - 1, 0], [1, 1, V]).reshape([V])));
        return opts.temperature > 0 ? tf.softmax(last.div(opts.temperature)) : last;
      });
      const values = (await probs.array()) as number[][];
      probs.dispose();
      rows.forEach((j, r) => {
        const row = values[r];
        const token = opts.temperature > 0 ? sample(row, rng.next()) : row.indexOf(Math.max(...row));
        seqs[j].push(token);
        const g = out[idx[j]];
        g.tokens.push(token);
        if (stops.has(token)) {
          g.stop = 'eos';
          active.delete(j);
        } else if (seqs[j].length >= ctx) {
          g.stop = 'context';
          active.delete(j);
        }
      });
      onToken?.(rows.length);
    }
  }
  return out;
}
