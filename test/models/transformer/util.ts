// Helpers for the Transformer tests: small random configs and temporary checkpoint folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { manualSeed, tensor, type Tensor } from '../../../src/index.js';
import { transformerConfig, TransformerMTModel, type TransformerConfig } from '../../../src/models/transformer/index.js';

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-transformer-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A small model unlike the fixture: the paper's layout, odd sizes, more decoder than encoder layers. */
export function smallConfig(overrides: Partial<TransformerConfig> = {}): TransformerConfig {
  return transformerConfig('transformer-base', {
    vocab_size: 29, d_model: 20, encoder_layers: 1, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 2,
    encoder_ffn_dim: 36, decoder_ffn_dim: 28, max_position_embeddings: 24, dropout: 0, init_std: 0.3, ...overrides,
  });
}

export function randomModel(config: TransformerConfig, device: string, seed = 1): TransformerMTModel {
  manualSeed(seed);
  return new TransformerMTModel(config, device).eval();
}

export function ids(rows: number[][], device: string): Tensor {
  return tensor(rows, { dtype: 'int64', device });
}
