// Normalizers: BERT's (clean text, CJK spacing, accent stripping, lowercasing), Lowercase, StripAccents
// and Sequence. Each maps one code point to a string, so every normalized character keeps the range of
// the original character it came from (the alignment that lets offsets point into the original text).
import { FormatError } from '../errors.js';
import type { JsonValue } from './json.js';
import { charClass, codePointAt, isChineseChar, MARK_NONSPACING, OTHER, stringFromCodeUnits, WHITESPACE } from './unicode.js';

/** A normalized string with, for each of its UTF-16 units, the [start, end) it came from in the input. */
export interface NormalizedText {
  text: string;
  /** Per normalized unit, the start of its source in the input; null when the text is aligned 1:1. */
  starts: Int32Array | null;
  /** Per normalized unit, the end of its source in the input; null when the text is aligned 1:1. */
  ends: Int32Array | null;
}


/** A normalizer that works code point by code point. */
export interface Normalizer {
  /** The normalized form of one code point ('' removes it). Pure, so results are cached. */
  mapCodePoint(cp: number): string;
  /** Normalizes a text made only of printable ASCII, tab, newline and carriage return, char for char. */
  normalizeAsciiSafe(text: string): string;
  toJson(): JsonValue;
}

function lowercaseEachChar(s: string): string {
  // Per character, like Rust's char::to_lowercase (so no final-sigma context rule).
  let out = '';
  for (const ch of s) out += ch.toLowerCase();
  return out;
}

function stripNonspacingMarks(s: string): string {
  let out = '';
  for (const ch of s) if (!(charClass(ch.codePointAt(0)!) & MARK_NONSPACING)) out += ch;
  return out;
}

/** Options of {@link BertNormalizer}, named as in tokenizer.json. */
export interface BertNormalizerOptions {
  cleanText?: boolean;
  handleChineseChars?: boolean;
  /** null: strip accents exactly when lowercasing (BERT's rule). */
  stripAccents?: boolean | null;
  lowercase?: boolean;
}

/**
 * BERT's normalizer (HF tokenizers/src/normalizers/bert.rs): drops NUL, U+FFFD and Cc/Cf/Co characters
 * and turns whitespace into ' ' (clean text), surrounds CJK ideographs with spaces, strips accents
 * (NFD then remove Mn) and lowercases, in that order.
 */
export class BertNormalizer implements Normalizer {
  readonly cleanText: boolean;
  readonly handleChineseChars: boolean;
  readonly stripAccents: boolean | null;
  readonly lowercase: boolean;

  constructor(options: BertNormalizerOptions = {}) {
    this.cleanText = options.cleanText ?? true;
    this.handleChineseChars = options.handleChineseChars ?? true;
    this.stripAccents = options.stripAccents ?? null;
    this.lowercase = options.lowercase ?? true;
  }

  mapCodePoint(cp: number): string {
    if (this.cleanText) {
      const isTabLike = cp === 9 || cp === 10 || cp === 13;
      if (cp === 0 || cp === 0xfffd || (!isTabLike && charClass(cp) & OTHER)) return '';
      if (isTabLike || charClass(cp) & WHITESPACE) return ' ';
    }
    let s = String.fromCodePoint(cp);
    if (this.handleChineseChars && isChineseChar(cp)) s = ` ${s} `;
    if (this.stripAccents ?? this.lowercase) s = stripNonspacingMarks(s.normalize('NFD'));
    if (this.lowercase) s = lowercaseEachChar(s);
    return s;
  }

  normalizeAsciiSafe(text: string): string {
    let s = this.lowercase ? text.toLowerCase() : text;
    if (this.cleanText && /[\t\n\r]/.test(s)) s = s.replace(/[\t\n\r]/g, ' ');
    return s;
  }

  toJson(): JsonValue {
    return {
      type: 'BertNormalizer',
      clean_text: this.cleanText,
      handle_chinese_chars: this.handleChineseChars,
      strip_accents: this.stripAccents,
      lowercase: this.lowercase,
    };
  }
}

/** Lowercases each character (Rust's char::to_lowercase, as HF's Lowercase normalizer). */
export class LowercaseNormalizer implements Normalizer {
  mapCodePoint(cp: number): string {
    return lowercaseEachChar(String.fromCodePoint(cp));
  }
  normalizeAsciiSafe(text: string): string {
    return text.toLowerCase();
  }
  toJson(): JsonValue {
    return { type: 'Lowercase' };
  }
}

/** Removes nonspacing marks (Mn); HF's StripAccents, meant to follow an NFD normalizer. */
export class StripAccentsNormalizer implements Normalizer {
  mapCodePoint(cp: number): string {
    return charClass(cp) & MARK_NONSPACING ? '' : String.fromCodePoint(cp);
  }
  normalizeAsciiSafe(text: string): string {
    return text;
  }
  toJson(): JsonValue {
    return { type: 'StripAccents' };
  }
}

