/** The hidden state an EX-RM reads: after the final norm, at the last token of prompt + response. */
import * as tf from '@tensorflow/tfjs';
import { type LanguageModel, forward } from '../model/transformer';
import { batchTensors, buildSequenceBatch } from './sequences';

/** Hidden state after the final norm at the last token of prompt + response, for every sequence. */
export async function lastHiddenStates(
  lm: LanguageModel,
  seqs: Array<{ prompt: number[]; response: number[] }>,
  padId: number,
  batchSize = 32,
): Promise<number[][]> {
  const out: number[][] = [];
  for (let from = 0; from < seqs.length; from += batchSize) {
    const batch = buildSequenceBatch(seqs.slice(from, from + batchSize), padId, lm.config.contextLength);
    const h = tf.tidy(() => {
      const hidden = forward(lm, batchTensors(batch).ids, { logits: false }).hidden;
      const rows = batch.lastIndex.map((t, b) => b * batch.T + t);
      return tf.gather(hidden.reshape([batch.B * batch.T, lm.config.dModel]), rows);
    });
    out.push(...((await h.array()) as number[][]));
    h.dispose();
  }
  return out;
}
