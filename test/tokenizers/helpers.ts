// Shared by the tokenizer tests: where the Hugging Face fixtures are, reading their expected.json.gz,
// and comparing an Encoding with an expected case field by field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Encoding } from '../../src/tokenizers/index.js';
import { tempDir as makeTempDir } from '../helpers/tmp.js';

/** The repository's copy of the tokenizer fixtures. */
export const FIXTURES = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'test/fixtures/tokenizers');

export const NAMES = ['wordpiece-uncased', 'wordpiece-cased', 'bpe-gpt2'] as const;
export type FixtureName = (typeof NAMES)[number];

/** The fields every expected case carries (HF's names). */
export interface ExpectedFields {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  type_ids: number[];
  attention_mask: number[];
  special_tokens_mask: number[];
}
/** Single texts also carry `decoded` (decode with special tokens skipped); pairs do not. */
export type SingleCase = ExpectedFields & { text: string; decoded: string };
export type PairCase = ExpectedFields & { a: string; b: string };
export type TruncatedPaddedCase = PairCase & { max_length: number; strategy: 'longest_first' | 'only_first' | 'only_second'; pad_to: number };

export interface Expected {
  single: SingleCase[];
  pair: PairCase[];
  truncated_padded_pair: TruncatedPaddedCase[];
}

const cache = new Map<string, Expected>();

/** The expected encodings HF tokenizers produced for one fixture tokenizer. */
export function expected(name: FixtureName): Expected {
  let e = cache.get(name);
  if (!e) {
    e = JSON.parse(gunzipSync(readFileSync(join(FIXTURES, name, 'expected.json.gz'))).toString('utf8')) as Expected;
    cache.set(name, e);
  }
  return e;
}

/** Asserts that an Encoding equals an expected case on every HF field. */
export function assertSameEncoding(got: Encoding, want: ExpectedFields, label: string): void {
  assert.deepEqual(got.ids, want.ids, `${label}: ids`);
  assert.deepEqual(got.tokens, want.tokens, `${label}: tokens`);
  assert.deepEqual(got.offsets, want.offsets, `${label}: offsets`);
  assert.deepEqual(got.typeIds, want.type_ids, `${label}: type ids`);
  assert.deepEqual(got.attentionMask, want.attention_mask, `${label}: attention mask`);
  assert.deepEqual(got.specialTokensMask, want.special_tokens_mask, `${label}: special tokens mask`);
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'tessera-tokenizers-'): string {
  return makeTempDir(prefix);
}
