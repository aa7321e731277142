// Vector files: binary and text round trips, files laid out byte by byte as word2vec.c and gensim write
// them, headerless text, limits, and one-line errors for malformed files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FormatError, TesseraError } from '../../src/errors.js';
import { WordVectors, readVectors, writeVectors } from '../../src/models/word2vec/index.js';
import { tempDir, writeFile } from './util.js';

const dir = tempDir();
const enc = new TextEncoder();

function f32le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const sample = new WordVectors(
  ['</s>', 'the', 'café', '東京'],
  Float32Array.from([0.1, -0.2, 0.3, 1.5, -2.25, 1e-3, 0.123456789, -0.987654321, 42, 1e-8, -1e-8, 0]),
  3,
);

test('binary round trip is exact; text round trip is within %f rounding', () => {
  const bin = `${dir}/rt.bin`;
  writeVectors(bin, sample, { binary: true });
  const a = readVectors(bin);
  assert.deepEqual(a.words, sample.words);
  assert.deepEqual([...a.data], [...sample.data]);
  const txt = `${dir}/rt.txt`;
  writeVectors(txt, sample);
  const b = readVectors(txt);
  assert.deepEqual(b.words, sample.words);
  for (let i = 0; i < sample.data.length; i++) assert.ok(Math.abs(b.data[i] - sample.data[i]) <= 5e-7);
  assert.equal(readVectors(txt, { format: 'text' }).size, 4);
  assert.equal(readVectors(bin, { format: 'binary' }).size, 4);
});

test("the text layout is word2vec.c's: header, then each value as %f followed by a space", () => {
  const txt = `${dir}/layout.txt`;
  writeVectors(txt, new WordVectors(['a', 'b'], Float32Array.from([0.5, -0.25, 1, 0.0000004]), 2));
  assert.equal(fs.readFileSync(txt, 'utf8'), '2 2\na 0.500000 -0.250000 \nb 1.000000 0.000000 \n');
});

test("reads a binary file laid out byte by byte as word2vec.c writes it (word, space, floats, newline)", () => {
  const bytes = concat([
    enc.encode('3 2\n'),
    enc.encode('</s> '), f32le([0.5, -1]), enc.encode('\n'),
    enc.encode('king '), f32le([0.25, 2]), enc.encode('\n'),
    enc.encode('naïve '), f32le([-3, 0.125]), enc.encode('\n'),
  ]);
  const p = writeFile(dir, 'c.bin', bytes);
  const v = readVectors(p);
  assert.deepEqual(v.words, ['</s>', 'king', 'naïve']);
  assert.deepEqual([...v.data], [0.5, -1, 0.25, 2, -3, 0.125]);
  // and Tessera writes exactly those bytes
  writeVectors(`${dir}/c-again.bin`, v, { binary: true });
  assert.deepEqual(new Uint8Array(fs.readFileSync(`${dir}/c-again.bin`)), bytes);
});

test('reads gensim files: binary without the newline after each vector, text with repr values', () => {
  const bin = writeFile(
    dir,
    'gensim.bin',
    concat([enc.encode('2 3\n'), enc.encode('hello '), f32le([1, 2, 3]), enc.encode('world '), f32le([-1, 0.5, 0.25])]),
  );
  const a = readVectors(bin);
  assert.deepEqual(a.words, ['hello', 'world']);
  assert.deepEqual([...a.data], [1, 2, 3, -1, 0.5, 0.25]);
  const txt = writeFile(dir, 'gensim.txt', '2 3\nhello 0.1 -0.2 3.5e-05\nworld 1.0 2.0 -3.0\n');
  const b = readVectors(txt);
  assert.deepEqual(b.words, ['hello', 'world']);
  assert.ok(Math.abs(b.data[2] - 3.5e-5) < 1e-12);
});

test('reads a headerless text file (GloVe style) and honours limit', () => {
  const p = writeFile(dir, 'glove.txt', 'the 0.1 0.2\nof 0.3 0.4\nand 0.5 0.6\n');
  const v = readVectors(p);
  assert.equal(v.dim, 2);
  assert.deepEqual(v.words, ['the', 'of', 'and']);
  assert.deepEqual(readVectors(p, { limit: 2 }).words, ['the', 'of']);
  const bin = `${dir}/limit.bin`;
  writeVectors(bin, sample, { binary: true });
  assert.deepEqual(readVectors(bin, { limit: 2 }).words, ['</s>', 'the']);
});

test('malformed and missing files are one-line errors naming the file', () => {
  assert.throws(() => readVectors(`${dir}/missing.bin`), (e: unknown) => e instanceof TesseraError && /vectors file not found: .*missing\.bin/.test(e.message));
  const cases: [string, string | Uint8Array, RegExp][] = [
    ['empty.txt', '', /empty vectors file/],
    ['header.txt', 'hello world\nfoo\n', /first line must be the header/],
    ['short-text.txt', '3 2\na 0.1 0.2\nb 0.3 0.4\n', /text file ends after 2 of 3 vectors/],
    ['count.txt', '2 3\na 0.1 0.2 0.3\nb 0.3 0.4\n', /count\.txt:3: expected a word and 3 values, got 2 values/],
    ['nan.txt', '1 2\na 0.1 zebra\n', /nan\.txt:2: value 2 of "a" is not a number/],
    ['short.bin', concat([enc.encode('2 2\nab '), f32le([1, 2]), enc.encode('\ncd '), new Uint8Array([1, 2])]), /inside the vector of "cd"/],
  ];
  for (const [name, content, re] of cases) {
    const p = writeFile(dir, name, content);
    assert.throws(() => readVectors(p), (e: unknown) => e instanceof FormatError && re.test(e.message) && !e.message.includes('\n'), name);
  }
});
