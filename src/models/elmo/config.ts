// ELMo's configuration: AllenNLP's options.json layout (char_cnn and lstm sections, snake_case keys as data)
// plus the language-model fields (vocab_size, dropout), with the original sizes and a small preset.
import { FormatError, TesseraError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../io/json.js';

/** The character CNN token encoder (AllenNLP's options["char_cnn"]). */
export interface ElmoCharCnnConfig extends JsonObject {
  /** [width, number of filters] pairs, one 1-D convolution each. */
  filters: [number, number][];
  n_highway: number;
  embedding: { dim: number };
  /** Rows of the character embedding: 261 character ids + the padding id 0. */
  n_characters: number;
  max_characters_per_token: number;
  /** Applied to each convolution's max-pooled output: 'relu' or 'tanh'. */
  activation: string;
}

/** The stacked forward and backward LSTMs (AllenNLP's options["lstm"]). */
export interface ElmoLstmConfig extends JsonObject {
  /** Memory cells per LSTM layer and direction. */
  dim: number;
  /** Size of the projected hidden state (and of the token encoding). */
  projection_dim: number;
  n_layers: number;
  /** |c| is clamped to this after every step; null = no clipping. */
  cell_clip: number | null;
  /** |h| (after the projection) is clamped to this; null = no clipping. */
  proj_clip: number | null;
  /** Residual connection around every layer but the first. */
  use_skip_connections: boolean;
}

/** A config.json of an ELMo language model. Unknown keys are kept and written back. */
export interface ElmoConfig extends JsonObject {
  model_type: string;
  char_cnn: ElmoCharCnnConfig;
  lstm: ElmoLstmConfig;
  /** Words of the output softmax (vocab.txt lines). */
  vocab_size: number;
  /** Dropout on the token encoding, between LSTM layers and before the softmax (training only). */
  dropout: number;
  /** The training loss: 'full' softmax over the vocabulary or its 'sampled' estimate (evaluation is always full). */
  softmax: string;
  /** Sampled softmax: distinct negative ids drawn per batch (bilm-tf's n_negative_samples_batch). */
  n_negative_samples_batch: number;
}

/** The original ELMo (Peters et al. 2018, the 5.5B / "original" options.json). */
export const ELMO_DEFAULTS: Readonly<ElmoConfig> = Object.freeze({
  model_type: 'elmo',
  char_cnn: {
    filters: [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
    n_highway: 2,
    embedding: { dim: 16 },
    n_characters: 262,
    max_characters_per_token: 50,
    activation: 'relu',
  },
  lstm: { dim: 4096, projection_dim: 512, n_layers: 2, cell_clip: 3, proj_clip: 3, use_skip_connections: true },
  // the 1B Word Benchmark vocabulary of the released model
  vocab_size: 793471,
  dropout: 0.1,
  // full softmax unless a preset or config.json says otherwise (config.json files from before the key train as they did)
  softmax: 'full',
  n_negative_samples_batch: 8192,
}) as Readonly<ElmoConfig>;

/** Named sizes; each replaces whole sections of the defaults. */
export const ELMO_PRESETS = {
  // 93.6M parameters without the softmax; the softmax adds 513 * vocab_size (406M for the 1B Word vocabulary)
  // trained with a sampled softmax of 8192 negatives per batch, as bilm-tf trained it
  'elmo-original': { softmax: 'sampled', n_negative_samples_batch: 8192 },
  // 3.0M parameters without the softmax (+129 * vocab_size); trains on a 2-core CPU
  'elmo-small': {
    char_cnn: {
      filters: [[1, 32], [2, 32], [3, 64], [4, 128], [5, 128]],
      n_highway: 2,
      embedding: { dim: 16 },
      n_characters: 262,
      max_characters_per_token: 50,
      activation: 'relu',
    },
    lstm: { dim: 512, projection_dim: 128, n_layers: 2, cell_clip: 3, proj_clip: 3, use_skip_connections: true },
    vocab_size: 10000,
    dropout: 0.1,
    softmax: 'full',
    n_negative_samples_batch: 1024,
  },
} as const satisfies Record<string, Partial<ElmoConfig>>;

export type ElmoPresetName = keyof typeof ELMO_PRESETS;

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * A full ELMo config: a preset name (or the original sizes), then `overrides` (whole sections replace the
 * preset's). Checks every value the model uses.
 * @example elmoConfig('elmo-small', { vocab_size: 12000 })
 */
export function elmoConfig(preset?: ElmoPresetName | null, overrides: Partial<ElmoConfig> = {}): ElmoConfig {
  if (preset != null && !(preset in ELMO_PRESETS)) {
    throw new TesseraError(`unknown ELMo preset '${preset}' (expected ${Object.keys(ELMO_PRESETS).join(', ')})`);
  }
  const base = preset != null ? ELMO_PRESETS[preset] : {};
  return checkElmoConfig(clone({ ...ELMO_DEFAULTS, ...base, ...overrides }) as ElmoConfig, 'ELMo config');
}

/** A config.json object read from disk: missing keys take the defaults; bad values fail naming `source`. */
export function elmoConfigFromJson(raw: JsonObject, source = 'config.json'): ElmoConfig {
  return checkElmoConfig(clone({ ...ELMO_DEFAULTS, ...raw }) as ElmoConfig, source);
}

/** Total number of character filters (the width of the CNN output and of the highway layers). */
export function numFilters(c: ElmoConfig): number {
  return c.char_cnn.filters.reduce((s, [, n]) => s + n, 0);
}

function checkElmoConfig(c: ElmoConfig, source: string): ElmoConfig {
  const bad = (key: string, want: string, v: JsonValue | undefined) => new FormatError(`${source}: '${key}' must be ${want}, got ${JSON.stringify(v)}`);
  const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (typeof c.char_cnn !== 'object' || c.char_cnn === null || Array.isArray(c.char_cnn)) throw bad('char_cnn', 'an object', c.char_cnn);
  if (typeof c.lstm !== 'object' || c.lstm === null || Array.isArray(c.lstm)) throw bad('lstm', 'an object', c.lstm);
  const cnn = c.char_cnn, lstm = c.lstm;
  if (!Array.isArray(cnn.filters) || cnn.filters.length === 0 || !cnn.filters.every((f) => Array.isArray(f) && f.length === 2 && posInt(f[0]) && posInt(f[1]))) {
    throw bad('char_cnn.filters', 'a non-empty list of [width, count] pairs of positive integers', cnn.filters);
  }
  if (typeof cnn.n_highway !== 'number' || !Number.isInteger(cnn.n_highway) || cnn.n_highway < 0) throw bad('char_cnn.n_highway', 'a non-negative integer', cnn.n_highway);
  if (typeof cnn.embedding !== 'object' || cnn.embedding === null || !posInt(cnn.embedding.dim)) throw bad('char_cnn.embedding.dim', 'a positive integer', cnn.embedding?.dim);
  if (typeof cnn.n_characters !== 'number' || !Number.isInteger(cnn.n_characters) || cnn.n_characters < 262) throw bad('char_cnn.n_characters', 'an integer >= 262', cnn.n_characters);
  if (!posInt(cnn.max_characters_per_token) || cnn.max_characters_per_token < 3) throw bad('char_cnn.max_characters_per_token', 'an integer >= 3', cnn.max_characters_per_token);
  const widest = Math.max(...cnn.filters.map(([w]) => w));
  if (widest > cnn.max_characters_per_token) {
    throw new FormatError(`${source}: a filter of width ${widest} is wider than max_characters_per_token ${cnn.max_characters_per_token}`);
  }
  if (cnn.activation !== 'relu' && cnn.activation !== 'tanh') throw bad('char_cnn.activation', "'relu' or 'tanh'", cnn.activation);
  for (const key of ['dim', 'projection_dim', 'n_layers'] as const) if (!posInt(lstm[key])) throw bad(`lstm.${key}`, 'a positive integer', lstm[key]);
  for (const key of ['cell_clip', 'proj_clip'] as const) {
    const v = lstm[key];
    if (v !== null && (typeof v !== 'number' || !(v > 0))) throw bad(`lstm.${key}`, 'null or a positive number', v);
  }
  if (typeof lstm.use_skip_connections !== 'boolean') throw bad('lstm.use_skip_connections', 'a boolean', lstm.use_skip_connections);
  if (!posInt(c.vocab_size) || c.vocab_size < 3) throw bad('vocab_size', 'an integer >= 3 (</S>, <S> and the unknown word come first)', c.vocab_size);
  if (typeof c.dropout !== 'number' || c.dropout < 0 || c.dropout >= 1) throw bad('dropout', 'a probability in [0, 1)', c.dropout);
  if (c.softmax !== 'full' && c.softmax !== 'sampled') throw bad('softmax', "'full' or 'sampled'", c.softmax);
  if (!posInt(c.n_negative_samples_batch)) throw bad('n_negative_samples_batch', 'a positive integer', c.n_negative_samples_batch);
  return c;
}
