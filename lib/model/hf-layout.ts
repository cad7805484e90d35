/**
 * Hugging Face model layouts: config.json -> ModelConfig, and the name/shape mapping between Hugging Face
 * parameter names and ours (params.ts), for GPT2LMHeadModel, GPTNeoXForCausalLM, LlamaForCausalLM and
 * Qwen2ForCausalLM. PyTorch Linear weights are (out, in) and ours (in, out): they are transposed; GPT-2's Conv1D
 * weights are already (in, out). Fused projections are split: GPT-2's c_attn by columns [q | k | v], GPT-NeoX's
 * query_key_value by output rows laid out per head [h][q k v][hd].
 * Both spellings of the rotary settings are read: transformers 4 (rotary_pct, rotary_emb_base, rope_theta) and
 * transformers 5 (rope_parameters: {rope_theta, partial_rotary_factor}).
 */
import { type ModelConfig, resolveModelConfig } from './config';
import type { RotaryScaling } from './rotary';

export type HfArchitecture = 'gpt2' | 'gpt_neox' | 'llama' | 'qwen2';

export type HfConfig = Record<string, unknown>;

/** How one Hugging Face tensor becomes ours: copied, transposed, or split into several. */
export type Mapping =
  | { hf: string; kind: 'copy' | 'transpose'; ours: string }
  | { hf: string; kind: 'split-columns'; ours: string[] } // (in, n*out) -> n x (in, out)
  | { hf: string; kind: 'neox-qkv-weight' | 'neox-qkv-bias'; ours: [string, string, string]; nHeads: number; headDim: number };

export function architectureOf(cfg: HfConfig, where: string): HfArchitecture {
  const type = cfg.model_type as string;
  if (type === 'gpt2' || type === 'gpt_neox' || type === 'llama' || type === 'qwen2') return type;
  const arch = (cfg.architectures as string[] | undefined)?.join(', ') ?? 'none';
  throw new Error(`${where}: model_type '${type}' (architectures: ${arch}) is not supported; supported: gpt2, gpt_neox, llama, qwen2`);
}

function num(cfg: HfConfig, where: string, ...keys: string[]): number {
  for (const k of keys) {
    const v = k.split('.').reduce<unknown>((o, part) => (o && typeof o === 'object' ? (o as HfConfig)[part] : undefined), cfg);
    if (typeof v === 'number') return v;
  }
  throw new Error(`${where}: config.json has none of ${keys.map((k) => `'${k}'`).join(', ')}`);
}

function optionalNum(cfg: HfConfig, fallback: number, ...keys: string[]): number {
  try {
    return num(cfg, '', ...keys);
  } catch {
    return fallback;
  }
}

const ACTIVATIONS: Record<string, ModelConfig['activation']> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

function activation(name: unknown, where: string): ModelConfig['activation'] {
  const a = ACTIVATIONS[name as string];
  if (!a) throw new Error(`${where}: activation '${name}' is not supported (${Object.keys(ACTIVATIONS).join(', ')})`);
  return a;
}

/** Rotary scaling from either spelling (rope_parameters / rope_scaling); only Llama 3's is supported. */
function rotaryScaling(cfg: HfConfig, where: string): RotaryScaling | undefined {
  const params = (cfg.rope_parameters ?? cfg.rope_scaling) as HfConfig | null | undefined;
  const type = params?.rope_type ?? params?.type;
  if (type === undefined || type === 'default') return undefined;
  if (type !== 'llama3') throw new Error(`${where}: rotary scaling '${type}' is not supported (default or llama3)`);
  const p = params as HfConfig;
  return {
    type: 'llama3',
    factor: num(p, where, 'factor'),
    lowFreqFactor: num(p, where, 'low_freq_factor'),
    highFreqFactor: num(p, where, 'high_freq_factor'),
    originalContext: num(p, where, 'original_max_position_embeddings'),
  };
}

