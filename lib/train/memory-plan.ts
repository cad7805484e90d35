/**
 * The memory a training run needs, estimated before anything is allocated, and the refusal when it cannot fit.
 *
 * Parts (float32, 4 bytes a value): weights; the gradients of one micro-batch and their running sum (the pool adds
 * each micro-batch into one sum, data-parallel.ts); AdamW's two moments; a frozen reference copy (IM-RM); the
 * activations autodiff keeps for one micro-batch's backward pass. The activation count is a model of what this
 * library's forward saves per token and layer (residual stream, norms, q/k/v, attention output, the MLP's hidden
 * values and their activation, attention probabilities per head and key), plus the logits and their log-softmax:
 * it is an estimate, checked against `npm run memory-probe`'s measured peaks (tests/memory-plan.test.ts).
 *
 * What a backend can hold: wasm keeps every tensor in one WebAssembly heap of at most 4 GB. WebGPU does not say how
 * much memory its adapter has; its one hard limit is the largest buffer a shader may bind (one tensor), and the
 * total is checked only when IMRM_GPU_MEMORY_GB states it.
 */
import { type BackendInfo, backendInfo } from '../backend';
import type { ModelConfig } from '../model/config';
import { paramSpecs } from '../model/params';

export interface MemoryPlanInput {
  config: ModelConfig;
  /** Sequences in one micro-batch (a pair counts two) and their padded length. */
  rows: number;
  tokens: number;
  /** A frozen copy of the weights (an IM-RM's reference). */
  reference?: boolean;
  /** An explicit reward head (dModel values), negligible but counted. */
  head?: boolean;
}

export interface MemoryPlan {
  weights: number;
  gradients: number;
  adamMoments: number;
  reference: number;
  activations: number;
  total: number;
  /** The largest single tensor (WebGPU binds each tensor as one buffer), and the largest weight among them. */
  largestTensor: number;
  largestWeight: number;
}

const F32 = 4;
/** Vocabulary-sized values per token at the peak of a step, fitted to memory-probe (pythia-70m, 64 and 256 tokens). */
const LOGIT_COPIES = 10;

/** Values autodiff keeps per token for one layer's backward pass (see the header). */
export function savedValuesPerToken(c: ModelConfig, tokens: number): number {
  const hd = c.dModel / c.nHeads;
  const stream = 16 * c.dModel; // layer input, norms (outputs, normalised inputs, their gradients), attention output, residuals
  const qkv = (c.nHeads + 2 * c.nKvHeads) * hd * 2; // q, k, v and their rotated / reshaped copies
  const mlp = (c.gatedMlp ? 3 : 2) * c.dMlp * 3; // the hidden values, their activation, its saved factors
  const attention = 4 * c.nHeads * tokens; // scores, probabilities and their gradients, per head and key
  return stream + qkv + mlp + attention;
}

export function planMemory(input: MemoryPlanInput): MemoryPlan {
  const { config: c, rows, tokens } = input;
  const specs = paramSpecs(c);
  const params = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0) + (input.head ? c.dModel : 0);
  const weights = params * F32;
  const largestWeight = Math.max(...specs.map((s) => s.shape.reduce((a, b) => a * b, 1))) * F32;
  const largestTensor = Math.max(largestWeight, rows * tokens * c.vocabSize * F32);
  const perLayer = savedValuesPerToken(c, tokens) * rows * tokens;
  // Logits, their softmax and log-softmax pieces and the gradients back through them: ten copies, as measured.
  const logits = LOGIT_COPIES * rows * tokens * c.vocabSize;
  const activations = (perLayer * c.nLayers + logits) * F32;
  const gradients = 2 * weights; // one micro-batch's gradients and the running sum
  const adamMoments = 2 * weights;
  const reference = input.reference ? weights : 0;
  return {
    weights,
    gradients,
    adamMoments,
    reference,
    activations,
    largestTensor,
    largestWeight,
    total: weights + gradients + adamMoments + reference + activations,
  };
}

export interface MemoryCapacity {
  /** Bytes all tensors together may take, or null when the backend does not say. */
  total: number | null;
  /** Bytes one tensor may take, or null when unbounded apart from the total. */
  perTensor: number | null;
  /** Measured peak / estimate, at most (PLAN_MARGIN). */
  margin: number;
  where: string;
}

