// GPT-2 checkpoint folders in and out. Conv1D keeps the file's (in, out) layout, so the only differences from a
// name-for-name copy are: the optional 'transformer.' prefix (GPT2LMHeadModel vs GPT2Model files load into either
// class), lm_head.weight tied to wte.weight, and the old attn.bias / attn.masked_bias buffers, which are ignored.
import type { CheckpointSpec } from '../pretrained.js';
import { loadCheckpointInto, readModelConfig, saveCheckpoint, weightsPath } from '../pretrained.js';
import type { Module } from '../../nn/module.js';
import { join } from 'node:path';
import { gpt2ConfigFromJson, type GPT2Config } from './config.js';

const MASK_BUFFERS = /(^|\.)attn\.(bias|masked_bias)$/;

/** How GPT-2 names map onto a model (with or without an LM head). */
export function gpt2CheckpointSpec(config: GPT2Config): CheckpointSpec {
  const tied = config.tie_word_embeddings;
  return {
    basePrefix: 'transformer',
    tiedKeys: tied ? ['lm_head.weight'] : [],
    // a tied head is the embedding matrix, whatever a file holds under lm_head.weight (as transformers ties it)
    ignoreKeys: tied ? [MASK_BUFFERS, /^lm_head\.weight$/] : [MASK_BUFFERS],
  };
}

/** Reads and checks a folder's config.json. */
export function readGPT2Config(dir: string): GPT2Config {
  return gpt2ConfigFromJson(readModelConfig(dir), join(dir, 'config.json'));
}

/** Loads a folder's model.safetensors into `model` (built from the same folder's config). */
export function loadGPT2Weights(model: Module, config: GPT2Config, dir: string, device?: string): void {
  loadCheckpointInto(model, weightsPath(dir), gpt2CheckpointSpec(config), device);
}

/**
 * Writes config.json (with `architectures`) and model.safetensors. Every state name is written, tied
 * duplicates included, as transformers itself saves GPT-2 (lm_head.weight beside transformer.wte.weight).
 */
export function saveGPT2(dir: string, model: Module, config: GPT2Config, architecture: string): void {
  saveCheckpoint(dir, model, { ...config, architectures: [architecture], model_type: 'gpt2' });
}
