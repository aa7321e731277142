// ViT's configuration: Hugging Face ViTConfig's config.json keys verbatim with its defaults, validated, and
// named presets of the published checkpoints' sizes.
import { TesseraError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../io/json.js';
import { checkActivation } from '../bert/config.js';
import { ConfigReader, type ProblemType } from '../hf-config.js';

/** ViTConfig as config.json holds it (snake_case keys are data). Unknown keys are kept and written back. */
export interface ViTConfig extends JsonObject {
  model_type: 'vit';
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  initializer_range: number;
  layer_norm_eps: number;
  /** Training image side (or [height, width]); the position table has (H/P)(W/P) + 1 rows. */
  image_size: number | [number, number];
  /** Patch side (or [height, width]). */
  patch_size: number | [number, number];
  num_channels: number;
  /** Biases on the query/key/value projections. */
  qkv_bias: boolean;
  encoder_stride: number;
  /** Width of ViTModel's pooler output; null = hidden_size. */
  pooler_output_size: number | null;
  pooler_act: string;
  problem_type: ProblemType | null;
  id2label: JsonObject;
  label2id: JsonObject;
}

const KNOWN = [
  'model_type', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'hidden_act',
  'hidden_dropout_prob', 'attention_probs_dropout_prob', 'initializer_range', 'layer_norm_eps', 'image_size',
  'patch_size', 'num_channels', 'qkv_bias', 'encoder_stride', 'pooler_output_size', 'pooler_act', 'problem_type',
  'id2label', 'label2id',
];

/** A side given as an int or an [h, w] pair (HF accepts both). */
function sizeKey(raw: JsonObject, key: string, fallback: number, source: string): number | [number, number] {
  const v: JsonValue | undefined = raw[key];
  if (v === undefined || v === null) return fallback;
  const ok = (x: JsonValue) => typeof x === 'number' && Number.isInteger(x) && x > 0;
  if (ok(v)) return v as number;
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0] as number, v[1] as number];
  throw new TesseraError(`${source}: ${key} must be a positive integer or [height, width], got ${JSON.stringify(v)}`);
}

/** [height, width] of an int-or-pair size. */
export function pair(size: number | readonly [number, number]): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

/** A complete ViTConfig from config.json values (or a partial object), HF's defaults filling missing keys. */
export function vitConfig(raw: Partial<ViTConfig> | JsonObject = {}, source = 'ViT config'): ViTConfig {
  const obj = raw as JsonObject;
  const r = new ConfigReader(obj, source);
  const modelType = r.str('model_type', 'vit');
  if (modelType !== 'vit') throw new TesseraError(`${source}: model_type is '${modelType}', expected 'vit'`);
  const { id2label, label2id } = r.labels();
  const cfg: ViTConfig = {
    ...r.extras(KNOWN),
    model_type: 'vit',
    hidden_size: r.int('hidden_size', 768),
    num_hidden_layers: r.int('num_hidden_layers', 12, 0),
    num_attention_heads: r.int('num_attention_heads', 12),
    intermediate_size: r.int('intermediate_size', 3072),
    hidden_act: r.str('hidden_act', 'gelu'),
    hidden_dropout_prob: r.num('hidden_dropout_prob', 0, 0, 1),
    attention_probs_dropout_prob: r.num('attention_probs_dropout_prob', 0, 0, 1),
    initializer_range: r.num('initializer_range', 0.02, 0),
    layer_norm_eps: r.num('layer_norm_eps', 1e-12, 0),
    image_size: sizeKey(obj, 'image_size', 224, source),
    patch_size: sizeKey(obj, 'patch_size', 16, source),
    num_channels: r.int('num_channels', 3),
    qkv_bias: r.bool('qkv_bias', true),
    encoder_stride: r.int('encoder_stride', 16),
    pooler_output_size: r.intOrNull('pooler_output_size', null),
    pooler_act: r.str('pooler_act', 'tanh'),
    problem_type: r.problemType(),
    id2label,
    label2id,
  };
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new TesseraError(`${source}: hidden_size ${cfg.hidden_size} is not a multiple of num_attention_heads ${cfg.num_attention_heads}`);
  }
  const [ih, iw] = pair(cfg.image_size), [ph, pw] = pair(cfg.patch_size);
  if (ph > ih || pw > iw) throw new TesseraError(`${source}: patch_size ${JSON.stringify(cfg.patch_size)} is larger than image_size ${JSON.stringify(cfg.image_size)}`);
  if (cfg.pooler_output_size !== null && cfg.pooler_output_size < 1) throw new TesseraError(`${source}: pooler_output_size must be a positive integer or null`);
  checkActivation(cfg.hidden_act, 'hidden_act', source);
  checkActivation(cfg.pooler_act, 'pooler_act', source);
  return cfg;
}

/** Sizes of the published ViT checkpoints (parameter counts are of the encoder with embeddings, no pooler or head). */
export const vitPresets = {
  'vit-base-patch16-224': {}, // 85.8M params
  'vit-base-patch32-224': { patch_size: 32 }, // 87.5M params
  'vit-base-patch16-384': { image_size: 384 }, // 86.1M params
  'vit-large-patch16-224': { hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096 }, // 303.3M params
  'vit-huge-patch14-224': { hidden_size: 1280, num_hidden_layers: 32, num_attention_heads: 16, intermediate_size: 5120, patch_size: 14 }, // 630.8M params
  'vit-small-patch16-224': { hidden_size: 384, num_hidden_layers: 12, num_attention_heads: 6, intermediate_size: 1536 }, // 21.7M params (DeiT-S size)
  'vit-tiny-patch16-224': { hidden_size: 192, num_hidden_layers: 12, num_attention_heads: 3, intermediate_size: 768 }, // 5.5M params (DeiT-Ti size)
} as const satisfies Record<string, Partial<ViTConfig>>;

export type ViTPresetName = keyof typeof vitPresets;

/** The config of a named preset with `overrides` applied (e.g. num_labels, image_size). */
export function vitPreset(name: ViTPresetName | string, overrides: Partial<ViTConfig> | JsonObject = {}): ViTConfig {
  const preset = (vitPresets as Record<string, Partial<ViTConfig>>)[name];
  if (!preset) throw new TesseraError(`unknown ViT preset '${name}' (expected one of ${Object.keys(vitPresets).join(', ')})`);
  return vitConfig({ ...preset, ...overrides } as JsonObject, `ViT preset '${name}'`);
}
