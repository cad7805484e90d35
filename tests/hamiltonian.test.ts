import { describe, it, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setup, assertClose, tinyModel } from './helpers';
import { Rng } from '../lib/random';
import * as H from '../lib/data/hamiltonian';
import { checkTilt } from '../lib/theory/theorem1';
import { generate } from '../lib/model/generate';
import { hamiltonianConclusion } from '../lib/experiments/hamiltonian-report';
import { aggregate } from '../lib/runs/stats';
import { runExperiment, resolveExperimentConfig } from '../lib/experiments/runner';
import { theorem1 } from '../lib/experiments/theorem1';
import { baseTask, hamiltonian } from '../lib/experiments/hamiltonian';
import {
  buildHamiltonianBase,
  baseIdentity,
  HAMILTONIAN_BASE_VERSION,
  hamiltonianBaseDir,
  hamiltonianTokenizer,
  loadHamiltonianBase,
  stageDocuments,
} from '../lib/experiments/hamiltonian-base';
import { lookupDiagnostics } from '../lib/experiments/hamiltonian-lookup';
import { formatRates, hasAnswerFormat } from '../lib/report/hamiltonian-samples';

before(setup);

describe('Hamiltonian data', () => {
  it('the planted cycle is valid, rejected responses never are, prompts have the paper format', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const g = H.randomGraph(10, 0.2, rng);
      assert.ok(H.isHamiltonianCycle(g, g.planted));
      const e = H.hamiltonianExample(g, `g${i}`, rng);
      assert.equal(H.parseResponse(g, e.chosen).valid, true);
      const rej = H.parseResponse(g, e.rejected);
      assert.equal(rej.wellFormed, true);
      assert.equal(rej.valid, false);
    }
    const g = H.randomGraph(4, 0, new Rng(2));
    assert.match(H.graphPrompt(g), /^<bos>Vertices: <sep>0<sep>1<sep>2<sep>3\nEdges: (<sep>\d<edge_sep>\d){4}\n$/);
  });

  it('adds every other edge with probability p (on average)', () => {
    const rng = new Rng(3);
    const n = 10,
      p = 0.2,
      graphs = 2000;
    let extra = 0;
    for (let i = 0; i < graphs; i++) extra += H.randomGraph(n, p, rng).edges.length - n;
    const mean = extra / graphs,
      expected = p * ((n * (n - 1)) / 2 - n);
    const sd = Math.sqrt((p * (1 - p) * ((n * (n - 1)) / 2 - n)) / graphs);
    assert.ok(Math.abs(mean - expected) < 4 * sd, `mean extra edges ${mean}, expected ${expected}`);
  });

  it('counts Hamiltonian cycles exactly (against brute force) and gives the random-permutation baseline', () => {
    const rng = new Rng(4);
    for (let i = 0; i < 25; i++) {
      const n = 4 + (i % 4);
      const g = H.randomGraph(n, 0.5, rng);
      assert.equal(2 * n * H.countHamiltonianCycles(g), H.countValidPermutations(g), `n=${n}`);
    }
    // K4 has 3 undirected Hamiltonian cycles; 2 * 4 * 3 of the 24 sequences are valid.
    const k4: H.Graph = {
      n: 4,
      planted: [0, 1, 2, 3],
      edges: [
        [0, 1],
        [0, 2],
        [0, 3],
        [1, 2],
        [1, 3],
        [2, 3],
      ],
    };
    assert.equal(H.countHamiltonianCycles(k4), 3);
    assertClose(H.randomPermutationValidity(k4), 1, 1e-12);
    const c5: H.Graph = {
      n: 5,
      planted: [0, 1, 2, 3, 4],
      edges: [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
        [0, 4],
      ],
    };
    assertClose(H.randomPermutationValidity(c5), 10 / 120, 1e-12);
  });

  it('the verifier and parser reject malformed answers', () => {
    const c5: H.Graph = {
      n: 5,
      planted: [0, 1, 2, 3, 4],
      edges: [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
        [0, 4],
      ],
    };
    assert.equal(H.isHamiltonianCycle(c5, [0, 1, 2, 3, 4]), true);
    assert.equal(H.isHamiltonianCycle(c5, [4, 3, 2, 1, 0]), true);
    assert.equal(H.isHamiltonianCycle(c5, [0, 2, 1, 3, 4]), false);
    assert.equal(H.isHamiltonianCycle(c5, [0, 1, 2, 3]), false);
    assert.equal(H.isHamiltonianCycle(c5, [0, 1, 2, 3, 3]), false);
    assert.deepEqual(H.parseResponse(c5, '1<sep>2<sep>3<sep>4<sep>0<eos>junk'), { wellFormed: true, valid: true, vertices: [1, 2, 3, 4, 0] });
    assert.equal(H.parseResponse(c5, '1<sep>2<sep>3<sep>4<eos>').wellFormed, false);
    assert.equal(H.parseResponse(c5, '1<sep>2<sep>x<sep>4<sep>0<eos>').wellFormed, false);
    const tok = hamiltonianTokenizer();
    const text = H.graphPrompt(H.randomGraph(10, 0.2, new Rng(5)));
    assert.equal(tok.decode(tok.encode(text)), text);
    assert.ok(!tok.encode(text).includes(tok.unkId));
  });
});

