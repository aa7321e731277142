// Evaluation: analogy accuracy per section and in total (restricted vocabulary, case-insensitive, as
// compute-accuracy), Spearman correlation against a hand example, word-pair files in the usual layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  WordVectors,
  evaluateAnalogies,
  evaluateAnalogyFile,
  evaluateWordPairs,
  evaluateWordPairsFile,
  pearson,
  spearman,
} from '../../src/models/word2vec/index.js';
import { tempDir, writeFile } from './util.js';

const dir = tempDir();

/** Rows built from named axes: e.g. greece = athens axis + country axis. */
function planted(): WordVectors {
  const axes = ['athens', 'berlin', 'paris', 'country', 'quick', 'slow', 'ly', 'boy', 'female', 'brother', 'calm'];
  const rows: [string, Record<string, number>][] = [
    ['athens', { athens: 1 }],
    ['greece', { athens: 1, country: 1 }],
    ['berlin', { berlin: 1 }],
    ['germany', { berlin: 1, country: 1 }],
    ['paris', { paris: 1 }],
    ['France', { paris: 1, country: 1 }], // capitalised in the vocabulary: questions match it case-insensitively
    ['quick', { quick: 1 }],
    ['quickly', { quick: 1, ly: 1 }],
    ['slow', { slow: 1 }],
    ['slowly', { slow: 1, ly: 1 }],
    ['boy', { boy: 1 }],
    ['girl', { boy: 1, female: 1 }],
    ['brother', { brother: 1 }],
    ['sister', { brother: -1 }], // planted wrong: brother + female is nobody
    ['calm', { calm: 1 }], // rows 15 and 16: outside a restriction to 14 words
    ['calmly', { calm: 1, ly: 1 }],
  ];
  const data = new Float32Array(rows.length * axes.length);
  rows.forEach(([, r], i) => {
    for (const [axis, v] of Object.entries(r)) data[i * axes.length + axes.indexOf(axis)] = v;
  });
  return new WordVectors(rows.map(([w]) => w), data, axes.length);
}

const QUESTIONS = `: capital-common-countries
athens greece berlin germany
ATHENS GREECE PARIS FRANCE
athens greece oslo norway
: family
boy girl brother sister
: gram1-adjective-to-adverb
quick quickly slow slowly
quick quickly calm calmly
`;

test('analogy accuracy per section, semantic / syntactic / total, over the first N words', () => {
  const vectors = planted();
  const r = evaluateAnalogies(vectors, QUESTIONS, { restrictVocab: 14 });
  assert.deepEqual(
    r.sections.map((s) => [s.section, s.correct, s.seen, s.questions]),
    [
      ['capital-common-countries', 2, 2, 3], // oslo/norway unknown: not seen
      ['family', 0, 1, 1],
      ['gram1-adjective-to-adverb', 1, 1, 2], // calm/calmly are rows 15-16: outside the 14
    ],
  );
  assert.deepEqual([r.semantic.correct, r.semantic.seen, r.semantic.questions], [2, 3, 4]);
  assert.deepEqual([r.syntactic.correct, r.syntactic.seen, r.syntactic.questions], [1, 1, 2]);
  assert.deepEqual([r.total.correct, r.total.seen, r.total.questions], [3, 4, 6]);
  assert.equal(r.total.accuracy, 0.75);
  assert.equal(r.restrictVocab, 14);
  // with all 16 words, calm : calmly is seen and right
  const all = evaluateAnalogies(vectors, QUESTIONS, { restrictVocab: 30000 });
  assert.deepEqual([all.total.correct, all.total.seen], [4, 5]);
  // 3CosMul agrees on these
  const mul = evaluateAnalogies(vectors, QUESTIONS, { restrictVocab: 30000, method: 'mul' });
  assert.deepEqual([mul.total.correct, mul.total.seen], [4, 5]);
  // case-sensitive: ATHENS GREECE PARIS FRANCE is no longer seen
  assert.equal(evaluateAnalogies(vectors, QUESTIONS, { caseInsensitive: false }).total.seen, 4);
});

test('analogy files: a malformed line and a missing file are one-line errors', () => {
  const vectors = planted();
  const bad = writeFile(dir, 'bad-questions.txt', ': s\nathens greece berlin\n');
  assert.throws(() => evaluateAnalogyFile(vectors, bad), /bad-questions\.txt:2: expected 4 words or ": section"/);
  assert.throws(() => evaluateAnalogyFile(vectors, `${dir}/none.txt`), /questions file not found/);
  const good = writeFile(dir, 'questions.txt', QUESTIONS);
  assert.equal(evaluateAnalogyFile(vectors, good).total.correct, 4);
});

test('Spearman: Pearson of tie-averaged ranks (hand example)', () => {
  // y ranks: 5->1, 6->2, 7->3.5, 8->5, 7->3.5; x ranks 1..5 (mean 3).
  // dx = -2 -1 0 1 2; dy = -2 -1 0.5 2 0.5; sum dx*dy = 8, sum dx^2 = 10, sum dy^2 = 9.5
  const rho = spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]);
  assert.ok(rho !== null && Math.abs(rho - 8 / Math.sqrt(95)) < 1e-12);
  assert.equal(spearman([1, 2, 3], [3, 2, 1]), -1);
  assert.equal(spearman([1], [2]), null);
  assert.equal(pearson([1, 2, 3], [2, 4, 6]), 1);
});

test('word pairs: tab with comments and header, comma CSV (WordSim353), SimLex columns; OOV counted', () => {
  const vectors = planted();
  // model cosines: athens-greece 0.707, germany-greece 0.5, quick-quickly 0.707, boy-brother 0
  const tsv = '# wordsim-like\nword1\tword2\tscore\nathens\tgreece\t9\ngreece\tgermany\t6\nboy\tbrother\t1\nboy\tzebra\t5\nQuick\tquickly\t8.5\n';
  const r = evaluateWordPairs(vectors, tsv);
  assert.equal(r.pairs, 5);
  assert.equal(r.used, 4);
  assert.equal(r.oovPairs, 1);
  assert.equal(r.oovWords, 1);
  assert.equal(r.oovRatio, 0.2);
  assert.equal(r.skippedLines, 2);
  // human 9, 6, 1, 8.5 vs model 0.707, 0.5, 0, 0.707: ranks (4, 2, 1, 3) vs (3.5, 2, 1, 3.5)
  assert.ok(r.spearman !== null && Math.abs(r.spearman - spearman([9, 6, 1, 8.5], [0.707, 0.5, 0, 0.707])!) < 1e-9);
  const csv = writeFile(dir, 'combined.csv', 'Word 1,Word 2,Human (mean)\nathens,greece,9\ngreece,germany,6\nboy,brother,1\n');
  assert.equal(evaluateWordPairsFile(vectors, csv).spearman, 1);
  const simlex = writeFile(
    dir,
    'SimLex-999.txt',
    'word1\tword2\tPOS\tSimLex999\tconc(w1)\nathens\tgreece\tN\t9.1\t4.5\ngreece\tgermany\tN\t6.2\t4.1\nboy\tbrother\tN\t1.3\t4.8\n',
  );
  const s = evaluateWordPairsFile(vectors, simlex);
  assert.equal(s.used, 3);
  assert.equal(s.spearman, 1);
  assert.throws(() => evaluateWordPairsFile(vectors, writeFile(dir, 'empty.tsv', 'just a header\n')), /no "word1 word2 score" line found/);
});
