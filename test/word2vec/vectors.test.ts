// Queries on planted vectors: cosine similarity, most-similar without the query words, and analogies by
// 3CosAdd and 3CosMul.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COSMUL_EPSILON, WordVectors } from '../../src/models/word2vec/index.js';

// Axes: royal, male, female, fruit. king = royal + male, queen = royal + female, ...
const planted: Record<string, number[]> = {
  king: [1, 1, 0, 0],
  queen: [1, 0, 1, 0],
  man: [0, 1, 0, 0.1],
  woman: [0, 0, 1, 0.1],
  prince: [0.8, 1, 0, 0.1],
  apple: [0, 0, 0, 1],
  pear: [0.1, 0, 0.05, 1],
};
const words = Object.keys(planted);
const vectors = new WordVectors(words, Float32Array.from(words.flatMap((w) => planted[w])), 4);

function cos(a: number[], b: number[]): number {
  const d = a.reduce((s, x, i) => s + x * b[i], 0);
  return d / Math.hypot(...a) / Math.hypot(...b);
}

test('similarity is the cosine', () => {
  assert.ok(Math.abs(vectors.similarity('king', 'queen') - 0.5) < 1e-6);
  assert.ok(Math.abs(vectors.similarity('apple', 'pear') - cos(planted.apple, planted.pear)) < 1e-6);
  assert.throws(() => vectors.similarity('king', 'emperor'), /word "emperor" is not in the vocabulary/);
});

test('most-similar ranks by cosine and never returns a query word', () => {
  const top = vectors.mostSimilar('king', [], { topN: 3 });
  // cosines with king: prince 0.95, man 0.70, queen 0.5
  assert.deepEqual(top.map((r) => r.word), ['prince', 'man', 'queen']);
  assert.ok(Math.abs(top[0].score - cos(planted.king, planted.prince)) < 1e-6);
  const all = vectors.mostSimilar(['apple'], [], { topN: 100 });
  assert.equal(all.length, words.length - 1);
  assert.ok(!all.some((r) => r.word === 'apple'));
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].score >= all[i].score);
  // restricted to the first 3 rows (king, queen, man)
  assert.deepEqual(vectors.mostSimilar('king', [], { restrictVocab: 3 }).map((r) => r.word), ['man', 'queen']);
});

test('3CosAdd: man is to king as woman is to queen (b - a + c over unit vectors)', () => {
  const add = vectors.analogy('man', 'king', 'woman', { topN: 2 });
  assert.equal(add[0].word, 'queen');
  assert.ok(!add.some((r) => ['man', 'king', 'woman'].includes(r.word)));
  // the score is the cosine with normalize(unit(king) - unit(man) + unit(woman))
  const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
  const [k, m, w] = [unit(planted.king), unit(planted.man), unit(planted.woman)];
  const q = k.map((x, i) => x - m[i] + w[i]);
  assert.ok(Math.abs(add[0].score - cos(q, planted.queen)) < 1e-6);
});

test('3CosMul: argmax (1+cos(d,b))/2 * (1+cos(d,c))/2 / ((1+cos(d,a))/2 + eps)', () => {
  const mul = vectors.analogy('man', 'king', 'woman', { method: 'mul', topN: 3 });
  assert.equal(mul[0].word, 'queen');
  const shifted = (a: string, b: string) => (1 + cos(planted[a], planted[b])) / 2;
  const expected = (shifted('queen', 'king') * shifted('queen', 'woman')) / (shifted('queen', 'man') + COSMUL_EPSILON);
  assert.ok(Math.abs(mul[0].score - expected) < 1e-5);
  assert.ok(!mul.some((r) => ['man', 'king', 'woman'].includes(r.word)));
  assert.throws(() => vectors.analogy('man', 'king', 'woman', { method: 'div' as 'add' }), /method must be 'add' or 'mul'/);
});
