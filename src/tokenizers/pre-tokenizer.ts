// Pre-tokenizers: split normalized text into words before the subword model runs. BERT's (whitespace
// and punctuation), GPT-2's byte-level one (its regex, scanned by hand: no backtracking), Whitespace
// (\w+|[^\w\s]+) and WhitespaceSplit. Words are reported as [start, end) pairs of UTF-16 offsets.
import { FormatError } from '../errors.js';
import type { JsonValue } from './json.js';
import { charClass, codePointAt, LETTER, NUMBER, PUNCTUATION, WHITESPACE, WORD } from './unicode.js';

/** A pre-tokenizer. */
export interface PreTokenizer {
  /** Appends the [start, end) of every word of text[start, end) to `out` (flat pairs). */
  split(text: string, start: number, end: number, out: number[]): void;
  /** Whether words reach the model spelled in byte-level characters (GPT-2). */
  readonly byteLevel: boolean;
  /** Whether a space is put in front of a text that does not start with one. */
  readonly addPrefixSpace: boolean;
  toJson(): JsonValue;
}

// Classes used by the scanners: 0 other, 1 whitespace, 2 letter, 3 number, 4 punctuation.
const K_OTHER = 0;
const K_SPACE = 1;
const K_LETTER = 2;
const K_NUMBER = 3;
const K_PUNCT = 4;

function buildAsciiKinds(punctuationKind: number): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const cls = charClass(c);
    t[c] = cls & WHITESPACE ? K_SPACE : cls & LETTER ? K_LETTER : cls & NUMBER ? K_NUMBER : cls & PUNCTUATION ? punctuationKind : K_OTHER;
  }
  return t;
}

/** BERT's pre-tokenizer: splits on whitespace (dropped) and isolates each punctuation character. */
export class BertPreTokenizer implements PreTokenizer {
  readonly byteLevel = false;
  readonly addPrefixSpace = false;
  private static readonly ascii = buildAsciiKinds(K_PUNCT);

  split(text: string, start: number, end: number, out: number[]): void {
    const ascii = BertPreTokenizer.ascii;
    let wordStart = -1;
    for (let i = start; i < end; ) {
      const c = text.charCodeAt(i);
      let kind: number;
      let len = 1;
      if (c < 128) kind = ascii[c]!;
      else {
        const cp = codePointAt(text, i);
        if (cp > 0xffff) len = 2;
        const cls = charClass(cp);
        kind = cls & WHITESPACE ? K_SPACE : cls & PUNCTUATION ? K_PUNCT : K_OTHER;
      }
      if (kind === K_SPACE) {
        if (wordStart >= 0) out.push(wordStart, i);
        wordStart = -1;
      } else if (kind === K_PUNCT) {
        if (wordStart >= 0) out.push(wordStart, i);
        out.push(i, i + len);
        wordStart = -1;
      } else if (wordStart < 0) wordStart = i;
      i += len;
    }
    if (wordStart >= 0) out.push(wordStart, end);
  }

  toJson(): JsonValue {
    return { type: 'BertPreTokenizer' };
  }
}

/** Splits on whitespace only (HF WhitespaceSplit). */
export class WhitespaceSplitPreTokenizer implements PreTokenizer {
  readonly byteLevel = false;
  readonly addPrefixSpace = false;
  split(text: string, start: number, end: number, out: number[]): void {
    let wordStart = -1;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      const space = c < 128 ? c === 32 || (c >= 9 && c <= 13) : (charClass(c) & WHITESPACE) !== 0;
      if (space) {
        if (wordStart >= 0) out.push(wordStart, i);
        wordStart = -1;
      } else if (wordStart < 0) wordStart = i;
    }
    if (wordStart >= 0) out.push(wordStart, end);
  }
  toJson(): JsonValue {
    return { type: 'WhitespaceSplit' };
  }
}

/** Runs of word characters, or runs of other non-space characters (HF Whitespace: `\w+|[^\w\s]+`). */
export class WhitespacePreTokenizer implements PreTokenizer {
  readonly byteLevel = false;
  readonly addPrefixSpace = false;
  split(text: string, start: number, end: number, out: number[]): void {
    // kind: 0 space, 1 word, 2 other
    let runStart = -1;
    let runKind = -1;
    for (let i = start; i < end; ) {
      const cp = codePointAt(text, i);
      const len = cp > 0xffff ? 2 : 1;
      const cls = charClass(cp);
      const kind = cls & WHITESPACE ? 0 : cls & WORD || cp === 0x5f ? 1 : 2;
      if (kind !== runKind) {
        if (runStart >= 0 && runKind !== 0) out.push(runStart, i);
        runStart = i;
        runKind = kind;
      }
      i += len;
    }
    if (runStart >= 0 && runKind !== 0) out.push(runStart, end);
  }
  toJson(): JsonValue {
    return { type: 'Whitespace' };
  }
}