export function modelConfigFromHf(cfg: HfConfig, where = 'config.json'): ModelConfig {
  const arch = architectureOf(cfg, where);
  const tied = cfg.tie_word_embeddings === undefined ? arch === 'gpt2' : !!cfg.tie_word_embeddings;
  if (arch === 'gpt2') {
    const d = num(cfg, where, 'n_embd');
    return resolveModelConfig(
      {
        vocabSize: num(cfg, where, 'vocab_size'),
        dModel: d,
        nLayers: num(cfg, where, 'n_layer'),
        nHeads: num(cfg, where, 'n_head'),
        nKvHeads: num(cfg, where, 'n_head'),
        contextLength: num(cfg, where, 'n_positions'),
        dMlp: optionalNum(cfg, 4 * d, 'n_inner'),
        norm: 'layernorm',
        normEps: optionalNum(cfg, 1e-5, 'layer_norm_epsilon'),
        positions: 'learned',
        activation: activation(cfg.activation_function ?? 'gelu_new', where),
        gatedMlp: false,
        bias: 'all',
        parallelResidual: false,
        tiedEmbeddings: tied,
      },
      where,
    );
  }
  const scaling = rotaryScaling(cfg, where);
  if (scaling && arch !== 'llama') throw new Error(`${where}: llama3 rotary scaling on model_type '${arch}' is not supported`);
  const d = num(cfg, where, 'hidden_size');
  const nHeads = num(cfg, where, 'num_attention_heads');
  if (cfg.head_dim !== undefined && cfg.head_dim !== d / nHeads) {
    throw new Error(`${where}: head_dim ${cfg.head_dim} differs from hidden_size / num_attention_heads (${d / nHeads}); not supported`);
  }
  const common = {
    vocabSize: num(cfg, where, 'vocab_size'),
    dModel: d,
    nLayers: num(cfg, where, 'num_hidden_layers'),
    nHeads,
    contextLength: num(cfg, where, 'max_position_embeddings'),
    dMlp: num(cfg, where, 'intermediate_size'),
    positions: 'rotary' as const,
    rotaryBase: optionalNum(cfg, 10000, 'rope_parameters.rope_theta', 'rope_theta', 'rotary_emb_base'),
    rotaryScaling: scaling,
    tiedEmbeddings: tied,
  };
  if (arch === 'gpt_neox') {
    if (cfg.attention_bias === false) throw new Error(`${where}: GPT-NeoX without attention biases is not supported`);
    return resolveModelConfig(
      {
        ...common,
        nKvHeads: nHeads,
        norm: 'layernorm',
        normEps: optionalNum(cfg, 1e-5, 'layer_norm_eps'),
        rotaryFraction: optionalNum(cfg, 1, 'rope_parameters.partial_rotary_factor', 'partial_rotary_factor', 'rotary_pct'),
        activation: activation(cfg.hidden_act ?? 'gelu', where),
        gatedMlp: false,
        bias: 'all',
        parallelResidual: cfg.use_parallel_residual === undefined ? true : !!cfg.use_parallel_residual,
      },
      where,
    );
  }
  // llama / qwen2
  const attnBias = arch === 'qwen2' ? true : !!cfg.attention_bias;
  if (cfg.mlp_bias) throw new Error(`${where}: mlp_bias is not supported`);
  if (arch === 'llama' && attnBias) throw new Error(`${where}: Llama with attention_bias (also on o_proj) is not supported`);
  return resolveModelConfig(
    {
      ...common,
      nKvHeads: optionalNum(cfg, nHeads, 'num_key_value_heads'),
      norm: 'rmsnorm',
      normEps: optionalNum(cfg, 1e-6, 'rms_norm_eps'),
      rotaryFraction: 1,
      activation: activation(cfg.hidden_act ?? 'silu', where),
      gatedMlp: true,
      bias: attnBias ? 'qkv' : 'none',
      parallelResidual: false,
    },
    where,
  );
}

