// BERT's configuration: Hugging Face BertConfig's config.json keys verbatim with its defaults, validated,
// and named presets of the published checkpoints' sizes.
import { TesseraError } from '../../errors.js';
import type { JsonObject } from '../../io/json.js';
import { activation } from '../../nn/layers/feed-forward.js';
import { zeros } from '../../tensor/creation.js';
import { ConfigReader, type ProblemType } from '../hf-config.js';

/** BertConfig as config.json holds it (snake_case keys are data). Unknown keys are kept and written back. */
export interface BertConfig extends JsonObject {
  model_type: 'bert';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** Activation of the feed-forward block and of the MLM head's transform ('gelu', 'relu', 'gelu_new', ...). */
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number | null;
  /** Dropout before sequence/token classifiers; null = hidden_dropout_prob. */
  classifier_dropout: number | null;
  /** Share the MLM decoder weight with the word embeddings. */
  tie_word_embeddings: boolean;
  problem_type: ProblemType | null;
  id2label: JsonObject;
  label2id: JsonObject;
}

/** BertConfig's keys this family reads (everything else passes through untouched). */
const KNOWN = [
  'model_type', 'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size',
  'hidden_act', 'hidden_dropout_prob', 'attention_probs_dropout_prob', 'max_position_embeddings', 'type_vocab_size',
  'initializer_range', 'layer_norm_eps', 'pad_token_id', 'classifier_dropout', 'tie_word_embeddings', 'problem_type',
  'id2label', 'label2id',
];

/**
 * A complete BertConfig from config.json values (or a partial object): HF's defaults fill missing keys, every
 * value is checked, and what Tessera's BERT does not implement (relative position embeddings, the decoder /
 * cross-attention variant) is refused by name. `source` names the config in errors.
 */
export function bertConfig(raw: Partial<BertConfig> | JsonObject = {}, source = 'BERT config'): BertConfig {
  const r = new ConfigReader(raw as JsonObject, source);
  const modelType = r.str('model_type', 'bert');
  if (modelType !== 'bert') throw new TesseraError(`${source}: model_type is '${modelType}', expected 'bert'`);
  const positionType = r.str('position_embedding_type', 'absolute');
  if (positionType !== 'absolute') throw new TesseraError(`${source}: position_embedding_type '${positionType}' is not supported (only 'absolute')`);
  if (r.bool('is_decoder', false) || r.bool('add_cross_attention', false)) {
    throw new TesseraError(`${source}: is_decoder / add_cross_attention (BERT as a decoder) is not supported`);
  }
  const { id2label, label2id } = r.labels();
  const cfg: BertConfig = {
    ...r.extras(KNOWN),
    model_type: 'bert',
    vocab_size: r.int('vocab_size', 30522),
    hidden_size: r.int('hidden_size', 768),
    num_hidden_layers: r.int('num_hidden_layers', 12, 0),
    num_attention_heads: r.int('num_attention_heads', 12),
    intermediate_size: r.int('intermediate_size', 3072),
    hidden_act: r.str('hidden_act', 'gelu'),
    hidden_dropout_prob: r.num('hidden_dropout_prob', 0.1, 0, 1),
    attention_probs_dropout_prob: r.num('attention_probs_dropout_prob', 0.1, 0, 1),
    max_position_embeddings: r.int('max_position_embeddings', 512),
    type_vocab_size: r.int('type_vocab_size', 2),
    initializer_range: r.num('initializer_range', 0.02, 0),
    layer_norm_eps: r.num('layer_norm_eps', 1e-12, 0),
    pad_token_id: r.intOrNull('pad_token_id', 0),
    classifier_dropout: r.numOrNull('classifier_dropout', null, 0, 1),
    tie_word_embeddings: r.bool('tie_word_embeddings', true),
    problem_type: r.problemType(),
    id2label,
    label2id,
  };
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new TesseraError(`${source}: hidden_size ${cfg.hidden_size} is not a multiple of num_attention_heads ${cfg.num_attention_heads}`);
  }
  if (cfg.pad_token_id !== null && (cfg.pad_token_id < 0 || cfg.pad_token_id >= cfg.vocab_size)) {
    throw new TesseraError(`${source}: pad_token_id ${cfg.pad_token_id} is outside the vocabulary [0, ${cfg.vocab_size})`);
  }
  checkActivation(cfg.hidden_act, 'hidden_act', source);
  return cfg;
}

/** Fails early (naming the key) when an activation name is unknown. */
export function checkActivation(name: string, key: string, source: string): void {
  try {
    activation(name, zeros([1], { device: 'cpu-js' }));
  } catch (err) {
    throw new TesseraError(`${source}: ${key}: ${(err as Error).message}`);
  }
}

/** Sizes of the published BERT checkpoints (parameter counts are of BertModel, pooler included). */
export const bertPresets = {
  'bert-base-uncased': {}, // 109.5M params
  'bert-base-cased': { vocab_size: 28996 }, // 108.3M params
  'bert-large-uncased': { hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096 }, // 335.1M params
  'bert-large-cased': { vocab_size: 28996, hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096 }, // 333.6M params
  'bert-base-multilingual-cased': { vocab_size: 119547 }, // 177.9M params
  'bert-medium': { hidden_size: 512, num_hidden_layers: 8, num_attention_heads: 8, intermediate_size: 2048 }, // 41.4M params (google/bert_uncased_L-8_H-512_A-8)
  'bert-small': { hidden_size: 512, num_hidden_layers: 4, num_attention_heads: 8, intermediate_size: 2048 }, // 28.8M params (L-4_H-512_A-8)
  'bert-mini': { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 }, // 11.2M params (L-4_H-256_A-4)
  'bert-tiny': { hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512 }, // 4.4M params (L-2_H-128_A-2)
} as const satisfies Record<string, Partial<BertConfig>>;

export type BertPresetName = keyof typeof bertPresets;

/** The config of a named preset, with `overrides` applied (e.g. num_labels, dropout). */
export function bertPreset(name: BertPresetName | string, overrides: Partial<BertConfig> | JsonObject = {}): BertConfig {
  const preset = (bertPresets as Record<string, Partial<BertConfig>>)[name];
  if (!preset) throw new TesseraError(`unknown BERT preset '${name}' (expected one of ${Object.keys(bertPresets).join(', ')})`);
  return bertConfig({ ...preset, ...overrides }, `BERT preset '${name}'`);
}
