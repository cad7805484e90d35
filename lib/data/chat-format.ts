/**
 * Chat formatting and truncation of real-world preference pairs for a model's context. Small base models have no
 * chat template of their own, so one simple template is used for all: "User: {prompt}\n\nAssistant:" followed by
 * " {response}" and the end-of-sequence token. Long pairs are truncated, never silently: the prompt keeps its
 * LAST maxPromptTokens tokens (the part next to the answer; the start token stays first), each response keeps its FIRST tokens up to the rest
 * of the context, and every dropped token is counted so experiments can report it per split.
 */
import type { EncodedPair } from '../rewards/sequences';
import { type PreferenceExample, checkExamples } from './examples';

export interface ChatFormatConfig {
  /** Tokens of prompt + response per sequence (<= the model context). */
  maxLength: number;
  /** The prompt keeps at most this many of its last tokens (start token and template included). */
  maxPromptTokens: number;
}

export interface ChatTokenizer {
  encode(text: string): number[];
  /** Prepended to every prompt (BOS), or null. */
  startId: number | null;
  /** Appended to every complete response, or null. */
  eosId: number | null;
}

export interface TruncationStats {
  pairs: number;
  /** Pairs with any token dropped (prompt or either response). */
  pairsTruncated: number;
  promptTokensDropped: number;
  responseTokensDropped: number;
  /** Tokens before truncation (prompt + chosen + rejected over all pairs). */
  tokensBefore: number;
  /** Pairs whose two responses are identical after truncation (every reward model ties on them). */
  identicalAfterTruncation: number;
}

export const chatPrompt = (prompt: string) => `User: ${prompt}\n\nAssistant:`;
export const chatResponse = (response: string) => ` ${response}`;

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Encodes and truncates `examples`; `where` names the split in errors. */
export function formatChatPairs(
  examples: PreferenceExample[],
  tok: ChatTokenizer,
  c: ChatFormatConfig,
  where: string,
): { pairs: EncodedPair[]; stats: TruncationStats } {
  if (!(c.maxPromptTokens >= 1 && c.maxPromptTokens < c.maxLength)) {
    throw new Error(`${where}: maxPromptTokens (${c.maxPromptTokens}) must be in [1, maxLength ${c.maxLength})`);
  }
  checkExamples(examples, where);
  const stats: TruncationStats = {
    pairs: examples.length,
    pairsTruncated: 0,
    promptTokensDropped: 0,
    responseTokensDropped: 0,
    tokensBefore: 0,
    identicalAfterTruncation: 0,
  };
  const pairs = examples.map((e) => {
    const fullPrompt = [...(tok.startId === null ? [] : [tok.startId]), ...tok.encode(chatPrompt(e.prompt))];
    // A cut prompt keeps its start token: the model was trained to read text after it.
    const start = tok.startId === null ? [] : [tok.startId];
    const prompt =
      fullPrompt.length <= c.maxPromptTokens ? fullPrompt : [...start, ...fullPrompt.slice(fullPrompt.length - (c.maxPromptTokens - start.length))];
    const room = c.maxLength - prompt.length;
    const encodeResponse = (text: string) => [...tok.encode(chatResponse(text)), ...(tok.eosId === null ? [] : [tok.eosId])];
    const fullChosen = encodeResponse(e.chosen);
    const fullRejected = encodeResponse(e.rejected);
    const chosen = fullChosen.slice(0, room);
    const rejected = fullRejected.slice(0, room);
    const dropped = fullPrompt.length - prompt.length;
    const droppedResponses = fullChosen.length - chosen.length + fullRejected.length - rejected.length;
    stats.tokensBefore += fullPrompt.length + fullChosen.length + fullRejected.length;
    stats.promptTokensDropped += dropped;
    stats.responseTokensDropped += droppedResponses;
    if (dropped + droppedResponses > 0) stats.pairsTruncated++;
    if (sameIds(chosen, rejected)) stats.identicalAfterTruncation++;
    return { id: e.id, prompt, chosen, rejected };
  });
  return { pairs, stats };
}