/** Every tensor of the layout, Hugging Face name -> ours. The model prefix is the causal-LM one. */
export function hfMappings(arch: HfArchitecture, c: ModelConfig): Mapping[] {
  const m: Mapping[] = [];
  const hd = c.dModel / c.nHeads;
  const add = (hf: string, ours: string, kind: 'copy' | 'transpose' = 'copy') => m.push({ hf, ours, kind });
  for (let i = 0; i < c.nLayers; i++) {
    const b = `blocks.${i}`;
    if (arch === 'gpt2') {
      const h = `transformer.h.${i}`;
      for (const [hfn, ours] of [
        ['ln_1', 'norm1'],
        ['ln_2', 'norm2'],
      ]) {
        add(`${h}.${hfn}.weight`, `${b}.${ours}.weight`);
        add(`${h}.${hfn}.bias`, `${b}.${ours}.bias`);
      }
      m.push({ hf: `${h}.attn.c_attn.weight`, kind: 'split-columns', ours: ['q', 'k', 'v'].map((x) => `${b}.attn.${x}.weight`) });
      m.push({ hf: `${h}.attn.c_attn.bias`, kind: 'split-columns', ours: ['q', 'k', 'v'].map((x) => `${b}.attn.${x}.bias`) });
      for (const [hfn, ours] of [
        ['attn.c_proj', 'attn.o'],
        ['mlp.c_fc', 'mlp.up'],
        ['mlp.c_proj', 'mlp.down'],
      ]) {
        add(`${h}.${hfn}.weight`, `${b}.${ours}.weight`);
        add(`${h}.${hfn}.bias`, `${b}.${ours}.bias`);
      }
    } else if (arch === 'gpt_neox') {
      const h = `gpt_neox.layers.${i}`;
      for (const [hfn, ours] of [
        ['input_layernorm', 'norm1'],
        ['post_attention_layernorm', 'norm2'],
      ]) {
        add(`${h}.${hfn}.weight`, `${b}.${ours}.weight`);
        add(`${h}.${hfn}.bias`, `${b}.${ours}.bias`);
      }
      const qkv = ['q', 'k', 'v'].map((x) => `${b}.attn.${x}`);
      m.push({
        hf: `${h}.attention.query_key_value.weight`,
        kind: 'neox-qkv-weight',
        ours: qkv.map((x) => `${x}.weight`) as [string, string, string],
        nHeads: c.nHeads,
        headDim: hd,
      });
      m.push({
        hf: `${h}.attention.query_key_value.bias`,
        kind: 'neox-qkv-bias',
        ours: qkv.map((x) => `${x}.bias`) as [string, string, string],
        nHeads: c.nHeads,
        headDim: hd,
      });
      for (const [hfn, ours] of [
        ['attention.dense', 'attn.o'],
        ['mlp.dense_h_to_4h', 'mlp.up'],
        ['mlp.dense_4h_to_h', 'mlp.down'],
      ]) {
        add(`${h}.${hfn}.weight`, `${b}.${ours}.weight`, 'transpose');
        add(`${h}.${hfn}.bias`, `${b}.${ours}.bias`);
      }
    } else {
      const h = `model.layers.${i}`;
      add(`${h}.input_layernorm.weight`, `${b}.norm1.weight`);
      add(`${h}.post_attention_layernorm.weight`, `${b}.norm2.weight`);
      for (const x of ['q', 'k', 'v', 'o']) {
        add(`${h}.self_attn.${x}_proj.weight`, `${b}.attn.${x}.weight`, 'transpose');
        if (c.bias === 'qkv' && x !== 'o') add(`${h}.self_attn.${x}_proj.bias`, `${b}.attn.${x}.bias`);
      }
      for (const x of ['gate', 'up', 'down']) add(`${h}.mlp.${x}_proj.weight`, `${b}.mlp.${x}.weight`, 'transpose');
    }
  }
  if (arch === 'gpt2') {
    add('transformer.wte.weight', 'tok_embed');
    add('transformer.wpe.weight', 'pos_embed');
    add('transformer.ln_f.weight', 'final_norm.weight');
    add('transformer.ln_f.bias', 'final_norm.bias');
    if (!c.tiedEmbeddings) add('lm_head.weight', 'lm_head', 'transpose');
  } else if (arch === 'gpt_neox') {
    add('gpt_neox.embed_in.weight', 'tok_embed');
    add('gpt_neox.final_layer_norm.weight', 'final_norm.weight');
    add('gpt_neox.final_layer_norm.bias', 'final_norm.bias');
    if (!c.tiedEmbeddings) add('embed_out.weight', 'lm_head', 'transpose');
  } else {
    add('model.embed_tokens.weight', 'tok_embed');
    add('model.norm.weight', 'final_norm.weight');
    if (!c.tiedEmbeddings) add('lm_head.weight', 'lm_head', 'transpose');
  }
  return m;
}

/** The base-model prefix of an architecture (sequence-classification heads sit beside it as 'score.weight'). */
export const BASE_PREFIX: Record<HfArchitecture, string> = { gpt2: 'transformer.', gpt_neox: 'gpt_neox.', llama: 'model.', qwen2: 'model.' };

/** Checkpoint names vary: bare GPT-2 files (e.g. the original 'gpt2') have no 'transformer.' prefix; the first candidate is what we write. */
export function nameCandidates(arch: HfArchitecture, hf: string): string[] {
  const prefix = BASE_PREFIX[arch];
  if (hf === 'embed_out.weight') return [hf, 'lm_head.weight']; // GPT-NeoX's output layer, renamed by transformers 5
  return hf.startsWith(prefix) ? [hf, hf.slice(prefix.length)] : [hf];
}

