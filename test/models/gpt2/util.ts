// Helpers for the GPT-2 tests: small random configs and temporary checkpoint folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { manualSeed, tensor, type Tensor } from '../../../src/index.js';
import { gpt2Config, GPT2LMHeadModel, type GPT2Config } from '../../../src/models/gpt2/index.js';

/** A fresh temporary folder, removed after the file's tests. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-gpt2-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A small GPT-2 unlike the fixture's: odd sizes, explicit n_inner, layer-index scaling, untied head. */
export function oddConfig(overrides: Partial<GPT2Config> = {}): GPT2Config {
  return gpt2Config(null, {
    vocab_size: 37, n_positions: 20, n_embd: 24, n_layer: 3, n_head: 3, n_inner: 40, scale_attn_by_inverse_layer_idx: true,
    activation_function: 'gelu', resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, eos_token_id: null, bos_token_id: null, ...overrides,
  });
}

export function randomModel(config: GPT2Config, device: string, seed = 1): GPT2LMHeadModel {
  manualSeed(seed);
  return new GPT2LMHeadModel(config, device).eval();
}

export function ids(rows: number[][], device: string): Tensor {
  return tensor(rows, { dtype: 'int64', device });
}
