// GPT-2's configuration: Hugging Face GPT2Config keys verbatim (snake_case, as data), its defaults, and named
// presets (the four OpenAI sizes and a small character-level model).
import { FormatError, TesseraError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../io/json.js';

/** A GPT-2 config.json: transformers' GPT2Config keys. Unknown keys are kept and written back. */
export interface GPT2Config extends JsonObject {
  model_type: string;
  vocab_size: number;
  /** Longest sequence (learned position table size). */
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** MLP width; null means 4 * n_embd. */
  n_inner: number | null;
  /** gelu_new (the tanh approximation) in every OpenAI checkpoint. */
  activation_function: string;
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  /** Divide attention scores by sqrt(head dim). */
  scale_attn_weights: boolean;
  /** Also divide them by (layer index + 1). */
  scale_attn_by_inverse_layer_idx: boolean;
  reorder_and_upcast_attn: boolean;
  tie_word_embeddings: boolean;
  use_cache: boolean;
  bos_token_id: number | null;
  /** One id or several (generation stops at any of them). */
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
}

/** transformers' GPT2Config defaults (the 124M model). */
export const GPT2_DEFAULTS: Readonly<GPT2Config> = Object.freeze({
  model_type: 'gpt2',
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  activation_function: 'gelu_new',
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  layer_norm_epsilon: 1e-5,
  initializer_range: 0.02,
  scale_attn_weights: true,
  scale_attn_by_inverse_layer_idx: false,
  reorder_and_upcast_attn: false,
  tie_word_embeddings: true,
  use_cache: true,
  bos_token_id: 50256,
  eos_token_id: 50256,
  pad_token_id: null,
});

/** Named sizes; each overrides the defaults. */
export const GPT2_PRESETS = {
  gpt2: { n_layer: 12, n_head: 12, n_embd: 768 }, // 124M params
  'gpt2-medium': { n_layer: 24, n_head: 16, n_embd: 1024 }, // 355M params
  'gpt2-large': { n_layer: 36, n_head: 20, n_embd: 1280 }, // 774M params
  'gpt2-xl': { n_layer: 48, n_head: 25, n_embd: 1600 }, // 1558M params
  // a character-level model for small corpora (65 symbols, e.g. tinyshakespeare), no special tokens
  'gpt2-char': {
    vocab_size: 65, n_positions: 256, n_layer: 6, n_head: 6, n_embd: 384,
    resid_pdrop: 0.2, embd_pdrop: 0.2, attn_pdrop: 0.2, bos_token_id: null, eos_token_id: null,
  }, // 10.8M params
} as const satisfies Record<string, Partial<GPT2Config>>;

export type GPT2PresetName = keyof typeof GPT2_PRESETS;

/**
 * A full GPT-2 config: a preset name or the defaults, then `overrides`. Checks the values the model uses.
 * @example gpt2Config('gpt2-char', { vocab_size: 80 })
 */
export function gpt2Config(preset?: GPT2PresetName | null, overrides: Partial<GPT2Config> = {}): GPT2Config {
  if (preset != null && !(preset in GPT2_PRESETS)) {
    throw new TesseraError(`unknown GPT-2 preset '${preset}' (expected ${Object.keys(GPT2_PRESETS).join(', ')})`);
  }
  const base = preset != null ? GPT2_PRESETS[preset] : {};
  return checkGPT2Config({ ...GPT2_DEFAULTS, ...base, ...overrides } as GPT2Config, 'GPT-2 config');
}

/** A config.json object read from disk: missing keys take the defaults; bad values fail naming `source`. */
export function gpt2ConfigFromJson(raw: JsonObject, source = 'config.json'): GPT2Config {
  return checkGPT2Config({ ...GPT2_DEFAULTS, ...raw } as GPT2Config, source);
}

/** The MLP width. */
export function innerDim(c: GPT2Config): number {
  return c.n_inner ?? 4 * c.n_embd;
}

function checkGPT2Config(c: GPT2Config, source: string): GPT2Config {
  const bad = (key: string, want: string, v: JsonValue | undefined) => new FormatError(`${source}: '${key}' must be ${want}, got ${JSON.stringify(v)}`);
  for (const key of ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(key, 'a positive integer', v);
  }
  if (c.n_inner !== null && (typeof c.n_inner !== 'number' || !Number.isInteger(c.n_inner) || c.n_inner < 1)) throw bad('n_inner', 'null or a positive integer', c.n_inner);
  for (const key of ['resid_pdrop', 'embd_pdrop', 'attn_pdrop'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || v < 0 || v > 1) throw bad(key, 'a probability in [0, 1]', v);
  }
  if (typeof c.layer_norm_epsilon !== 'number' || !(c.layer_norm_epsilon > 0)) throw bad('layer_norm_epsilon', 'a positive number', c.layer_norm_epsilon);
  if (typeof c.activation_function !== 'string') throw bad('activation_function', 'a string', c.activation_function);
  for (const key of ['bos_token_id', 'pad_token_id'] as const) {
    const v = c[key];
    if (v !== null && (typeof v !== 'number' || !Number.isInteger(v))) throw bad(key, 'null or an integer', v);
  }
  const eos = c.eos_token_id;
  if (eos !== null && !(Array.isArray(eos) ? eos : [eos]).every((v) => typeof v === 'number' && Number.isInteger(v))) {
    throw bad('eos_token_id', 'null, an integer or a list of integers', eos);
  }
  if (c.n_embd % c.n_head !== 0) throw new FormatError(`${source}: n_embd ${c.n_embd} is not divisible by n_head ${c.n_head}`);
  return c;
}
