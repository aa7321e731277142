// The Encoding (ids, tokens, offsets, type ids, masks, word and sequence ids) and the operations on it:
// concatenation, truncation of single texts and pairs (HF tokenizers/src/utils/truncation.rs), padding.
import { TesseraError } from '../errors.js';

/** One encoded text or pair, shaped like Hugging Face's Encoding. */
export class Encoding {
  /** Token ids. */
  ids: number[] = [];
  /** Token strings. */
  tokens: string[] = [];
  /**
   * [start, end) of each token in its source text, counted in Unicode code points (as Python and HF
   * count characters); [0, 0] for special and padding tokens.
   */
  offsets: Array<[number, number]> = [];
  /**
   * The same offsets counted in UTF-16 code units, so `text.slice(start, end)` works in JavaScript.
   * When the text holds no character outside the BMP this is the same array as `offsets`.
   */
  utf16Offsets: Array<[number, number]> = this.offsets;
  /** Segment ids: 0 for the first text, 1 for the second of a pair (as the post-processor sets them). */
  typeIds: number[] = [];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[] = [];
  /** 1 for tokens the post-processor added and for padding, 0 otherwise. */
  specialTokensMask: number[] = [];
  /** Index of the pre-tokenized word each token comes from (per sequence); null for added/padding tokens. */
  wordIds: Array<number | null> = [];
  /** 0 or 1: which text of a pair each token comes from; null for added/padding tokens. */
  sequenceIds: Array<number | null> = [];

  get length(): number {
    return this.ids.length;
  }

  /** A deep copy. */
  clone(): Encoding {
    const e = new Encoding();
    e.ids = this.ids.slice();
    e.tokens = this.tokens.slice();
    e.offsets = this.offsets.map((o) => [o[0], o[1]]);
    e.utf16Offsets = this.utf16Offsets === this.offsets ? e.offsets : this.utf16Offsets.map((o) => [o[0], o[1]]);
    e.typeIds = this.typeIds.slice();
    e.attentionMask = this.attentionMask.slice();
    e.specialTokensMask = this.specialTokensMask.slice();
    e.wordIds = this.wordIds.slice();
    e.sequenceIds = this.sequenceIds.slice();
    return e;
  }

  /** Appends one token. */
  push(id: number, token: string, offset: [number, number], utf16Offset: [number, number], typeId: number, special: number, wordId: number | null, sequenceId: number | null): void {
    const shared = this.utf16Offsets === this.offsets;
    this.ids.push(id);
    this.tokens.push(token);
    this.offsets.push(offset);
    if (!shared) this.utf16Offsets.push(utf16Offset);
    this.typeIds.push(typeId);
    this.attentionMask.push(1);
    this.specialTokensMask.push(special);
    this.wordIds.push(wordId);
    this.sequenceIds.push(sequenceId);
  }

  /** Appends all tokens of another encoding. */
  append(other: Encoding): void {
    const shared = this.utf16Offsets === this.offsets;
    const otherShared = other.utf16Offsets === other.offsets;
    if (shared && !otherShared) this.utf16Offsets = this.offsets.map((o) => [o[0], o[1]]);
    this.ids.push(...other.ids);
    this.tokens.push(...other.tokens);
    this.offsets.push(...other.offsets);
    if (this.utf16Offsets !== this.offsets) this.utf16Offsets.push(...other.utf16Offsets);
    this.typeIds.push(...other.typeIds);
    this.attentionMask.push(...other.attentionMask);
    this.specialTokensMask.push(...other.specialTokensMask);
    this.wordIds.push(...other.wordIds);
    this.sequenceIds.push(...other.sequenceIds);
  }

  /** Keeps `n` tokens: the first ones (direction right) or the last ones (left). */
  truncate(n: number, direction: TruncationDirection = 'right'): void {
    if (n >= this.length) return;
    const cut = <T>(a: T[]): T[] => (direction === 'right' ? a.slice(0, n) : a.slice(a.length - n));
    const shared = this.utf16Offsets === this.offsets;
    this.ids = cut(this.ids);
    this.tokens = cut(this.tokens);
    this.offsets = cut(this.offsets);
    this.utf16Offsets = shared ? this.offsets : cut(this.utf16Offsets);
    this.typeIds = cut(this.typeIds);
    this.attentionMask = cut(this.attentionMask);
    this.specialTokensMask = cut(this.specialTokensMask);
    this.wordIds = cut(this.wordIds);
    this.sequenceIds = cut(this.sequenceIds);
  }

  /** Sets every type id. */
  setTypeIds(typeId: number): void {
    this.typeIds.fill(typeId);
  }