/** Applies normalizers one after the other. */
export class SequenceNormalizer implements Normalizer {
  constructor(readonly normalizers: Normalizer[]) {}
  mapCodePoint(cp: number): string {
    let s = String.fromCodePoint(cp);
    for (const n of this.normalizers) {
      let next = '';
      for (const ch of s) next += n.mapCodePoint(ch.codePointAt(0)!);
      s = next;
    }
    return s;
  }
  normalizeAsciiSafe(text: string): string {
    let s = text;
    for (const n of this.normalizers) s = n.normalizeAsciiSafe(s);
    return s;
  }
  toJson(): JsonValue {
    return { type: 'Sequence', normalizers: this.normalizers.map((n) => n.toJson()) };
  }
}

const ASCII_SAFE = /^[\t\n\r\x20-\x7e]*$/;
const caches = new WeakMap<Normalizer, Map<number, string>>();
let unitBuf = new Uint16Array(1024);
let startBuf = new Int32Array(1024);
let endBuf = new Int32Array(1024);

function grow(n: number): void {
  let size = unitBuf.length;
  while (size < n) size *= 2;
  if (size === unitBuf.length) return;
  const u = new Uint16Array(size);
  u.set(unitBuf);
  unitBuf = u;
  const s = new Int32Array(size);
  s.set(startBuf);
  startBuf = s;
  const e = new Int32Array(size);
  e.set(endBuf);
  endBuf = e;
}

/**
 * Runs a normalizer over `text`, tracking for every normalized unit the input range it came from.
 * Lone surrogates are read as U+FFFD.
 */
export function normalizeText(normalizer: Normalizer, text: string): NormalizedText {
  if (ASCII_SAFE.test(text)) return { text: normalizer.normalizeAsciiSafe(text), starts: null, ends: null };
  let cache = caches.get(normalizer);
  if (!cache) {
    cache = new Map();
    caches.set(normalizer, cache);
  }
  let n = 0;
  grow(text.length * 2 + 16);
  for (let i = 0; i < text.length; ) {
    let cp = codePointAt(text, i);
    const len = cp > 0xffff ? 2 : 1;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    let mapped = cache.get(cp);
    if (mapped === undefined) {
      mapped = normalizer.mapCodePoint(cp);
      cache.set(cp, mapped);
    }
    if (n + mapped.length > unitBuf.length) grow(n + mapped.length + text.length);
    for (let k = 0; k < mapped.length; k++) {
      unitBuf[n] = mapped.charCodeAt(k);
      startBuf[n] = i;
      endBuf[n] = i + len;
      n++;
    }
    i += len;
  }
  return { text: stringFromCodeUnits(unitBuf, n), starts: startBuf.slice(0, n), ends: endBuf.slice(0, n) };
}

function bool(json: Record<string, unknown>, key: string, fallback: boolean, where: string): boolean {
  const v = json[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new FormatError(`${where}: normalizer field "${key}" must be true or false`);
  return v;
}

/** Builds a normalizer from its tokenizer.json form; `where` names the file in errors. */
export function normalizerFromJson(json: unknown, where: string): Normalizer | null {
  if (json === null || json === undefined) return null;
  if (typeof json !== 'object' || Array.isArray(json)) throw new FormatError(`${where}: "normalizer" must be an object or null`);
  const j = json as Record<string, unknown>;
  switch (j.type) {
    case 'BertNormalizer': {
      const sa = j.strip_accents;
      if (sa !== null && sa !== undefined && typeof sa !== 'boolean') {
        throw new FormatError(`${where}: normalizer field "strip_accents" must be true, false or null`);
      }
      return new BertNormalizer({
        cleanText: bool(j, 'clean_text', true, where),
        handleChineseChars: bool(j, 'handle_chinese_chars', true, where),
        stripAccents: sa ?? null,
        lowercase: bool(j, 'lowercase', true, where),
      });
    }
    case 'Lowercase':
      return new LowercaseNormalizer();
    case 'StripAccents':
      return new StripAccentsNormalizer();
    case 'Sequence': {
      if (!Array.isArray(j.normalizers)) throw new FormatError(`${where}: Sequence normalizer needs a "normalizers" list`);
      return new SequenceNormalizer(j.normalizers.map((n) => normalizerFromJson(n, where)!).filter((n) => n !== null));
    }
    default:
      throw new FormatError(
        `${where}: unsupported normalizer type ${JSON.stringify(j.type)} (supported: BertNormalizer, Lowercase, StripAccents, Sequence)`,
      );
  }
}
