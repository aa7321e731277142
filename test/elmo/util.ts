// Shared pieces of the ELMo tests: a tiny config that keeps every test fast, and random tokenized sentences.
import '../../src/backend/all.js';
import { elmoConfig, type ElmoConfig } from '../../src/models/elmo/index.js';

/** 3 filters (12 features), 1 highway layer, 8 characters per token, cells of 12, projection 6, vocabulary 20. */
export function tinyConfig(overrides: Partial<ElmoConfig> = {}): ElmoConfig {
  return elmoConfig('elmo-small', {
    char_cnn: {
      filters: [[1, 4], [2, 4], [3, 4]],
      n_highway: 1,
      embedding: { dim: 4 },
      n_characters: 262,
      max_characters_per_token: 8,
      activation: 'relu',
    },
    lstm: { dim: 12, projection_dim: 6, n_layers: 2, cell_clip: 3, proj_clip: 3, use_skip_connections: true },
    vocab_size: 20,
    dropout: 0,
    ...overrides,
  });
}

export const SENTENCES: string[][] = [
  ['the', 'river', 'bank', 'was', 'steep', '.'],
  ['she', 'went', 'to', 'the', 'bank', '.'],
  ['a', 'bank', 'loan'],
  ['rain'],
];
