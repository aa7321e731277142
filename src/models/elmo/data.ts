// Corpus handling for the ELMo language model: whitespace-tokenized text split into sentences, length-bucketed
// batches, their character ids and vocabulary ids, and the unigram baseline perplexity.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { TesseraError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { batchToIds } from './characters.js';
import { BOS_ID, EOS_ID, type ElmoVocabulary } from './vocab.js';

const SENTENCE_END = new Set(['.', '!', '?']);

/** Splits one line of tokens into sentences after '.', '!' and '?' tokens. */
export function splitSentences(tokens: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const t of tokens) {
    cur.push(t);
    if (SENTENCE_END.has(t)) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Sentences of a text: each line is split on whitespace, then into sentences; empty lines are skipped. */
export function textToSentences(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    const tokens = line.split(/\s+/).filter((t) => t !== '');
    if (tokens.length) out.push(...splitSentences(tokens));
  }
  return out;
}

/** Reads a corpus file (e.g. WikiText-2's valid.txt) into sentences. */
export function readSentences(path: string): string[][] {
  if (!existsSync(path)) throw new TesseraError(`data file not found: ${path}`);
  if (statSync(path).isDirectory()) throw new TesseraError(`data path ${path} is a directory, not a file`);
  const sentences = textToSentences(readFileSync(path, 'utf8'));
  if (sentences.length === 0) throw new TesseraError(`data file ${path} has no tokens`);
  return sentences;
}

/** Cuts sentences longer than maxLength tokens into consecutive pieces of at most maxLength. */
export function chunkSentences(sentences: readonly (readonly string[])[], maxLength: number): string[][] {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new TesseraError(`maxLength ${maxLength} must be a positive integer`);
  const out: string[][] = [];
  for (const s of sentences) for (let i = 0; i < s.length; i += maxLength) out.push(s.slice(i, i + maxLength));
  return out;
}

/** A small seeded generator (mulberry32) for shuffling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BatchOptions {
  /** Upper bound on rows * (longest row + 2 boundary tokens) per batch. */
  maxTokens: number;
  /** Shuffle with this generator: sentences are length-sorted with random tie order and batches shuffled. */
  random?: () => number;
}

/** Groups sentences of similar length into batches of at most maxTokens padded tokens (boundaries counted). */
export function makeBatches<S extends readonly string[]>(sentences: readonly S[], opts: BatchOptions): S[][] {
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1) throw new TesseraError(`maxTokens ${opts.maxTokens} must be a positive integer`);
  const rand = opts.random;
  const keyed = sentences.map((s, i) => ({ s, k: rand ? rand() : i }));
  keyed.sort((a, b) => a.s.length - b.s.length || a.k - b.k);
  const batches: S[][] = [];
  let cur: S[] = [];
  let longest = 0;
  for (const { s } of keyed) {
    const width = Math.max(longest, s.length + 2);
    if (cur.length && (cur.length + 1) * width > opts.maxTokens) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(s);
    longest = Math.max(longest, s.length + 2);
  }
  if (cur.length) batches.push(cur);
  if (rand) {
    for (let i = batches.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [batches[i], batches[j]] = [batches[j]!, batches[i]!];
    }
  }
  return batches;
}

export interface EncodedBatch {
  /** (B, T, max_characters_per_token) with <S> and </S> around every sentence. */
  ids: Tensor;
  /** Tokens per row, boundaries included. */
  lengths: number[];
  /** Vocabulary ids per row, boundaries included. */
  wordIds: number[][];
}

/** Character ids and vocabulary ids of a batch of sentences, with sentence boundaries. */
export function encodeBatch(sentences: readonly (readonly string[])[], vocab: ElmoVocabulary, maxChars: number, device?: string): EncodedBatch {
  const { ids, lengths } = batchToIds(sentences, { maxChars, sentenceBoundaries: true, device });
  const wordIds = sentences.map((s) => [BOS_ID, ...s.map((w) => vocab.id(w)), EOS_ID]);
  return { ids, lengths, wordIds };
}

export interface UnigramPerplexity {
  /** Over each sentence's words and </S> (the forward model's targets). */
  forward: number;
  /** Over <S> and each sentence's words (the backward model's targets). */
  backward: number;
  tokens: number;
}

/**
 * Perplexity of an add-one unigram model over `vocab` (out-of-vocabulary words count as <unk>), estimated on
 * `train` and scored on `test`. The forward model's targets are each sentence's words and </S>, the backward
 * model's <S> and the words; each direction's unigram is spread over the vocabulary less the other boundary.
 */
export function unigramPerplexity(train: readonly (readonly string[])[], test: readonly (readonly string[])[], vocab: ElmoVocabulary): UnigramPerplexity {
  const counts = new Float64Array(vocab.size);
  let words = 0;
  for (const s of train) {
    for (const w of s) counts[vocab.id(w)]! += 1;
    words += s.length;
  }
  // one boundary token per sentence in each direction; the support is the vocabulary without the other boundary
  const boundary = train.length;
  const denominator = words + boundary + vocab.size - 1;
  const logp = (id: number) => Math.log(((id === EOS_ID || id === BOS_ID ? boundary : counts[id]!) + 1) / denominator);
  let sumWords = 0, n = 0;
  for (const s of test) {
    for (const w of s) sumWords += logp(vocab.id(w));
    n += s.length;
  }
  const tokens = n + test.length;
  const fwd = sumWords + test.length * logp(EOS_ID), bwd = sumWords + test.length * logp(BOS_ID);
  return { forward: Math.exp(-fwd / tokens), backward: Math.exp(-bwd / tokens), tokens };
}