/** Buffers some checkpoints store that are not parameters (causal masks, rotary tables). */
export function isIgnoredBuffer(name: string): boolean {
  return /(\.attn\.bias|\.attn\.masked_bias|\.attention\.bias|\.attention\.masked_bias|rotary_emb\.inv_freq)$/.test(name);
}

/**
 * A Hugging Face config.json for one of our own models, when its layout is one of the supported architectures
 * (GPT-2: learned positions, LayerNorm, tanh-GELU, biases, tied; GPT-NeoX: rotary, LayerNorm, parallel residual,
 * biases; Llama: rotary, RMSNorm, SwiGLU, no biases). Throws, naming the mismatch, otherwise.
 */
export function hfConfigFor(
  c: ModelConfig,
  special: { bos: number | null; eos: number | null; pad: number | null },
): { arch: HfArchitecture; hfConfig: HfConfig } {
  const ids = { bos_token_id: special.bos, eos_token_id: special.eos, pad_token_id: special.pad, torch_dtype: 'float32' };
  if (c.positions === 'learned') {
    const ok = c.norm === 'layernorm' && !c.gatedMlp && c.bias === 'all' && !c.parallelResidual && c.nKvHeads === c.nHeads && c.tiedEmbeddings;
    if (!ok)
      throw new Error(
        'a model with learned positions exports only in the GPT-2 layout (LayerNorm, plain MLP, all biases, sequential residual, tied embeddings)',
      );
    const act = Object.entries(ACTIVATIONS).find(([, v]) => v === c.activation)?.[0] as string;
    return {
      arch: 'gpt2',
      hfConfig: {
        model_type: 'gpt2',
        architectures: ['GPT2LMHeadModel'],
        vocab_size: c.vocabSize,
        n_embd: c.dModel,
        n_layer: c.nLayers,
        n_head: c.nHeads,
        n_positions: c.contextLength,
        n_inner: c.dMlp,
        activation_function: c.activation === 'gelu_tanh' ? 'gelu_new' : act,
        layer_norm_epsilon: c.normEps,
        tie_word_embeddings: true,
        ...ids,
      },
    };
  }
  const s = c.rotaryScaling;
  const scaled = s
    ? {
        rope_type: 'llama3',
        factor: s.factor,
        low_freq_factor: s.lowFreqFactor,
        high_freq_factor: s.highFreqFactor,
        original_max_position_embeddings: s.originalContext,
      }
    : null;
  const rope = {
    rope_parameters: { rope_type: 'default', rope_theta: c.rotaryBase, partial_rotary_factor: c.rotaryFraction, ...(scaled ?? {}) },
    rope_theta: c.rotaryBase,
    ...(scaled ? { rope_scaling: scaled } : {}),
  };
  const common = {
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    max_position_embeddings: c.contextLength,
    intermediate_size: c.dMlp,
    tie_word_embeddings: c.tiedEmbeddings,
    ...rope,
    ...ids,
  };
  if (c.norm === 'layernorm' && !c.gatedMlp && c.bias === 'all' && c.nKvHeads === c.nHeads && (c.activation === 'gelu' || c.activation === 'gelu_tanh')) {
    return {
      arch: 'gpt_neox',
      hfConfig: {
        model_type: 'gpt_neox',
        architectures: ['GPTNeoXForCausalLM'],
        ...common,
        rotary_pct: c.rotaryFraction,
        rotary_emb_base: c.rotaryBase,
        hidden_act: c.activation === 'gelu' ? 'gelu' : 'gelu_pytorch_tanh',
        layer_norm_eps: c.normEps,
        use_parallel_residual: c.parallelResidual,
        attention_bias: true,
      },
    };
  }
  if (
    c.norm === 'rmsnorm' &&
    c.gatedMlp &&
    c.activation === 'silu' &&
    c.rotaryFraction === 1 &&
    !c.parallelResidual &&
    (c.bias === 'none' || c.bias === 'qkv')
  ) {
    const type = c.bias === 'qkv' ? 'qwen2' : 'llama';
    return {
      arch: type,
      hfConfig: {
        model_type: type,
        architectures: [type === 'llama' ? 'LlamaForCausalLM' : 'Qwen2ForCausalLM'],
        ...common,
        num_key_value_heads: c.nKvHeads,
        head_dim: c.dModel / c.nHeads,
        hidden_act: 'silu',
        rms_norm_eps: c.normEps,
        attention_bias: false,
        mlp_bias: false,
      },
    };
  }
  throw new Error('this model layout matches none of GPT-2, GPT-NeoX, Llama, Qwen2; it cannot be exported for transformers');
}