/** Options of {@link ByteLevelPreTokenizer}, named as in tokenizer.json. */
export interface ByteLevelOptions {
  addPrefixSpace?: boolean;
  trimOffsets?: boolean;
  useRegex?: boolean;
}

/**
 * GPT-2's pre-tokenizer (HF pre_tokenizers/byte_level.rs): splits with the pattern
 * `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
 * (implemented as a single forward scan with the same leftmost-first semantics), then the model sees
 * each word as byte-level characters.
 */
export class ByteLevelPreTokenizer implements PreTokenizer {
  readonly byteLevel = true;
  readonly addPrefixSpace: boolean;
  /** Kept for tokenizer.json; offsets trimming is the post-processor's job. */
  readonly trimOffsets: boolean;
  readonly useRegex: boolean;
  private static readonly ascii = buildAsciiKinds(K_OTHER);

  constructor(options: ByteLevelOptions = {}) {
    this.addPrefixSpace = options.addPrefixSpace ?? true;
    this.trimOffsets = options.trimOffsets ?? true;
    this.useRegex = options.useRegex ?? true;
  }

  private static kindAt(text: string, i: number): number {
    const c = text.charCodeAt(i);
    if (c < 128) return ByteLevelPreTokenizer.ascii[c]!;
    const cls = charClass(codePointAt(text, i));
    return cls & WHITESPACE ? K_SPACE : cls & LETTER ? K_LETTER : cls & NUMBER ? K_NUMBER : K_OTHER;
  }

  split(text: string, start: number, end: number, out: number[]): void {
    if (!this.useRegex) {
      if (end > start) out.push(start, end);
      return;
    }
    const kindAt = ByteLevelPreTokenizer.kindAt;
    let i = start;
    while (i < end) {
      const c = text.charCodeAt(i);
      // 's 't 're 've 'm 'll 'd
      if (c === 39 && i + 1 < end) {
        const n1 = text.charCodeAt(i + 1);
        if (n1 === 115 || n1 === 116 || n1 === 109 || n1 === 100) {
          out.push(i, i + 2);
          i += 2;
          continue;
        }
        if (i + 2 < end) {
          const n2 = text.charCodeAt(i + 2);
          if ((n1 === 114 && n2 === 101) || (n1 === 118 && n2 === 101) || (n1 === 108 && n2 === 108)) {
            out.push(i, i + 3);
            i += 3;
            continue;
          }
        }
      }
      let kind = kindAt(text, i);
      let p = i;
      // An optional single ' ' in front of a letter, number or other-character run.
      if (c === 32 && i + 1 < end) {
        const next = kindAt(text, i + 1);
        if (next !== K_SPACE) {
          kind = next;
          p = i + 1;
        }
      }
      if (kind !== K_SPACE) {
        let j = p;
        while (j < end && kindAt(text, j) === kind) j += isHighSurrogatePair(text, j, end) ? 2 : 1;
        out.push(i, j);
        i = j;
        continue;
      }
      // Whitespace: \s+(?!\S) takes the run up to (not including) the last space before a non-space,
      // or the whole run when it reaches the end; a single space before a non-space falls to \s+.
      let j = i;
      while (j < end && kindAt(text, j) === K_SPACE) j++;
      const stop = j === end || j - i === 1 ? j : j - 1;
      out.push(i, stop);
      i = stop;
    }
  }

  toJson(): JsonValue {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

function isHighSurrogatePair(text: string, i: number, end: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= end) return false;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff;
}

function optBool(j: Record<string, unknown>, key: string, fallback: boolean, where: string): boolean {
  const v = j[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new FormatError(`${where}: pre_tokenizer field "${key}" must be true or false`);
  return v;
}

/** Builds a pre-tokenizer from its tokenizer.json form; `where` names the file in errors. */
export function preTokenizerFromJson(json: unknown, where: string): PreTokenizer | null {
  if (json === null || json === undefined) return null;
  if (typeof json !== 'object' || Array.isArray(json)) throw new FormatError(`${where}: "pre_tokenizer" must be an object or null`);
  const j = json as Record<string, unknown>;
  switch (j.type) {
    case 'BertPreTokenizer':
      return new BertPreTokenizer();
    case 'ByteLevel':
      return new ByteLevelPreTokenizer({
        addPrefixSpace: optBool(j, 'add_prefix_space', true, where),
        trimOffsets: optBool(j, 'trim_offsets', true, where),
        useRegex: optBool(j, 'use_regex', true, where),
      });
    case 'Whitespace':
      return new WhitespacePreTokenizer();
    case 'WhitespaceSplit':
      return new WhitespaceSplitPreTokenizer();
    default:
      throw new FormatError(
        `${where}: unsupported pre_tokenizer type ${JSON.stringify(j.type)} (supported: BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit)`,
      );
  }
}
