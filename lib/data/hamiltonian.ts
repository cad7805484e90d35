/**
 * Hamiltonian-cycle preference data (paper section 3.2). A graph on n vertices gets a planted Hamiltonian cycle
 * (a random permutation) plus every other edge independently with probability p; its edge list is shuffled.
 *   prompt:   "Vertices: <sep>0<sep>1...<sep>9\nEdges: <sep>u<edge_sep>v<sep>...\n" (the paper's, plus a final newline)
 *   chosen:   the planted cycle as a vertex sequence joined by <sep>, then <eos>
 *   rejected: a random permutation of the vertices that is NOT a Hamiltonian cycle of the graph, then <eos>
 * Also: the verifier, an exact count of Hamiltonian cycles (bitmask dynamic programming) and from it the exact
 * probability that a uniformly random permutation is a valid cycle (the random baseline for generation).
 */
import type { Rng } from '../random';
import type { PreferenceExample } from './examples';

export interface Graph {
  n: number;
  /** Undirected edges as [u, v] with u < v, in prompt order (shuffled). */
  edges: Array<[number, number]>;
  planted: number[];
}

export const SEP = '<sep>';
export const EDGE_SEP = '<edge_sep>';

function edgeKey(u: number, v: number): number {
  return u < v ? u * 64 + v : v * 64 + u;
}

export function adjacency(g: Graph): boolean[][] {
  const a = Array.from({ length: g.n }, () => new Array(g.n).fill(false));
  for (const [u, v] of g.edges) a[u][v] = a[v][u] = true;
  return a;
}

export function randomGraph(n: number, p: number, rng: Rng): Graph {
  if (n < 3 || n > 20) throw new Error(`Hamiltonian graphs need 3 <= n <= 20 vertices, got ${n}`);
  const planted = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const keys = new Set<number>();
  const edges: Array<[number, number]> = [];
  const add = (u: number, v: number) => {
    const k = edgeKey(u, v);
    if (!keys.has(k)) {
      keys.add(k);
      edges.push(u < v ? [u, v] : [v, u]);
    }
  };
  for (let i = 0; i < n; i++) add(planted[i], planted[(i + 1) % n]);
  for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) if (!keys.has(edgeKey(u, v)) && rng.next() < p) add(u, v);
  return { n, edges: rng.shuffle(edges), planted };
}

/** True iff `seq` is a permutation of all vertices whose consecutive pairs, cyclically, are all edges. */
export function isHamiltonianCycle(g: Graph, seq: readonly number[], adj = adjacency(g)): boolean {
  if (seq.length !== g.n) return false;
  const seen = new Array(g.n).fill(false);
  for (const v of seq) {
    if (!Number.isInteger(v) || v < 0 || v >= g.n || seen[v]) return false;
    seen[v] = true;
  }
  for (let i = 0; i < g.n; i++) if (!adj[seq[i]][seq[(i + 1) % g.n]]) return false;
  return true;
}

/**
 * Number of distinct undirected Hamiltonian cycles, by dynamic programming over (visited set, end vertex) of
 * paths starting at vertex 0: O(2^n n^2). Each cycle is found once per direction, hence the division by 2.
 */
export function countHamiltonianCycles(g: Graph): number {
  const n = g.n;
  const adj = adjacency(g);
  const full = (1 << n) - 1;
  const paths = Array.from({ length: 1 << n }, () => new Float64Array(n));
  paths[1][0] = 1;
  for (let mask = 1; mask <= full; mask += 2) {
    for (let end = 0; end < n; end++) {
      const count = paths[mask][end];
      if (!count) continue;
      for (let next = 1; next < n; next++) if (!(mask & (1 << next)) && adj[end][next]) paths[mask | (1 << next)][next] += count;
    }
  }
  let closed = 0;
  for (let end = 1; end < n; end++) if (adj[end][0]) closed += paths[full][end];
  return closed / 2;
}

