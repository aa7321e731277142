// Unicode character classes the normalizers and pre-tokenizers need, cached per code point, and the
// conversion between UTF-16 offsets (how JavaScript indexes strings) and code-point offsets (how
// Python and Hugging Face tokenizers count characters).

/** Class bits returned by {@link charClass}. */
export const LETTER = 1;
export const NUMBER = 2;
/** The Unicode White_Space property (what Rust's `char::is_whitespace` and Oniguruma's `\s` test). */
export const WHITESPACE = 4;
/** Cc, Cf or Co: what BERT's text cleaning removes (tab, newline and carriage return excepted). */
export const OTHER = 8;
/** Unicode punctuation (Pc Pd Pe Pf Pi Po Ps) or ASCII punctuation (which includes $ + < = > ^ ` | ~). */
export const PUNCTUATION = 16;
/** Mn: what accent stripping removes after NFD. */
export const MARK_NONSPACING = 32;
/** Alphabetic, marks, decimal digits, connector punctuation, join controls: the regex `\w` class. */
export const WORD = 64;
const COMPUTED = 128;

const classes = new Uint8Array(0x110000);
const reLetter = /\p{L}/u;
const reNumber = /\p{N}/u;
const reOther = /[\p{Cc}\p{Cf}\p{Co}]/u;
const rePunct = /\p{P}/u;
const reMn = /\p{Mn}/u;
const reWord = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;

function isWhiteSpaceProperty(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x20 ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

function isAsciiPunctuation(cp: number): boolean {
  return (cp >= 0x21 && cp <= 0x2f) || (cp >= 0x3a && cp <= 0x40) || (cp >= 0x5b && cp <= 0x60) || (cp >= 0x7b && cp <= 0x7e);
}

function computeClass(cp: number): number {
  // A lone surrogate is treated as U+FFFD everywhere (it is what UTF-8 encoding turns it into).
  const s = cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCodePoint(cp);
  let c = COMPUTED;
  if (reLetter.test(s)) c |= LETTER;
  if (reNumber.test(s)) c |= NUMBER;
  if (isWhiteSpaceProperty(cp)) c |= WHITESPACE;
  if (reOther.test(s)) c |= OTHER;
  if (isAsciiPunctuation(cp) || rePunct.test(s)) c |= PUNCTUATION;
  if (reMn.test(s)) c |= MARK_NONSPACING;
  if (reWord.test(s)) c |= WORD;
  return c;
}

/** The class bits of a code point (LETTER, NUMBER, WHITESPACE, OTHER, PUNCTUATION, MARK_NONSPACING, WORD). */
export function charClass(cp: number): number {
  let c = classes[cp]!;
  if (c === 0) {
    c = computeClass(cp);
    classes[cp] = c;
  }
  return c;
}

/**
 * Whether a code point is a "Chinese character" as BERT defines it: the CJK Unified Ideographs blocks
 * and the compatibility ideographs. Ranges follow Hugging Face tokenizers' BertNormalizer
 * (tokenizers/src/normalizers/bert.rs), which differ from Google's BERT in one bound (0x2B920).
 */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** The code point at UTF-16 index `i` (a lone surrogate is returned as itself). */
export function codePointAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}

const reSurrogate = /[\ud800-\udfff]/;

/** Whether a string holds any surrogate (so UTF-16 and code-point offsets may differ). */
export function hasSurrogates(s: string): boolean {
  return reSurrogate.test(s);
}

/**
 * A table mapping each UTF-16 index 0..s.length of `s` to its code-point index. Only needed when the
 * string holds surrogate pairs; a low surrogate maps to the index of its pair's code point.
 */
export function utf16ToCodePointTable(s: string): Int32Array {
  const table = new Int32Array(s.length + 1);
  let cp = 0;
  for (let i = 0; i < s.length; i++) {
    table[i] = cp;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        table[i + 1] = cp;
        i++;
      }
    }
    cp++;
  }
  table[s.length] = cp;
  return table;
}

/** Number of code points in a string (a lone surrogate counts as one). */
export function codePointLength(s: string): number {
  if (!hasSurrogates(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Builds a string from UTF-16 code units held in `buf[0..n)` (chunked to stay under argument limits). */
export function stringFromCodeUnits(buf: Uint16Array, n: number): string {
  if (n <= 4096) return String.fromCharCode.apply(null, buf.subarray(0, n) as unknown as number[]);
  let out = '';
  for (let i = 0; i < n; i += 4096) {
    out += String.fromCharCode.apply(null, buf.subarray(i, Math.min(n, i + 4096)) as unknown as number[]);
  }
  return out;
}
