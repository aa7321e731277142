// The word2vec vector file formats, read in chunks and written through a buffer:
//   binary: "V D\n", then per word `word ` + D little-endian float32 (+ "\n" in word2vec.c files; gensim
//           omits it, so leading newlines of a word are skipped on reading, as gensim does);
//   text:   "V D\n", then per word `word v1 v2 ... vD` (word2vec.c writes "%lf " per value and "\n";
//           gensim writes repr() values); a headerless text file (GloVe style) is read too.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { FormatError, TesseraError } from '../../errors.js';
import { WordVectors } from './vectors.js';

/** How to read a vectors file. */
export interface ReadVectorsOptions {
  /** 'auto' (default) tells text from binary by the first record. */
  format?: 'auto' | 'text' | 'binary';
  /** Read only the first N vectors (as compute-accuracy's threshold or gensim's limit). */
  limit?: number;
}

/** How to write a vectors file. */
export interface WriteVectorsOptions {
  /** Binary (exact float32) instead of text (6 decimals, as word2vec.c's "%lf"). */
  binary?: boolean;
}

const decoder = new TextDecoder('utf-8');
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const LITTLE_ENDIAN = os.endianness() === 'LE';
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;

/** A chunked reader of a file's bytes. */
class ByteSource {
  private buf = new Uint8Array(1 << 20);
  private pos = 0;
  private end = 0;
  private filePos = 0;
  private eof = false;

  constructor(private readonly fd: number) {}

  /** Makes at least `n` bytes available (fewer only at end of file); returns how many are. */
  ensure(n: number): number {
    if (this.end - this.pos >= n || this.eof) return this.end - this.pos;
    if (n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
      bigger.set(this.buf.subarray(this.pos, this.end));
      this.end -= this.pos;
      this.pos = 0;
      this.buf = bigger;
    } else if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.end -= this.pos;
      this.pos = 0;
    }
    while (this.end - this.pos < n && !this.eof) {
      const got = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.filePos);
      if (got <= 0) this.eof = true;
      this.filePos += got;
      this.end += got;
    }
    return this.end - this.pos;
  }

  /** Up to `n` next bytes without consuming them (a view, valid until the next read). */
  peekBytes(n: number): Uint8Array {
    const avail = this.ensure(n);
    return this.buf.subarray(this.pos, this.pos + Math.min(n, avail));
  }

  /** Next byte without consuming it, or -1 at end of file. */
  peek(): number {
    return this.ensure(1) > 0 ? this.buf[this.pos] : -1;
  }

  /** Consumes and returns the bytes up to (not including) `stop`, which is consumed too; null at EOF. */
  until(stop: number): Uint8Array | null {
    let scanned = 0;
    for (;;) {
      const avail = this.ensure(scanned + 1);
      if (avail <= scanned) {
        if (avail === 0) return null;
        const rest = this.buf.slice(this.pos, this.pos + avail);
        this.pos += avail;
        return rest;
      }
      const i = this.buf.subarray(this.pos + scanned, this.pos + avail).indexOf(stop);
      if (i >= 0) {
        const out = this.buf.slice(this.pos, this.pos + scanned + i);
        this.pos += scanned + i + 1;
        return out;
      }
      scanned = avail;
    }
  }

  /** Copies the next `n` bytes into `out` at `offset`; false if the file ends first. */
  take(out: Uint8Array, offset: number, n: number): boolean {
    if (this.ensure(n) < n) return false;
    out.set(this.buf.subarray(this.pos, this.pos + n), offset);
    this.pos += n;
    return true;
  }

  /** Consumes one byte. */
  dropByte(): void {
    this.pos++;
  }
}

function openVectors(path: string): number {
  try {
    if (fs.statSync(path).isDirectory()) throw new TesseraError(`vectors file ${path} is a directory`);
    return fs.openSync(path, 'r');
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TesseraError(`vectors file not found: ${path}`);
    throw new TesseraError(`cannot read vectors file ${path}: ${(err as Error).message}`);
  }
}

function splitFields(line: string): string[] {
  return line.replace(/[\r\n]+$/, '').trim().split(/[ \t]+/);
}