/** Brute force over all n! sequences: how many are valid cycles (for testing the counter on small n). */
export function countValidPermutations(g: Graph): number {
  const adj = adjacency(g);
  let count = 0;
  const perm: number[] = [];
  const used = new Array(g.n).fill(false);
  const rec = () => {
    if (perm.length === g.n) {
      if (isHamiltonianCycle(g, perm, adj)) count++;
      return;
    }
    for (let v = 0; v < g.n; v++) {
      if (used[v]) continue;
      used[v] = true;
      perm.push(v);
      rec();
      perm.pop();
      used[v] = false;
    }
  };
  rec();
  return count;
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/**
 * Probability that a uniformly random vertex sequence (permutation) is a valid cycle: each undirected cycle is
 * written as 2n sequences (n starting points, 2 directions), out of n! permutations.
 */
export function randomPermutationValidity(g: Graph): number {
  return (2 * g.n * countHamiltonianCycles(g)) / factorial(g.n);
}

/** Edges over vertex pairs: the chance that a uniformly random other vertex is a neighbour (on average). */
export function graphDensity(g: Graph): number {
  return g.edges.length / ((g.n * (g.n - 1)) / 2);
}

export function graphPrompt(g: Graph): string {
  const vertices = Array.from({ length: g.n }, (_, i) => `${SEP}${i}`).join('');
  const edges = g.edges.map(([u, v]) => `${SEP}${u}${EDGE_SEP}${v}`).join('');
  // The trailing newline marks where the answer starts: without it a model cannot tell whether the edge list
  // has ended (measured: a base model trained without it often continued the edges instead of answering).
  return `<bos>Vertices: ${vertices}\nEdges: ${edges}\n`;
}

export const vertexSequence = (seq: readonly number[]) => `${seq.join(SEP)}<eos>`;

export interface ParsedResponse {
  /** A permutation of all vertices (the requested format). */
  wellFormed: boolean;
  valid: boolean;
  vertices: number[];
}

/** Parses generated text "3<sep>1<sep>...<eos>" (anything after <eos> ignored). */
export function parseResponse(g: Graph, text: string, adj = adjacency(g)): ParsedResponse {
  const body = text.split('<eos>')[0];
  const parts = body.split(SEP);
  const vertices = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  const wellFormed = vertices.length === g.n && vertices.every((v) => Number.isInteger(v) && v >= 0 && v < g.n) && new Set(vertices).size === g.n;
  return { wellFormed, valid: wellFormed && isHamiltonianCycle(g, vertices, adj), vertices: vertices.filter(Number.isFinite) };
}

/** A uniformly random permutation that is not a Hamiltonian cycle of g (resampled until it is not). */
export function randomNonCycle(g: Graph, rng: Rng, adj = adjacency(g)): number[] {
  for (let tries = 0; tries < 10000; tries++) {
    const perm = rng.shuffle(Array.from({ length: g.n }, (_, i) => i));
    if (!isHamiltonianCycle(g, perm, adj)) return perm;
  }
  throw new Error(`could not draw a non-cycle permutation of a graph with ${g.edges.length} edges (is it complete?)`);
}

export function hamiltonianExample(g: Graph, id: string, rng: Rng): PreferenceExample {
  return { id, prompt: graphPrompt(g), chosen: vertexSequence(g.planted), rejected: vertexSequence(randomNonCycle(g, rng)), meta: { graph: g } };
}

/** A random walk of `length` vertices along edges (vertices may repeat): the base model's lookup exercise. */
export function randomWalk(g: Graph, length: number, rng: Rng, adj = adjacency(g)): number[] {
  const walk = [rng.int(g.n)];
  while (walk.length < length) {
    const here = walk[walk.length - 1];
    const next = Array.from({ length: g.n }, (_, v) => v).filter((v) => adj[here][v]);
    walk.push(rng.choice(next));
  }
  return walk;
}
