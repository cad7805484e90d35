/**
 * Which parts of edge lookup has a Hamiltonian base learned? On random walks along the edges of given graphs
 * (teacher-forced), for every answer position that predicts the next vertex of the walk (from the second vertex
 * on), where the model puts its probability:
 *   - on the current vertex (a walk never stays: a model that learned "not the previous token" puts ~0 here),
 *   - on the current vertex's neighbours (the lookup: a model that looks edges up puts ~1 here),
 *   - on the other vertices of the graph, and on anything else (separators, EOS, vertices the graph lacks).
 * Uniform guessing among the graph's vertices puts degree / n on the neighbours: `neighbourMassUniform`.
 * Also the mean loss of the vertex predictions and of the separator / EOS predictions, so a stalled loss can be
 * attributed to one or the other.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { type Graph, adjacency, graphPrompt, randomWalk, vertexSequence } from '../data/hamiltonian';
import { forward, type LanguageModel } from '../model/transformer';
import { buildSequenceBatch } from '../rewards/sequences';
import type { VocabTokenizer } from '../tokenizers/vocab';

export interface LookupDiagnostics {
  /** Mean probability on the current vertex / its neighbours / other graph vertices / everything else. */
  currentMass: number;
  neighbourMass: number;
  otherVertexMass: number;
  nonVertexMass: number;
  /** What uniform guessing among the graph's n vertices would put on the neighbours (mean degree / n). */
  neighbourMassUniform: number;
  /** Mean negative log-probability of the next vertex, and of the separator or EOS after a vertex (nats). */
  vertexLoss: number;
  separatorLoss: number;
  /** Vertex predictions scored. */
  positions: number;
}

export function lookupDiagnostics(lm: LanguageModel, tok: VocabTokenizer, graphs: Graph[], rng: Rng): LookupDiagnostics {
  const walks = graphs.map((g) => randomWalk(g, g.n, rng));
  const docs = graphs.map((g, i) => ({ prompt: tok.encode(graphPrompt(g)), response: tok.encode(vertexSequence(walks[i])) }));
  const batch = buildSequenceBatch(docs, tok.padId, lm.config.contextLength);
  const probs = tf.tidy(() => {
    const ids = tf.tensor2d(batch.ids, [batch.B, batch.T], 'int32');
    return tf.softmax(forward(lm, ids).logits as tf.Tensor3D);
  });
  const p = probs.dataSync() as Float32Array;
  probs.dispose();
  const V = lm.config.vocabSize;
  const vertexIds = Array.from({ length: Math.max(...graphs.map((g) => g.n)) }, (_, v) => tok.encode(String(v))[0]);
  const sums = { current: 0, neighbour: 0, other: 0, nonVertex: 0, uniform: 0, vertexLoss: 0, separatorLoss: 0 };
  let positions = 0;
  let separators = 0;
  graphs.forEach((g, b) => {
    const adj = adjacency(g);
    const start = docs[b].prompt.length; // response token r sits at start + r and is predicted at start + r - 1
    const resp = docs[b].response;
    for (let r = 1; r < resp.length; r++) {
      const row = (start + r - 1) * V + b * batch.T * V;
      if (r % 2 === 1) {
        // a separator (or EOS) after vertex (r - 1) / 2
        sums.separatorLoss -= Math.log(Math.max(p[row + resp[r]], 1e-30));
        separators++;
        continue;
      }
      const here = walks[b][r / 2 - 1];
      let current = 0,
        neighbour = 0,
        other = 0;
      for (let v = 0; v < g.n; v++) {
        const q = p[row + vertexIds[v]];
        if (v === here) current += q;
        else if (adj[here][v]) neighbour += q;
        else other += q;
      }
      sums.current += current;
      sums.neighbour += neighbour;
      sums.other += other;
      sums.nonVertex += Math.max(0, 1 - current - neighbour - other);
      sums.uniform += adj[here].filter(Boolean).length / g.n;
      sums.vertexLoss -= Math.log(Math.max(p[row + resp[r]], 1e-30));
      positions++;
    }
  });
  const mean = (x: number) => (positions ? x / positions : NaN);
  return {
    currentMass: mean(sums.current),
    neighbourMass: mean(sums.neighbour),
    otherVertexMass: mean(sums.other),
    nonVertexMass: mean(sums.nonVertex),
    neighbourMassUniform: mean(sums.uniform),
    vertexLoss: mean(sums.vertexLoss),
    separatorLoss: separators ? sums.separatorLoss / separators : NaN,
    positions,
  };
}