/** Parses a text record into `out` at row `row`; throws FormatError naming the file and line. */
function parseTextRecord(path: string, lineNo: number, fields: string[], dim: number, out: Float32Array, row: number): string {
  if (fields.length !== dim + 1) {
    throw new FormatError(`${path}:${lineNo}: expected a word and ${dim} values, got ${fields.length - 1} values`);
  }
  for (let k = 0; k < dim; k++) {
    const s = fields[k + 1];
    const v = Number(s);
    if (!NUMBER.test(s) || (Number.isNaN(v) && !/nan/i.test(s))) {
      throw new FormatError(`${path}:${lineNo}: value ${k + 1} of "${fields[0]}" is not a number: "${s.slice(0, 40)}"`);
    }
    out[row * dim + k] = /^[+-]?inf/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : v;
  }
  return fields[0];
}

/**
 * Whether the first record's line reads as text: valid UTF-8 without control bytes (raw float32 data
 * almost always has some, or invalid UTF-8) that splits into a word and `dim` fields.
 */
function looksLikeTextRecord(line: Uint8Array, dim: number): boolean {
  for (const b of line) if (b < 32 && b !== 9 && b !== 13) return false;
  let text: string;
  try {
    text = strictDecoder.decode(line);
  } catch {
    return false;
  }
  return splitFields(text).length === dim + 1;
}

function isTextRecord(fields: string[], dim: number): boolean {
  return fields.length === dim + 1 && fields.slice(1).every((f) => NUMBER.test(f));
}

/** Reads a word2vec text or binary vectors file (written by word2vec.c, gensim or Tessera). */
export function readVectors(path: string, options: ReadVectorsOptions = {}): WordVectors {
  const format = options.format ?? 'auto';
  if (format !== 'auto' && format !== 'text' && format !== 'binary') {
    throw new TesseraError(`vectors format must be auto, text or binary, got ${String(format)}`);
  }
  const limit = options.limit ?? Infinity;
  const fd = openVectors(path);
  try {
    const src = new ByteSource(fd);
    const first = src.until(10);
    if (first === null) throw new FormatError(`${path}: empty vectors file`);
    const headerFields = splitFields(decoder.decode(first));
    const header =
      headerFields.length === 2 && /^\d+$/.test(headerFields[0]) && /^\d+$/.test(headerFields[1])
        ? { count: Number(headerFields[0]), dim: Number(headerFields[1]) }
        : null;
    if (header === null) {
      // No "V D" header: only a headerless text file (GloVe style) is possible.
      const dim = headerFields.length - 1;
      if (format === 'binary' || dim < 1 || !isTextRecord(headerFields, dim)) {
        throw new FormatError(`${path}: the first line must be the header "<words> <dims>", got "${decoder.decode(first).slice(0, 60)}"`);
      }
      return readTextBody(path, src, dim, Infinity, limit, headerFields);
    }
    const { count, dim } = header;
    if (dim < 1) throw new FormatError(`${path}: header says ${dim} dimensions`);
    const n = Math.min(count, limit);
    let binary = format === 'binary';
    if (format === 'auto' && n > 0) {
      const probe = src.peekBytes(Math.min(1 << 16, 64 + dim * 32));
      const nl = probe.indexOf(10);
      binary = !(nl >= 0 && looksLikeTextRecord(probe.subarray(0, nl), dim));
    }
    return binary ? readBinaryBody(path, src, n, dim, count) : readTextBody(path, src, dim, n, limit, null);
  } finally {
    fs.closeSync(fd);
  }
}

