// GPT-2's byte-level alphabet: every byte 0..255 stands for one printable character (the
// bytes_to_unicode table of openai/gpt-2 encoder.py), so any UTF-8 text becomes a string of them.

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
  starts: Int32Array;
  ends: Int32Array;
}

/** Encodes a word to UTF-8 and spells each byte with its byte-level character. Lone surrogates become U+FFFD. */
export function toByteLevel(word: string): ByteLevelWord {
  const starts = new Int32Array(word.length * 3);
  const ends = new Int32Array(word.length * 3);
  let text = '';
  let n = 0;
  for (let i = 0; i < word.length; ) {
    let cp = word.charCodeAt(i);
    let len = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < word.length) {
      const d = word.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        len = 2;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    const end = i + len;
    const push = (b: number) => {
      text += BYTE_TO_CHAR[b]!;
      starts[n] = i;
      ends[n] = end;
      n++;
    };
    if (cp < 0x80) push(cp);
    else if (cp < 0x800) {
      push(0xc0 | (cp >> 6));
      push(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      push(0xe0 | (cp >> 12));
      push(0x80 | ((cp >> 6) & 63));
      push(0x80 | (cp & 63));
    } else {
      push(0xf0 | (cp >> 18));
      push(0x80 | ((cp >> 12) & 63));
      push(0x80 | ((cp >> 6) & 63));
      push(0x80 | (cp & 63));
    }
    i = end;
  }
  return { text, starts: starts.subarray(0, n), ends: ends.subarray(0, n) };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

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
