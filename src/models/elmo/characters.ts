// AllenNLP's ELMo character ids: each token is its UTF-8 bytes between begin- and end-of-word markers, padded to
// max_characters_per_token (50) with the padding character; ids are shifted by one so 0 marks a padding token.
import { TesseraError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';

/** Characters 0..255 are UTF-8 bytes; these five markers follow (before the +1 shift). */
export const BEGINNING_OF_SENTENCE_CHARACTER = 256;
export const END_OF_SENTENCE_CHARACTER = 257;
export const BEGINNING_OF_WORD_CHARACTER = 258;
export const END_OF_WORD_CHARACTER = 259;
export const PADDING_CHARACTER = 260;
/** AllenNLP's maximum token length in characters, markers included. */
export const MAX_WORD_LENGTH = 50;
/** The sentence-boundary tokens, which get their own character ids. */
export const BOS_TOKEN = '<S>';
export const EOS_TOKEN = '</S>';

const encoder = new TextEncoder();

/**
 * The character ids of one token (length maxChars, every id >= 1): <S> and </S> are [bow, bos|eos, eow];
 * other words are [bow, bytes..., eow] with bytes cut to maxChars - 2, then padding characters.
 */
export function wordToCharIds(word: string, maxChars = MAX_WORD_LENGTH): Int32Array {
  if (!Number.isInteger(maxChars) || maxChars < 3) throw new TesseraError(`wordToCharIds: maxChars ${maxChars} must be an integer >= 3`);
  const ids = new Int32Array(maxChars).fill(PADDING_CHARACTER);
  ids[0] = BEGINNING_OF_WORD_CHARACTER;
  if (word === BOS_TOKEN || word === EOS_TOKEN) {
    ids[1] = word === BOS_TOKEN ? BEGINNING_OF_SENTENCE_CHARACTER : END_OF_SENTENCE_CHARACTER;
    ids[2] = END_OF_WORD_CHARACTER;
  } else {
    const bytes = encoder.encode(word).subarray(0, maxChars - 2);
    ids.set(bytes, 1);
    ids[bytes.length + 1] = END_OF_WORD_CHARACTER;
  }
  for (let i = 0; i < maxChars; i++) ids[i] = ids[i]! + 1;
  return ids;
}

export interface BatchToIdsOptions {
  /** Characters per token (default 50). */
  maxChars?: number;
  /** Put <S> before and </S> after every sentence (default false, as AllenNLP's batch_to_ids). */
  sentenceBoundaries?: boolean;
  device?: string;
}

export interface CharIdBatch {
  /** (B, T, maxChars) int32; rows of padding tokens are all 0. */
  ids: Tensor;
  /** Tokens per sentence, boundaries included when added. */
  lengths: number[];
}

/** Character ids of a batch of tokenized sentences, padded to the longest. */
export function batchToIds(sentences: readonly (readonly string[])[], opts: BatchToIdsOptions = {}): CharIdBatch {
  const maxChars = opts.maxChars ?? MAX_WORD_LENGTH;
  if (sentences.length === 0) throw new TesseraError('batchToIds: no sentences');
  const rows = sentences.map((s) => (opts.sentenceBoundaries ? [BOS_TOKEN, ...s, EOS_TOKEN] : [...s]));
  const lengths = rows.map((r) => r.length);
  const T = Math.max(...lengths);
  if (T === 0) throw new TesseraError('batchToIds: every sentence is empty');
  const data = new Int32Array(rows.length * T * maxChars);
  const cache = new Map<string, Int32Array>();
  rows.forEach((row, b) => {
    row.forEach((word, t) => {
      let ids = cache.get(word);
      if (!ids) cache.set(word, (ids = wordToCharIds(word, maxChars)));
      data.set(ids, (b * T + t) * maxChars);
    });
  });
  return { ids: Tensor.fromHost(data, [rows.length, T, maxChars], 'int32', opts.device), lengths };
}

/** Per-token validity (B, T) of character ids (B, T, C): true where any id is non-zero. */
export function tokenMask(ids: Tensor): Tensor {
  return ids.gt(0).to('int32').sum(-1).gt(0);
}

/** Token counts per row of character ids (B, T, C), read on the host. */
export function tokenLengths(ids: Tensor): number[] {
  const [B, T, C] = ids.shape as [number, number, number];
  const host = ids.toArray();
  const lengths: number[] = [];
  for (let b = 0; b < B; b++) {
    let len = 0;
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) {
        if (host[(b * T + t) * C + c] !== 0) {
          len = t + 1;
          break;
        }
      }
    }
    lengths.push(len);
  }
  return lengths;
}