describe('Hamiltonian base documents', () => {
  it('prompts of graphs with minVertices..maxVertices vertices, answered by walks along edges or permutations', () => {
    const c = resolveExperimentConfig(hamiltonian, 'quick', {
      base: {
        graphs: 300,
        minVertices: 4,
        walkFraction: 0.5,
        stages: [
          { maxVertices: 5, steps: 1, walkLength: 3 },
          { maxVertices: 8, steps: 1, walkLength: 1 },
        ],
      },
    });
    const task = baseTask(c);
    const tok = hamiltonianTokenizer();
    const docs = stageDocuments(task, c.base, 1, tok);
    assert.equal(docs.length, 300);
    const sizes = new Set<number>();
    let walks = 0;
    for (const d of docs) {
      const prompt = tok.decode(d.prompt);
      const n = (prompt.split('Edges:')[0].match(/<sep>/g) ?? []).length;
      sizes.add(n);
      const edges = [...prompt.split('Edges:')[1].matchAll(/<sep>(\d+)<edge_sep>(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
      const answer = tok.decode(d.response).replace('<eos>', '').split('<sep>').map(Number);
      assert.equal(answer.length, n);
      const isPermutation = new Set(answer).size === n;
      const alongEdges = answer.slice(1).every((v, i) => edges.some(([a, b]) => (a === answer[i] && b === v) || (b === answer[i] && a === v)));
      assert.ok(isPermutation || alongEdges, `answer ${answer} is neither a permutation nor a walk`);
      if (alongEdges && !isPermutation) walks++;
    }
    assert.deepEqual(
      [...sizes].sort((a, b) => a - b),
      [4, 5, 6, 7, 8],
    );
    assert.ok(walks > 100 && walks < 200, `walks ${walks}`);
    assert.deepEqual(stageDocuments(task, c.base, 1, tok), docs);
    const first = new Set(stageDocuments(task, c.base, 0, tok).map((d) => (tok.decode(d.prompt).split('Edges:')[0].match(/<sep>/g) ?? []).length));
    assert.deepEqual([...first].sort(), [4, 5]);
    // Stage 1's walks are three times as long as the graph (answer = walkLength * n vertices, then EOS).
    const c3 = { ...c.base, walkFraction: 1 };
    for (const d of stageDocuments(task, c3, 0, tok).slice(0, 20)) {
      const n = (tok.decode(d.prompt).split('Edges:')[0].match(/<sep>/g) ?? []).length;
      assert.equal(tok.decode(d.response).replace('<eos>', '').split('<sep>').length, 3 * n);
    }
    // A stage's own walkFraction replaces base.walkFraction for that stage only: 0 gives only permutations.
    const perms = { ...c.base, stages: [c.base.stages[0], { ...c.base.stages[1], walkFraction: 0 }] };
    for (const d of stageDocuments(task, perms, 1, tok)) {
      const answer = tok.decode(d.response).replace('<eos>', '').split('<sep>');
      assert.equal(new Set(answer).size, answer.length);
    }
    assert.deepEqual(stageDocuments(task, perms, 0, tok), stageDocuments(task, c.base, 0, tok));
  });

  it('an interrupted base build resumes from its checkpoint to the same model; the cache is keyed by config', async () => {
    const c = resolveExperimentConfig(hamiltonian, 'smoke', { base: { checkpointEverySteps: 3 } });
    const task = baseTask(c);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-hbase-'));
    const dir = hamiltonianBaseDir(root, task, c.base);
    assert.notEqual(hamiltonianBaseDir(root, task, { ...c.base, graphs: 201 }), dir);
    assert.equal(await buildHamiltonianBase(task, c.base, dir), 'built');
    const whole = loadHamiltonianBase(dir);
    assert.equal(whole.losses.length, 10);
    assert.equal(await buildHamiltonianBase(task, c.base, dir), 'found');
    fs.rmSync(dir, { recursive: true });
    const stop = new Error('interrupted');
    await assert.rejects(
      buildHamiltonianBase(task, c.base, dir, {
        onStep: (step) => {
          if (step === 8) throw stop;
        },
      }),
      /interrupted/,
    );
    assert.ok(!fs.existsSync(dir) && fs.existsSync(`${dir}.partial`) && !fs.existsSync(`${dir}.lock`));
    let resumedAt = -1;
    assert.equal(
      await buildHamiltonianBase(task, c.base, dir, {
        onResume: (step) => {
          resumedAt = step;
        },
      }),
      'built',
    );
    assert.equal(resumedAt, 7); // stage 1 (4 steps) + 3 steps of stage 2, checkpointed at its step 3
    assert.ok(!fs.existsSync(`${dir}.partial`));
    const resumed = loadHamiltonianBase(dir);
    resumed.losses.forEach((l, i) => assertClose(l, whole.losses[i], 1e-6, `loss ${i + 1}`));
    for (const k of Object.keys(whole.model.params)) assertClose(resumed.model.params[k].sub(whole.model.params[k]).abs().max().dataSync()[0], 0, 1e-6, k);
    // A longer curriculum continues from the cached base of its first stages, with the same result.
    const longer = { ...c.base, stages: [...c.base.stages, { maxVertices: 5, steps: 2, walkLength: 1 }] };
    const longerDir = hamiltonianBaseDir(root, task, longer);
    let from = '';
    assert.equal(
      await buildHamiltonianBase(task, longer, longerDir, {
        onResume: (step, prefix) => {
          resumedAt = step;
          from = prefix ?? '';
        },
      }),
      'built',
    );
    assert.equal(resumedAt, 10);
    assert.equal(from, dir);
    const extended = loadHamiltonianBase(longerDir);
    assert.equal(extended.losses.length, 12);
    extended.losses.slice(0, 10).forEach((l, i) => assertClose(l, whole.losses[i], 1e-6, `loss ${i + 1}`));
    [whole, resumed, extended].forEach((b) => b.dispose());
    fs.rmSync(root, { recursive: true });
  });

  it('a base is identified by its version, task, config and backend, not by its checkpoint interval', () => {
    const c = resolveExperimentConfig(hamiltonian, 'smoke');
    const task = baseTask(c);
    const dir = (base: typeof c.base) => hamiltonianBaseDir('/runs', task, base);
    assert.equal(dir({ ...c.base, checkpointEverySteps: 7 }), dir(c.base));
    assert.notEqual(dir({ ...c.base, graphs: c.base.graphs + 1 }), dir(c.base));
    // A stage's walkFraction is part of the config: it does not match a base trained without it.
    assert.notEqual(dir({ ...c.base, stages: c.base.stages.map((st, k) => (k === 1 ? { ...st, walkFraction: 0.5 } : st)) }), dir(c.base));
    assert.equal(baseIdentity(task, c.base).version, HAMILTONIAN_BASE_VERSION);
    // Every hamiltonian run's identity holds its base's.
    assert.deepEqual((hamiltonian.dataIdentity(c) as { base: unknown }).base, baseIdentity(task, c.base));
  });
});

describe('Theorem 1, exactly', () => {
  it('margin delta between every correct and incorrect response; pi(correct) within the bound', () => {
    const logRef = [Math.log(1e-9), Math.log(1e-9), 0, 0.5, -1, 2];
    const correct = [true, true, false, false, false, false];
    for (const d of [0.5, 2, 10]) {
      const t = checkTilt(logRef, correct, 0.01, 0.01 * d);
      assertClose(t.marginMin, 0.01 * d, 1e-9);
      assertClose(t.marginMax, 0.01 * d, 1e-9);
      assert.equal(t.verificationAccuracy, 1);
      assert.ok(t.piCorrect <= t.bound);
      assertClose(t.piCorrect, t.closedForm, 1e-9);
    }
    // perfect verification, yet generation stays tiny when pi_ref(correct) is tiny
    const t = checkTilt(logRef, correct, 0.01, 0.05);
    assert.ok(t.piCorrect < 1e-6);
  });
});

describe('edge-lookup diagnostics', () => {
  it('a model with uniform outputs puts 1/V on every token: masses, losses and counts in closed form', () => {
    const tok = hamiltonianTokenizer();
    const { model, vars } = tinyModel({ vocabSize: tok.vocabSize, contextLength: 128 });
    // A zero final norm makes every hidden state, hence every logit, zero (tied head, no bias): uniform outputs.
    for (const k of Object.keys(vars).filter((k) => k.startsWith('final_norm'))) vars[k].assign(tf.zerosLike(vars[k]));
    const rng = new Rng(3);
    const graphs = [H.randomGraph(4, 0.3, rng), H.randomGraph(6, 0.3, rng), H.randomGraph(5, 0.3, rng)];
    lookupDiagnostics(model, tok, graphs, new Rng(4)); // first call: the model's position tables are cached
    const before = tf.memory().numTensors;
    const d = lookupDiagnostics(model, tok, graphs, new Rng(4));
    assert.equal(tf.memory().numTensors, before);
    const V = tok.vocabSize;
    assert.equal(d.positions, 3 + 5 + 4); // every walk vertex after the first
    assertClose(d.currentMass, 1 / V, 1e-6);
    // The walks are drawn from the given rng in graph order: redraw them to get the degree at every position.
    const redraw = new Rng(4);
    const here = graphs.flatMap((g) => {
      const adj = H.adjacency(g);
      return H.randomWalk(g, g.n, redraw)
        .slice(0, -1)
        .map((v) => ({ deg: adj[v].filter(Boolean).length, n: g.n }));
    });
    assertClose(d.neighbourMass, here.reduce((a, h) => a + h.deg / V, 0) / 12, 1e-6);
    assertClose(d.neighbourMassUniform, here.reduce((a, h) => a + h.deg / h.n, 0) / 12, 1e-9);
    assertClose(d.currentMass + d.neighbourMass + d.otherVertexMass + d.nonVertexMass, 1, 1e-6);
    assertClose(d.nonVertexMass, (3 * (V - 4) + 5 * (V - 6) + 4 * (V - 5)) / (12 * V), 1e-6);
    assertClose(d.vertexLoss, Math.log(V), 1e-5);
    assertClose(d.separatorLoss, Math.log(V), 1e-5);
    Object.values(vars).forEach((v) => v.dispose());
  });
});

describe('generation', () => {
  it('greedy decoding is deterministic, stops at EOS or the budget, and sampling is seeded', async () => {
    const { model, vars } = tinyModel({ initStd: 0.5 });
    const prompts = [
      [2, 5, 6],
      [2, 7],
    ];
    const a = await generate(model, prompts, { maxNewTokens: 6, temperature: 0, seed: 1, eosId: 3 });
    const b = await generate(model, prompts, { maxNewTokens: 6, temperature: 0, seed: 9, eosId: 3 });
    assert.deepEqual(a, b);
    for (const g of a) assert.ok(g.stop === 'eos' ? g.tokens[g.tokens.length - 1] === 3 : g.tokens.length === 6);
    const s1 = await generate(model, prompts, { maxNewTokens: 6, temperature: 1, seed: 4 });
    const s2 = await generate(model, prompts, { maxNewTokens: 6, temperature: 1, seed: 4 });
    assert.deepEqual(s1, s2);
    // Flat tensor count: a repeat (shape constants such as masks already cached) allocates nothing that stays.
    const tensorsBefore = tf.memory().numTensors;
    await generate(model, prompts, { maxNewTokens: 6, temperature: 1, seed: 4 });
    assert.equal(tf.memory().numTensors, tensorsBefore, 'generation leaked tensors');
    const ctx = await generate(model, [Array.from({ length: 15 }, () => 1)], { maxNewTokens: 10, temperature: 0, seed: 1 });
    assert.equal(ctx[0].stop, 'context');
    assert.equal(ctx[0].tokens.length, 1);
    Object.values(vars).forEach((v) => v.dispose());
  });
});

describe('experiments theorem1 and hamiltonian (smoke)', () => {
  it('run end to end', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imrm-ham-'));
    const t1 = await runExperiment(theorem1, { profile: 'smoke', seeds: 1, root });
    for (const ref of ['uniform', 'random', 'adversarial']) {
      for (const m of Object.values(t1.summary.results[ref])) {
        assertClose(m.marginMinOverDelta.mean, 1, 1e-9);
        assert.equal(m.boundHolds.mean, 1);
      }
    }
    const h = await runExperiment(hamiltonian, { profile: 'smoke', seeds: 2, root });
    // The summary's numbers are those of the saved per-example scores and samples.
    for (const seed of [1, 2]) {
      const scores = fs
        .readFileSync(path.join(h.dir, `seed-${seed}`, 'im', 'scores', 'test.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { correct: number });
      assertClose(
        h.summary.results.im.test.accuracy.perSeed[seed - 1],
        scores.reduce((a, x) => a + x.correct, 0) / scores.length,
        1e-12,
        `seed ${seed} accuracy`,
      );
      const samples = JSON.parse(fs.readFileSync(path.join(h.dir, `seed-${seed}`, 'generations.json'), 'utf8')).im as Array<{
        valid: boolean;
        wellFormed: boolean;
      }>;
      assertClose(
        h.summary.results.generation['im-policy'].valid.perSeed[seed - 1],
        samples.filter((x) => x.valid).length / samples.length,
        1e-12,
        `seed ${seed} valid`,
      );
      assert.ok(
        samples.every((x) => !x.valid || x.wellFormed),
        'a valid cycle is a permutation',
      );
    }
    // One base for the run, trained once and shared by the seeds.
    const bases = fs.readdirSync(path.join(root, 'hamiltonian-base'));
    assert.equal(bases.length, 1);
    assert.ok(fs.existsSync(path.join(root, 'hamiltonian-base', bases[0], 'model', 'config.json')));
    assert.deepEqual(h.summary.results.generation.base.wellFormed.perSeed.length, 2);
    assert.ok(h.summary.results.generation['random-permutation'].valid.mean > 0);
    const gens = JSON.parse(fs.readFileSync(path.join(h.dir, 'seed-1', 'generations.json'), 'utf8'));
    assert.equal(gens.im.length, 8);
    fs.rmSync(root, { recursive: true });
  });
});

describe('Hamiltonian conclusion (hand-made aggregates)', () => {
  it('says verification does not need generation only when the IM-RM verifies and its policy does not generate', () => {
    const a = (...v: number[]) => aggregate(v);
    const gen = (valid: number[]) => ({ valid: a(...valid), wellFormed: a(0, 0, 0), edgeRate: a(0.5, 0.5, 0.5) });
    const summary = (im: number[], policy: number[]) => ({
      seeds: [1, 2, 3],
      backend: 'wasm',
      results: {
        im: { test: { accuracy: a(...im) } },
        ex: { test: { accuracy: a(0.5, 0.6, 0.55) } },
        generation: { 'im-policy': gen(policy), base: gen([0, 0, 0]), 'random-permutation': gen([6e-5, 6e-5, 6e-5]) },
        'base-lookup': { test: { neighbourMass: a(0.6, 0.6, 0.6), neighbourMassUniform: a(0.36, 0.36, 0.36), currentMass: a(0, 0, 0) } },
      },
    });
    const fmt = { im: 0.03, base: 0.87 };
    assert.match(
      hamiltonianConclusion(summary([0.83, 0.8, 0.82], [0, 0, 0]) as never, fmt, 'paper'),
      /As in the paper, the IM-RM verifies above chance while its policy does not generate/,
    );
    assert.match(hamiltonianConclusion(summary([0.83, 0.8, 0.82], [0.2, 0.3, 0.25]) as never, fmt, 'paper'), /also generates valid cycles more often/);
    assert.match(hamiltonianConclusion(summary([0.4, 0.6, 0.5], [0, 0, 0]) as never, fmt, 'paper'), /does not verify clearly above chance/);
  });
});

describe('saved Hamiltonian samples', () => {
  it('the answer format is n vertex numbers below n then EOS; distinct vertices counted among those', () => {
    assert.equal(hasAnswerFormat('1<sep>0<sep>1<eos>', 3), true); // a walk: the format, not a permutation
    assert.equal(hasAnswerFormat('1<sep>0<sep>2<eos>junk', 3), true);
    assert.equal(hasAnswerFormat('1<sep>0<sep>2', 3), false); // no EOS
    assert.equal(hasAnswerFormat('1<sep>0<eos>', 3), false);
    assert.equal(hasAnswerFormat('1<sep>0<sep>3<eos>', 3), false);
    assert.equal(hasAnswerFormat('1<sep><edge_sep><sep>2<eos>', 3), false);
    const r = formatRates(
      [
        { text: '1<sep>0<sep>1<eos>', stop: 'eos' },
        { text: '1<sep>0<sep>2<eos>', stop: 'eos' },
        { text: '2<sep>1', stop: 'budget' },
        { text: '0<sep>2<sep>1<eos>', stop: 'eos' },
      ],
      3,
    );
    assertClose(r.format, 3 / 4, 1e-12);
    assertClose(r.distinctGivenFormat, 2 / 3, 1e-12);
  });
});
