/**
 * Token sequences of preference pairs and their padded batches. A sequence is prompt + response; the response
 * mask marks exactly the response tokens (the prompt is never scored, every response token is).
 * Pair batches put the chosen sequences first, then the rejected ones: one forward pass scores both.
 */
import * as tf from '@tensorflow/tfjs';

export interface EncodedPair {
  id: string;
  prompt: number[];
  chosen: number[];
  rejected: number[];
  /**
   * Generative verifiers (EX-GRM) score each response inside its own prompt ("Question: x / Answer: y /
   * Verification: ..."): chosen is scored after `prompt`, rejected after `rejectedPrompt`, and the rejected
   * sequence is trained towards `rejectedTarget` (" No") while scored on `rejected` (" Yes").
   */
  rejectedPrompt?: number[];
  rejectedTarget?: number[];
}

export interface SequenceBatch {
  /** Batch size B and padded length T. */
  B: number;
  T: number;
  /** (B, T) token ids, right-padded. */
  ids: Int32Array;
  /** (B, T) 1 on response tokens, 0 on prompt and padding. */
  responseMask: Float32Array;
  /** Index of each sequence's last (response) token. */
  lastIndex: number[];
  responseLengths: number[];
}

export interface BatchTensors {
  ids: tf.Tensor2D;
  responseMask: tf.Tensor2D;
}

/** Pads prompt + response sequences on the right to the longest one. Throws if one exceeds maxLength. */
export function buildSequenceBatch(seqs: Array<{ prompt: number[]; response: number[]; id?: string }>, padId: number, maxLength: number): SequenceBatch {
  const lengths = seqs.map((s) => s.prompt.length + s.response.length);
  const T = Math.max(...lengths);
  const B = seqs.length;
  const ids = new Int32Array(B * T).fill(padId);
  const responseMask = new Float32Array(B * T);
  seqs.forEach((s, b) => {
    const where = s.id !== undefined ? `example '${s.id}'` : `sequence ${b}`;
    if (s.prompt.length === 0) throw new Error(`${where}: empty prompt (the first token cannot be scored; prepend BOS)`);
    if (s.response.length === 0) throw new Error(`${where}: empty response`);
    if (lengths[b] > maxLength) throw new Error(`${where}: ${lengths[b]} tokens exceed the model context of ${maxLength}`);
    ids.set(s.prompt, b * T);
    ids.set(s.response, b * T + s.prompt.length);
    for (let t = s.prompt.length; t < lengths[b]; t++) responseMask[b * T + t] = 1;
  });
  return { B, T, ids, responseMask, lastIndex: lengths.map((l) => l - 1), responseLengths: seqs.map((s) => s.response.length) };
}

/** 2P sequences: the P chosen ones, then the P rejected ones (with `targets`, the rejected training targets). */
export function buildPairBatch(pairs: EncodedPair[], padId: number, maxLength: number, targets = false): SequenceBatch {
  return buildSequenceBatch(
    [
      ...pairs.map((p) => ({ id: p.id, prompt: p.prompt, response: p.chosen })),
      ...pairs.map((p) => ({ id: p.id, prompt: p.rejectedPrompt ?? p.prompt, response: targets ? (p.rejectedTarget ?? p.rejected) : p.rejected })),
    ],
    padId,
    maxLength,
  );
}

export function batchTensors(batch: SequenceBatch): BatchTensors {
  return {
    ids: tf.tensor2d(batch.ids, [batch.B, batch.T], 'int32'),
    responseMask: tf.tensor2d(batch.responseMask, [batch.B, batch.T]),
  };
}
