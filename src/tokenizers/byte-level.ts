// GPT-2's byte-level alphabet: every byte 0..255 stands for one printable character (the
// bytes_to_unicode table of openai/gpt-2 encoder.py), so any UTF-8 text becomes a string of them.
import { stringFromCodeUnits } from './unicode.js';

/** The character that stands for each byte. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();
/** The byte each byte-level character stands for, indexed by char code (-1 when none). */
export const CHAR_TO_BYTE: Int16Array = buildCharToByte();

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : 256 + n++);
  return table;
}

function buildCharToByte(): Int16Array {
  const t = new Int16Array(324).fill(-1);
  for (let b = 0; b < 256; b++) t[BYTE_TO_CHAR[b]!.charCodeAt(0)] = b;
  return t;
}

/** The 256 byte-level characters (the initial alphabet of a byte-level BPE). */
export function byteLevelAlphabet(): string[] {
  return BYTE_TO_CHAR.slice();
}

/** A word in byte-level characters, with the source range (in the word's UTF-16 units) of each byte. */
export interface ByteLevelWord {
  text: string;
  /** Per byte, the start of its character in the word; null when the word is ASCII (byte i is unit i). */
  starts: Int32Array | null;
  /** Per byte, the end of its character in the word; null when the word is ASCII. */
  ends: Int32Array | null;
}

const BYTE_CODE = Uint16Array.from(BYTE_TO_CHAR, (c) => c.charCodeAt(0));
let codeBuf = new Uint16Array(256);
let startBuf = new Int32Array(256);
let endBuf = new Int32Array(256);

function reserve(n: number): void {
  if (codeBuf.length >= n) return;
  let size = codeBuf.length;
  while (size < n) size *= 2;
  codeBuf = new Uint16Array(size);
  startBuf = new Int32Array(size);
  endBuf = new Int32Array(size);
}

/** Encodes a word to UTF-8 and spells each byte with its byte-level character. Lone surrogates become U+FFFD. */
export function toByteLevel(word: string): ByteLevelWord {
  const len = word.length;
  reserve(len * 3);
  const codes = codeBuf;
  let ascii = true;
  for (let i = 0; i < len; i++) {
    const c = word.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    codes[i] = BYTE_CODE[c]!;
  }
  if (ascii) return { text: stringFromCodeUnits(codes, len), starts: null, ends: null };
  const starts = startBuf;
  const ends = endBuf;
  let n = 0;
  for (let i = 0; i < len; ) {
    let cp = word.charCodeAt(i);
    let size = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < len) {
      const d = word.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        size = 2;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    const first = n;
    if (cp < 0x80) codes[n++] = BYTE_CODE[cp]!;
    else if (cp < 0x800) {
      codes[n++] = BYTE_CODE[0xc0 | (cp >> 6)]!;
      codes[n++] = BYTE_CODE[0x80 | (cp & 63)]!;
    } else if (cp < 0x10000) {
      codes[n++] = BYTE_CODE[0xe0 | (cp >> 12)]!;
      codes[n++] = BYTE_CODE[0x80 | ((cp >> 6) & 63)]!;
      codes[n++] = BYTE_CODE[0x80 | (cp & 63)]!;
    } else {
      codes[n++] = BYTE_CODE[0xf0 | (cp >> 18)]!;
      codes[n++] = BYTE_CODE[0x80 | ((cp >> 12) & 63)]!;
      codes[n++] = BYTE_CODE[0x80 | ((cp >> 6) & 63)]!;
      codes[n++] = BYTE_CODE[0x80 | (cp & 63)]!;
    }
    for (let k = first; k < n; k++) {
      starts[k] = i;
      ends[k] = i + size;
    }
    i += size;
  }
  return { text: stringFromCodeUnits(codes, n), starts: starts.slice(0, n), ends: ends.slice(0, n) };
}

// ignoreBOM: keep a leading U+FEFF, as Rust's from_utf8_lossy does.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Turns byte-level tokens back into text: each token's characters are read as bytes (a token holding a
 * character outside the table contributes its own UTF-8 bytes, as HF's ByteLevel decoder does), and the
 * bytes are decoded as UTF-8 with invalid sequences replaced by U+FFFD. Never throws.
 */
export function byteLevelToString(tokens: readonly string[]): string {
  let total = 0;
  for (const t of tokens) total += t.length * 3;
  const bytes = new Uint8Array(total);
  let n = 0;
  const encoder = new TextEncoder();
  for (const t of tokens) {
    let ok = true;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c]! < 0) {
        ok = false;
        break;
      }
    }
    if (ok) {
      for (let i = 0; i < t.length; i++) bytes[n++] = CHAR_TO_BYTE[t.charCodeAt(i)]!;
    } else {
      const raw = encoder.encode(t);
      bytes.set(raw, n);
      n += raw.length;
    }
  }
  return utf8Decoder.decode(bytes.subarray(0, n));
}
