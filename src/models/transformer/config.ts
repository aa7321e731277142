// The original encoder-decoder Transformer's configuration: Hugging Face MarianConfig keys verbatim (so a
// MarianMT config.json is one), MarianConfig's defaults, one Tessera key for the position-table layout, and
// the paper's base and big models as presets.
import { FormatError, TesseraError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../io/json.js';

/**
 * Layout of the sinusoidal position table: the paper's 'interleaved' (sin on even dims, cos on odd) or
 * Marian's 'halves' (sin in the first half, cos in the second).
 */
export type PositionLayout = 'interleaved' | 'halves';

/** A config.json with MarianConfig's keys. Unknown keys are kept and written back. */
export interface TransformerConfig extends JsonObject {
  model_type: string;
  /** Source vocabulary (and target, when shared). */
  vocab_size: number;
  /** Target vocabulary when embeddings are not shared; null means vocab_size. */
  decoder_vocab_size: number | null;
  /** Longest source or target sequence (position table size). */
  max_position_embeddings: number;
  d_model: number;
  encoder_layers: number;
  encoder_ffn_dim: number;
  encoder_attention_heads: number;
  decoder_layers: number;
  decoder_ffn_dim: number;
  decoder_attention_heads: number;
  /** FFN activation by transformers' name (the paper: relu). */
  activation_function: string;
  dropout: number;
  attention_dropout: number;
  activation_dropout: number;
  encoder_layerdrop: number;
  decoder_layerdrop: number;
  init_std: number;
  /** Multiply token embeddings by sqrt(d_model) (the paper, 3.4). */
  scale_embedding: boolean;
  /** One token embedding matrix for source and target ('model.shared'). */
  share_encoder_decoder_embeddings: boolean;
  /** The output projection is the (target) embedding matrix. */
  tie_word_embeddings: boolean;
  pad_token_id: number | null;
  eos_token_id: number | number[] | null;
  /** First decoder input (Marian uses the pad token). */
  decoder_start_token_id: number | null;
  forced_eos_token_id: number | null;
  is_encoder_decoder: boolean;
  use_cache: boolean;
  /**
   * Tessera's key: the position-table layout, or null. Absent (or null) in transformers' own files, where it
   * means 'halves' (MarianSinusoidalPositionalEmbedding); Tessera's presets write 'interleaved', the paper's.
   */
  position_embedding_layout: PositionLayout | null;
}

/** transformers' MarianConfig defaults (Helsinki-NLP/opus-mt-en-de-like sizes). */
export const TRANSFORMER_DEFAULTS: Readonly<TransformerConfig> = Object.freeze({
  model_type: 'marian',
  vocab_size: 58101,
  decoder_vocab_size: null,
  max_position_embeddings: 1024,
  d_model: 1024,
  encoder_layers: 12,
  encoder_ffn_dim: 4096,
  encoder_attention_heads: 16,
  decoder_layers: 12,
  decoder_ffn_dim: 4096,
  decoder_attention_heads: 16,
  activation_function: 'gelu',
  dropout: 0.1,
  attention_dropout: 0,
  activation_dropout: 0,
  encoder_layerdrop: 0,
  decoder_layerdrop: 0,
  init_std: 0.02,
  scale_embedding: false,
  share_encoder_decoder_embeddings: true,
  tie_word_embeddings: true,
  pad_token_id: 58100,
  eos_token_id: 0,
  decoder_start_token_id: 58100,
  forced_eos_token_id: 0,
  is_encoder_decoder: true,
  use_cache: true,
  position_embedding_layout: null,
});

// "Attention Is All You Need", Table 3: N = 6, shared 37000-token BPE vocabulary (WMT 2014 English-German),
// ReLU FFN, embeddings x sqrt(d_model), tied embeddings and output projection, interleaved sinusoids.
const PAPER: Partial<TransformerConfig> = {
  vocab_size: 37000, max_position_embeddings: 1024, encoder_layers: 6, decoder_layers: 6,
  activation_function: 'relu', scale_embedding: true, share_encoder_decoder_embeddings: true, tie_word_embeddings: true,
  pad_token_id: 0, eos_token_id: 1, decoder_start_token_id: 0, forced_eos_token_id: null,
  position_embedding_layout: 'interleaved',
};

/** Named models; each overrides the defaults. */
export const TRANSFORMER_PRESETS = {
  'transformer-base': {
    ...PAPER, d_model: 512, encoder_ffn_dim: 2048, decoder_ffn_dim: 2048, encoder_attention_heads: 8, decoder_attention_heads: 8, dropout: 0.1,
  }, // 63M params
  'transformer-big': {
    ...PAPER, d_model: 1024, encoder_ffn_dim: 4096, decoder_ffn_dim: 4096, encoder_attention_heads: 16, decoder_attention_heads: 16, dropout: 0.3,
  }, // 214M params
} as const satisfies Record<string, Partial<TransformerConfig>>;

export type TransformerPresetName = keyof typeof TRANSFORMER_PRESETS;

/**
 * A full config: a preset (or MarianConfig's defaults), then `overrides`; checked.
 * @example transformerConfig('transformer-base', { vocab_size: 8000 })
 */
export function transformerConfig(preset?: TransformerPresetName | null, overrides: Partial<TransformerConfig> = {}): TransformerConfig {
  if (preset != null && !(preset in TRANSFORMER_PRESETS)) {
    throw new TesseraError(`unknown Transformer preset '${preset}' (expected ${Object.keys(TRANSFORMER_PRESETS).join(', ')})`);
  }
  const base = preset != null ? TRANSFORMER_PRESETS[preset] : {};
  return checkConfig({ ...TRANSFORMER_DEFAULTS, ...base, ...overrides } as TransformerConfig, 'Transformer config');
}

/** A config.json object read from disk: missing keys take MarianConfig's defaults; bad values fail naming `source`. */
export function transformerConfigFromJson(raw: JsonObject, source = 'config.json'): TransformerConfig {
  return checkConfig({ ...TRANSFORMER_DEFAULTS, ...raw } as TransformerConfig, source);
}

/** The position-table layout a config asks for ('halves' when the key is absent: a transformers Marian file). */
export function positionLayout(c: TransformerConfig): PositionLayout {
  return c.position_embedding_layout ?? 'halves';
}

/** The target vocabulary size. */
export function targetVocabSize(c: TransformerConfig): number {
  return c.share_encoder_decoder_embeddings ? c.vocab_size : c.decoder_vocab_size ?? c.vocab_size;
}

/** The eos ids as a list (empty when none). */
export function eosIds(c: TransformerConfig): number[] {
  const e = c.eos_token_id;
  return e === null ? [] : Array.isArray(e) ? e : [e];
}

function checkConfig(c: TransformerConfig, source: string): TransformerConfig {
  const bad = (key: string, want: string, v: JsonValue | undefined) => new FormatError(`${source}: '${key}' must be ${want}, got ${JSON.stringify(v)}`);
  const positive = ['vocab_size', 'max_position_embeddings', 'd_model', 'encoder_layers', 'encoder_ffn_dim', 'encoder_attention_heads',
    'decoder_layers', 'decoder_ffn_dim', 'decoder_attention_heads'] as const;
  for (const key of positive) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(key, 'a positive integer', v);
  }
  if (c.decoder_vocab_size !== null && (typeof c.decoder_vocab_size !== 'number' || !Number.isInteger(c.decoder_vocab_size) || c.decoder_vocab_size < 1)) {
    throw bad('decoder_vocab_size', 'null or a positive integer', c.decoder_vocab_size);
  }
  for (const key of ['dropout', 'attention_dropout', 'activation_dropout'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || v < 0 || v > 1) throw bad(key, 'a probability in [0, 1]', v);
  }
  for (const key of ['pad_token_id', 'decoder_start_token_id', 'forced_eos_token_id'] as const) {
    const v = c[key];
    if (v !== null && (typeof v !== 'number' || !Number.isInteger(v))) throw bad(key, 'null or an integer', v);
  }
  const eos = c.eos_token_id;
  if (eos !== null && !(Array.isArray(eos) ? eos : [eos]).every((v) => typeof v === 'number' && Number.isInteger(v))) {
    throw bad('eos_token_id', 'null, an integer or a list of integers', eos);
  }
  if (typeof c.activation_function !== 'string') throw bad('activation_function', 'a string', c.activation_function);
  const layout = c.position_embedding_layout;
  if (layout !== null && layout !== 'interleaved' && layout !== 'halves') throw bad('position_embedding_layout', "'interleaved' or 'halves'", layout);
  for (const side of ['encoder', 'decoder'] as const) {
    const heads = c[`${side}_attention_heads`];
    if (c.d_model % heads !== 0) throw new FormatError(`${source}: d_model ${c.d_model} is not divisible by ${side}_attention_heads ${heads}`);
  }
  return c;
}