function readBinaryBody(path: string, src: ByteSource, n: number, dim: number, count: number): WordVectors {
  const words: string[] = new Array(n);
  const data = new Float32Array(n * dim);
  const bytes = new Uint8Array(data.buffer);
  const rowBytes = dim * 4;
  const scratch = LITTLE_ENDIAN ? null : new Uint8Array(rowBytes);
  for (let i = 0; i < n; i++) {
    let c = src.peek();
    while (c === 10 || c === 13) {
      src.dropByte();
      c = src.peek();
    }
    const word = src.until(32);
    if (word === null || c < 0) throw new FormatError(`${path}: binary file ends after ${i} of ${count} vectors`);
    if (word.length > 4096) {
      throw new FormatError(`${path}: binary record ${i + 1} has no space after its word (is the file text, or its header wrong?)`);
    }
    words[i] = decoder.decode(word);
    const ok = scratch ? src.take(scratch, 0, rowBytes) : src.take(bytes, i * rowBytes, rowBytes);
    if (!ok) throw new FormatError(`${path}: binary file ends inside the vector of "${words[i]}" (record ${i + 1} of ${count})`);
    if (scratch) {
      const dv = new DataView(scratch.buffer);
      for (let k = 0; k < dim; k++) data[i * dim + k] = dv.getFloat32(k * 4, true);
    }
  }
  return new WordVectors(words, data, dim);
}

function readTextBody(
  path: string,
  src: ByteSource,
  dim: number,
  count: number,
  limit: number,
  firstRecord: string[] | null,
): WordVectors {
  const max = Math.min(count, limit);
  const words: string[] = [];
  let data = new Float32Array(Number.isFinite(max) ? max * dim : 1024 * dim);
  let lineNo = 1; // the header line, or the first record of a headerless file
  const push = (fields: string[]) => {
    const row = words.length;
    if ((row + 1) * dim > data.length) {
      const grown = new Float32Array(data.length * 2);
      grown.set(data);
      data = grown;
    }
    words.push(parseTextRecord(path, lineNo, fields, dim, data, row));
  };
  if (firstRecord && words.length < max) push(firstRecord);
  while (words.length < max) {
    const line = src.until(10);
    lineNo++;
    if (line === null) {
      if (Number.isFinite(count)) throw new FormatError(`${path}: text file ends after ${words.length} of ${count} vectors`);
      break;
    }
    const text = decoder.decode(line);
    if (text.trim() === '') {
      if (!Number.isFinite(count)) continue;
      throw new FormatError(`${path}:${lineNo}: empty line where vector ${words.length + 1} of ${count} was expected`);
    }
    push(splitFields(text));
  }
  return new WordVectors(words, data.subarray(0, words.length * dim).slice(), dim);
}

/** A buffered writer over a file descriptor. */
class ByteSink {
  private buf = new Uint8Array(1 << 20);
  private len = 0;

  constructor(private readonly fd: number) {}

  write(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) this.flush();
    if (bytes.length > this.buf.length) {
      fs.writeSync(this.fd, bytes);
      return;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  flush(): void {
    let off = 0;
    while (off < this.len) off += fs.writeSync(this.fd, this.buf, off, this.len - off);
    this.len = 0;
  }
}

/** Writes vectors in word2vec.c's binary or text layout. */
export function writeVectors(path: string, vectors: WordVectors, options: WriteVectorsOptions = {}): void {
  let fd: number;
  try {
    fd = fs.openSync(path, 'w');
  } catch (err) {
    throw new TesseraError(`cannot write vectors file ${path}: ${(err as Error).message}`);
  }
  try {
    const sink = new ByteSink(fd);
    const dim = vectors.dim;
    sink.write(encoder.encode(`${vectors.size} ${dim}\n`));
    const newline = Uint8Array.of(10);
    const row = new Uint8Array(dim * 4);
    const rowView = new DataView(row.buffer);
    for (let i = 0; i < vectors.size; i++) {
      const values = vectors.data.subarray(i * dim, (i + 1) * dim);
      if (options.binary) {
        sink.write(encoder.encode(`${vectors.words[i]} `));
        for (let k = 0; k < dim; k++) rowView.setFloat32(k * 4, values[k], true);
        sink.write(row);
        sink.write(newline);
      } else {
        let line = `${vectors.words[i]} `;
        for (let k = 0; k < dim; k++) line += `${values[k].toFixed(6)} `;
        sink.write(encoder.encode(`${line}\n`));
      }
    }
    sink.flush();
  } finally {
    fs.closeSync(fd);
  }
}
