// Streaming corpus reader with word2vec.c's ReadWord rules, over a fixed-size buffer filled by fs.readSync:
// words are split on space, tab and newline, '\r' is dropped, every newline is the token `</s>`, words are
// cut to their first 98 bytes, and a last word with no separator after it is not read (as in the C tool).
import * as fs from 'node:fs';
import { TesseraError } from '../../errors.js';
import { HASH_SEED, hashStep } from './wordtable.js';

/** Longest word kept, in bytes (word2vec.c's MAX_STRING 100 minus its truncation rule). */
export const MAX_WORD_BYTES = 98;

/** What `CorpusReader.next()` read. */
export const enum Token {
  End = 0,
  Word = 1,
  Newline = 2,
}

/** The sentence-end word that every newline reads as; it is always vocabulary id 0. */
export const SENTENCE_END = '</s>';

/** Opens `path` for reading or throws a TesseraError naming it. */
export function openCorpus(path: string, what = 'corpus'): number {
  try {
    const stat = fs.statSync(path);
    if (stat.isDirectory()) throw new TesseraError(`${what} ${path} is a directory, not a file`);
    return fs.openSync(path, 'r');
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TesseraError(`${what} file not found: ${path}`);
    throw new TesseraError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/**
 * Reads tokens from a byte offset of a file. After `next()` returns `Token.Word`, the word is
 * `word[0, wordLength)` with FNV-1a hash `wordHash`. Memory use is the buffer, whatever the file size.
 */
export class CorpusReader {
  /** The current word's bytes (first `wordLength` are valid). */
  readonly word = new Uint8Array(MAX_WORD_BYTES);
  wordLength = 0;
  wordHash = 0;
  private readonly buf: Uint8Array;
  private pos = 0;
  private end = 0;
  private filePos = 0;
  private pendingNewline = false;
  private atEof = false;

  /** Reads from an open file descriptor (closed by `close()`). */
  constructor(private readonly fd: number, bufferBytes = 1 << 20) {
    this.buf = new Uint8Array(Math.max(16, bufferBytes));
  }

  /** Restarts reading at byte `offset` (which may fall inside a word, as the C tool's fseek does). */
  seek(offset: number): void {
    this.filePos = offset;
    this.pos = 0;
    this.end = 0;
    this.pendingNewline = false;
    this.atEof = false;
  }

  /** Reads the next token. */
  next(): Token {
    if (this.pendingNewline) {
      this.pendingNewline = false;
      return Token.Newline;
    }
    const word = this.word;
    const buf = this.buf;
    let len = 0;
    let h = HASH_SEED;
    let pos = this.pos;
    let end = this.end;
    for (;;) {
      if (pos >= end) {
        this.pos = pos;
        if (!this.fill()) return Token.End; // a word cut by the end of file is dropped, as in word2vec.c
        pos = this.pos;
        end = this.end;
      }
      const ch = buf[pos++];
      if (ch === 13) continue;
      if (ch === 32 || ch === 9 || ch === 10) {
        if (len > 0) {
          if (ch === 10) this.pendingNewline = true;
          this.pos = pos;
          this.wordLength = len;
          this.wordHash = h;
          return Token.Word;
        }
        if (ch === 10) {
          this.pos = pos;
          return Token.Newline;
        }
        continue;
      }
      if (len < MAX_WORD_BYTES) {
        word[len++] = ch;
        h = hashStep(h, ch);
      }
    }
  }

  /** Closes the file. */
  close(): void {
    fs.closeSync(this.fd);
  }

  private fill(): boolean {
    if (this.atEof) return false;
    const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.filePos);
    if (n <= 0) {
      this.atEof = true;
      this.pos = 0;
      this.end = 0;
      return false;
    }
    this.filePos += n;
    this.pos = 0;
    this.end = n;
    return true;
  }
}