const WASM_HEAP = 4 * 1024 ** 3;

/** What the running backend can hold. */
export function memoryCapacity(info: BackendInfo, env: NodeJS.ProcessEnv = process.env): MemoryCapacity {
  if (info.tfBackend === 'wasm') return { total: WASM_HEAP, perTensor: null, margin: PLAN_MARGIN.wasm, where: 'the wasm heap (4 GB at most per process)' };
  if (info.tfBackend === 'webgpu' && info.webgpu) {
    const stated = env.IMRM_GPU_MEMORY_GB;
    if (stated !== undefined && !(Number(stated) > 0)) throw new Error(`IMRM_GPU_MEMORY_GB must be a positive number of GB, got '${stated}'`);
    return {
      total: stated === undefined ? null : Number(stated) * 1024 ** 3,
      perTensor: info.webgpu.limits.maxStorageBufferBindingSize,
      margin: PLAN_MARGIN.webgpu,
      where: `the WebGPU adapter ${info.webgpu.description || info.webgpu.device}${stated === undefined ? '' : ` (IMRM_GPU_MEMORY_GB=${stated})`}`,
    };
  }
  return { total: null, perTensor: null, margin: PLAN_MARGIN.wasm, where: `the ${info.backend} backend` };
}

/**
 * Measured peak / estimate on the wasm engines: pythia-70m 0.99 (64 tokens) and 1.13 (256), pythia-160m 1.09 (128),
 * pythia-14m 1.03 (64) and 1.11 (256), a 0.7M-parameter model 1.27 (4 x 64 tokens, tests/memory-plan.test.ts); on
 * WebGPU (software adapter) pythia-14m 1.41 (64 tokens; its kernels keep more intermediates, not modelled here). A
 * run is refused when the estimate times this margin does not fit.
 */
export const PLAN_MARGIN = { wasm: 1.3, webgpu: 1.5 } as const;

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GB`;

export function describePlan(p: MemoryPlan): string {
  return (
    `${gb(p.total)}: weights ${gb(p.weights)}, gradients ${gb(p.gradients)}, AdamW moments ${gb(p.adamMoments)}, ` +
    `${p.reference ? `reference ${gb(p.reference)}, ` : ''}activations ${gb(p.activations)}`
  );
}

/**
 * Refuses, before anything is trained, a run whose estimate exceeds what the backend holds: the error gives the
 * numbers and the knob to turn (`knob`: the trainer's micro-batch setting).
 */
export function assertFits(plan: MemoryPlan, capacity: MemoryCapacity, knob: string): void {
  const problems: string[] = [];
  if (capacity.total !== null && plan.total * capacity.margin > capacity.total)
    problems.push(
      `needs about ${describePlan(plan)} (and a ${Math.round((capacity.margin - 1) * 100)}% margin); ${capacity.where} holds ${gb(capacity.total)}`,
    );
  if (capacity.perTensor !== null && plan.largestTensor > capacity.perTensor)
    problems.push(`its largest tensor takes ${gb(plan.largestTensor)}; ${capacity.where} binds at most ${gb(capacity.perTensor)} per tensor`);
  if (problems.length === 0) return;
  const fixed = plan.weights + plan.gradients + plan.adamMoments + plan.reference;
  const advice =
    capacity.perTensor !== null && plan.largestWeight > capacity.perTensor
      ? 'a weight matrix alone exceeds that limit: this adapter cannot hold this model'
      : capacity.total !== null && fixed > capacity.total
        ? 'the weights, gradients and optimiser state alone do not fit: use a smaller model or a larger device'
        : `lower ${knob} (activations scale with it; the summed gradient stays the same) or shorten the sequences`;
  throw new Error(`this run does not fit: ${problems.join('; ')}. ${advice}.`);
}

/** `assertFits` on the running backend: what every trainer calls before its first step. */
export function checkMemory(input: MemoryPlanInput, knob: string, info: BackendInfo = backendInfo()): MemoryPlan {
  const plan = planMemory(input);
  assertFits(plan, memoryCapacity(info), knob);
  return plan;
}