  /** Sets the sequence id of every token. */
  setSequenceId(sequenceId: number): void {
    this.sequenceIds.fill(sequenceId);
  }

  /** Pads up to `length` tokens (nothing when already as long). */
  pad(length: number, padId: number, padTypeId: number, padToken: string, direction: PaddingDirection = 'right'): void {
    const k = length - this.length;
    if (k <= 0) return;
    const shared = this.utf16Offsets === this.offsets;
    const fill = <T>(a: T[], v: () => T): T[] => {
      const extra = Array.from({ length: k }, v);
      return direction === 'right' ? a.concat(extra) : extra.concat(a);
    };
    this.ids = fill(this.ids, () => padId);
    this.tokens = fill(this.tokens, () => padToken);
    this.offsets = fill(this.offsets, () => [0, 0]);
    this.utf16Offsets = shared ? this.offsets : fill(this.utf16Offsets, () => [0, 0]);
    this.typeIds = fill(this.typeIds, () => padTypeId);
    this.attentionMask = fill(this.attentionMask, () => 0);
    this.specialTokensMask = fill(this.specialTokensMask, () => 1);
    this.wordIds = fill(this.wordIds, () => null);
    this.sequenceIds = fill(this.sequenceIds, () => null);
  }
}

/** Which end of a sequence truncation removes from: 'right' keeps the start. */
export type TruncationDirection = 'right' | 'left';
/** Which side padding goes: 'right' appends. */
export type PaddingDirection = 'right' | 'left';
/** How a pair is truncated (HF names). */
export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/** Truncation settings. `maxLength` counts the special tokens the post-processor adds. */
export interface TruncationOptions {
  maxLength: number;
  /** Default 'longest_first'. */
  strategy?: TruncationStrategy;
  /** Default 'right'. */
  direction?: TruncationDirection;
  /** Kept for tokenizer.json; overflowing windows are not produced. */
  stride?: number;
}

/** Padding settings: a fixed `length`, or (without it) the longest encoding of a batch. */
export interface PaddingOptions {
  /** Pad to this many tokens; omit to pad a batch to its longest encoding. */
  length?: number;
  /** Round the target length up to a multiple of this. */
  padToMultipleOf?: number;
  padId?: number;
  padTypeId?: number;
  padToken?: string;
  direction?: PaddingDirection;
}

/**
 * Truncates a text or a pair so that together they hold at most `maxLength` tokens, special tokens
 * already subtracted by the caller (`fullMaxLength` is the limit before that subtraction). Follows
 * HF tokenizers 0.23's truncate_encodings (utils/truncation.rs), checked against its output on every
 * pair of lengths up to 12 for limits 3 to 12.
 */
export function truncateEncodings(
  a: Encoding,
  b: Encoding | null,
  maxLength: number,
  strategy: TruncationStrategy,
  direction: TruncationDirection,
  fullMaxLength = maxLength,
): void {
  if (maxLength < 0) throw new TesseraError(`truncation: max length is smaller than the number of special tokens added`);
  if (maxLength === 0) {
    a.truncate(0, direction);
    b?.truncate(0, direction);
    return;
  }
  const total = a.length + (b?.length ?? 0);
  if (total <= maxLength) return;
  const toRemove = total - maxLength;
  if (strategy === 'longest_first') {
    if (b === null) {
      a.truncate(maxLength, direction);
      return;
    }
    const shorter = Math.min(a.length, b.length);
    if (shorter <= maxLength - shorter) {
      // Only the longer one needs cutting: the shorter stays whole.
      if (a.length > b.length) a.truncate(maxLength - shorter, direction);
      else b.truncate(maxLength - shorter, direction);
      return;
    }
    // Both are cut to about half. The odd token goes to the second text, except when the first is
    // the longer one and the second is shorter than the full max length (HF 0.23's observed rule).
    const half = Math.floor(maxLength / 2);
    const firstGetsOdd = a.length > b.length && b.length < fullMaxLength;
    a.truncate(firstGetsOdd ? maxLength - half : half, direction);
    b.truncate(firstGetsOdd ? half : maxLength - half, direction);
    return;
  }
  const target = strategy === 'only_first' ? a : b;
  if (target === null) throw new TesseraError(`truncation: strategy 'only_second' needs a pair of texts`);
  if (target.length <= toRemove) {
    throw new TesseraError(
      `truncation: with strategy '${strategy}' the ${strategy === 'only_first' ? 'first' : 'second'} text (${target.length} tokens) is too short to remove ${toRemove} tokens`,
    );
  }
  target.truncate(target.length - toRemove, direction);
}
