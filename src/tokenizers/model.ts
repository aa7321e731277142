// The contract between the tokenizer pipeline and a subword model (WordPiece, BPE): one pre-token in,
// token ids with their [start, end) inside that pre-token out.

import type { JsonValue } from './json.js';

/** A subword model. */
export interface Model {
  readonly type: 'WordPiece' | 'BPE';
  /**
   * Splits one pre-token into tokens, appending each token's id and its [start, end) in the word's
   * UTF-16 units to the given arrays.
   */
  tokenize(word: string, ids: number[], starts: number[], ends: number[]): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Number of entries in the vocabulary. */
  readonly vocabSize: number;
  /** The vocabulary, token to id. */
  getVocab(): Map<string, number>;
  /** The model section of tokenizer.json. */
  toJson(): JsonValue;
}

/** Builds a token-to-id map and its reverse from a vocabulary. */
export function reverseVocab(vocab: Map<string, number>): string[] {
  const r: string[] = [];
  for (const [token, id] of vocab) r[id] = token;
  return r;
}

/** The vocabulary ordered by id, as tokenizer.json stores it (a Map keeps numeric-looking keys in order). */
export function vocabToJson(vocab: Map<string, number>): Map<string, JsonValue> {
  return new Map([...vocab].sort((x, y) => x[1] - y[1]));
}
