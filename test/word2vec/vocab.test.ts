// Corpus reading (word2vec.c's ReadWord rules, streamed through small buffers), vocabulary counting and
// ordering, max-vocab pruning, the subsampling formula and the unigram^0.75 table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CorpusReader,
  Token,
  Vocab,
  buildUnigramRuns,
  buildUnigramTable,
  openCorpus,
  unigramAt,
  subsampleThresholds,
} from '../../src/models/word2vec/index.js';
import { tempDir, testRandom, writeFile } from './util.js';

const dir = tempDir();
const decoder = new TextDecoder();

function tokens(path: string, bufferBytes: number, start = 0): string[] {
  const reader = new CorpusReader(openCorpus(path), bufferBytes);
  reader.seek(start);
  const out: string[] = [];
  try {
    for (;;) {
      const t = reader.next();
      if (t === Token.End) return out;
      out.push(t === Token.Newline ? '</s>' : decoder.decode(reader.word.subarray(0, reader.wordLength)));
    }
  } finally {
    reader.close();
  }
}

test('tokens: spaces and tabs split, every newline is </s>, \\r is dropped, a last word without separator is not read', () => {
  const p = writeFile(dir, 'tokens.txt', 'the cat\tsat\n\n  on a\r\nma\rt  \nend');
  const expected = ['the', 'cat', 'sat', '</s>', '</s>', 'on', 'a', '</s>', 'mat', '</s>'];
  for (const size of [16, 17, 19, 1 << 20]) assert.deepEqual(tokens(p, size), expected, `buffer ${size}`);
});

test('tokens: words are cut to 98 bytes; a seek can land inside a word', () => {
  const long = 'x'.repeat(150);
  const p = writeFile(dir, 'long.txt', `${long} short\n`);
  assert.deepEqual(tokens(p, 16), ['x'.repeat(98), 'short', '</s>']);
  const q = writeFile(dir, 'seek.txt', 'alpha beta\n');
  assert.deepEqual(tokens(q, 16, 2), ['pha', 'beta', '</s>']);
});

test('vocabulary: </s> first (counted per newline), then by count, ties in first-seen order, min-count applied', () => {
  const p = writeFile(dir, 'vocab.txt', 'b a c a\nd b a\nc e e\n');
  const vocab = Vocab.fromFile(p, { minCount: 2 });
  assert.deepEqual(vocab.words, ['</s>', 'a', 'b', 'c', 'e']);
  assert.deepEqual([...vocab.counts], [3, 3, 2, 2, 2]);
  assert.equal(vocab.trainWords, 12); // d (count 1) is gone; </s> counts
  assert.equal(vocab.indexOf('c'), 3);
  assert.equal(vocab.indexOf('d'), -1);
  // minCount 1 keeps d, after the ties of count 2
  assert.deepEqual(Vocab.fromFile(p, { minCount: 1 }).words, ['</s>', 'a', 'b', 'c', 'e', 'd']);
});

test('vocabulary: utf-8 words; the literal token </s> is the sentence end', () => {
  const p = writeFile(dir, 'utf8.txt', 'café naïve café\n</s> 東京 東京\n');
  const vocab = Vocab.fromFile(p, { minCount: 1 });
  assert.deepEqual(vocab.words, ['</s>', 'café', '東京', 'naïve']);
  assert.deepEqual([...vocab.counts], [3, 2, 2, 1]);
});

test('max-vocab pruning while counting drops words seen at most min_reduce times (ReduceVocab)', () => {
  // After "a b c" the table holds </s> a b c (4 > 3): words seen once go, min_reduce becomes 2.
  const p = writeFile(dir, 'prune.txt', 'a a b c a d d d d\n');
  const vocab = Vocab.fromFile(p, { minCount: 1, maxVocabSize: 3 });
  assert.deepEqual(vocab.words, ['</s>', 'd', 'a']);
  assert.deepEqual([...vocab.counts], [1, 4, 3]);
});

test('a corpus with no word at min-count, and a missing corpus, are one-line errors', () => {
  const p = writeFile(dir, 'rare.txt', 'a b c\n');
  assert.throws(() => Vocab.fromFile(p, { minCount: 5 }), /no word seen at least min-count 5 times/);
  assert.throws(() => Vocab.fromFile(`${dir}/nope.txt`), /corpus file not found: .*nope\.txt/);
});

test('subsampling threshold: (sqrt(f / (t N)) + 1) (t N) / f', () => {
  const counts = Float64Array.from([10, 1000, 50, 1]);
  const n = 1061;
  const t = 1e-3;
  const keep = subsampleThresholds(counts, n, t);
  const tn = t * n; // 1.061
  for (const w of [1, 2, 3]) {
    const f = counts[w];
    assert.ok(Math.abs(keep[w] - (Math.sqrt(f / tn) + 1) * (tn / f)) < 1e-6 * keep[w]);
  }
  // count 1000: (sqrt(942.5) + 1) * 0.001061 = 0.0336; count 1: above 1, always kept
  assert.ok(Math.abs(keep[1] - 0.03363) < 1e-4);
  assert.ok(keep[3] > 1);
  assert.ok(subsampleThresholds(counts, n, 0).every((k) => k === Infinity));
});

test('unigram table: word w fills a share count^0.75 / sum count^0.75', () => {
  const counts = Float64Array.from([1, 16, 81, 256]); // ^0.75: 1, 8, 27, 64 (sum 100)
  const table = buildUnigramTable(counts, 100_000);
  const seen = [0, 0, 0, 0];
  for (const id of table) seen[id]++;
  const expected = [1000, 8000, 27000, 64000];
  for (let w = 0; w < 4; w++) assert.ok(Math.abs(seen[w] - expected[w]) <= 2, `word ${w}: ${seen[w]}`);
  for (let i = 1; i < table.length; i++) assert.ok(table[i] >= table[i - 1], 'ids fill the table in order');
});

test('the unigram table held as runs gives the entry of the filled table at every index', () => {
  const rand = testRandom(5);
  const cases: [string, Float64Array, number][] = [
    ['zipf', Float64Array.from({ length: 300 }, (_, i) => Math.floor(5000 / (i + 1)) + 5), 100_000],
    ['</s> with count 0', Float64Array.from([0, 5, 3, 1]), 1000],
    // shares far below 1 / size: the C loop moves one word per index and never reaches the last words
    ['tiny shares', Float64Array.from([1e6, ...Array.from({ length: 500 }, () => 1)]), 1000],
    ['random', Float64Array.from({ length: 2000 }, () => 1 + Math.floor(rand() ** 4 * 1e5)).sort((a, b) => b - a), 1_000_000],
  ];
  for (const [name, counts, size] of cases) {
    const table = buildUnigramTable(counts, size);
    const runs = buildUnigramRuns(counts, size);
    for (let x = 0; x < size; x++) {
      if (unigramAt(runs, x) !== table[x]) assert.fail(`${name}: index ${x} gives ${unigramAt(runs, x)}, the table ${table[x]}`);
    }
  }
});
