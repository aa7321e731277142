// Marian checkpoint folders in and out. Differences from a name-for-name copy: the optional 'model.' prefix
// (MarianMTModel vs MarianModel files load into either class), tied copies of the shared embedding, and tensors
// older files leave out because they are computed (embed_positions.weight, final_logits_bias).
import { join } from 'node:path';
import type { Module } from '../../nn/module.js';
import { loadCheckpointInto, readModelConfig, saveCheckpoint, weightsPath, type CheckpointSpec } from '../pretrained.js';
import { transformerConfigFromJson, type TransformerConfig } from './config.js';

/** How Marian names map onto a model (with or without the LM head). */
export function transformerCheckpointSpec(config: TransformerConfig): CheckpointSpec {
  const tiedKeys: string[] = [];
  const ignoreKeys: RegExp[] = [];
  // a tied copy takes the value of the tensor it is tied to, whatever a file holds under its name (as transformers ties)
  if (config.share_encoder_decoder_embeddings) {
    tiedKeys.push('model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight', 'encoder.embed_tokens.weight', 'decoder.embed_tokens.weight');
    ignoreKeys.push(/^(model\.)?(encoder|decoder)\.embed_tokens\.weight$/);
  }
  if (config.tie_word_embeddings) {
    tiedKeys.push('lm_head.weight');
    ignoreKeys.push(/^lm_head\.weight$/);
  }
  return {
    basePrefix: 'model',
    tiedKeys,
    ignoreKeys,
    allowMissing: (name) => /(^|\.)embed_positions\.weight$/.test(name) || name === 'final_logits_bias',
  };
}

/** Reads and checks a folder's config.json. */
export function readTransformerConfig(dir: string): TransformerConfig {
  return transformerConfigFromJson(readModelConfig(dir), join(dir, 'config.json'));
}

/** Loads a folder's model.safetensors into `model` (built from the same folder's config). */
export function loadTransformerWeights(model: Module, config: TransformerConfig, dir: string, device?: string): void {
  loadCheckpointInto(model, weightsPath(dir), transformerCheckpointSpec(config), device);
}

/**
 * Writes config.json (with `architectures`) and model.safetensors with every state name, tied copies and the
 * position tables included, as transformers 5 saves Marian models.
 */
export function saveTransformer(dir: string, model: Module, config: TransformerConfig, architecture: string): void {
  const { position_embedding_layout: layout, ...rest } = config;
  // the layout key is written only when set (a transformers file stays as it was)
  saveCheckpoint(dir, model, { ...rest, ...(layout ? { position_embedding_layout: layout } : {}), architectures: [architecture], model_type: config.model_type || 'marian' });
}
