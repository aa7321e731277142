// `tessera word2vec train | similar | analogy | eval` through runCli: a small end-to-end run, and the
// one-line errors for missing files, bad option values and malformed vectors files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { progressLine } from '../../src/cli/commands/word2vec.js';
import { cliOutput } from '../../src/cli/output.js';
import { readVectors } from '../../src/models/word2vec/index.js';
import { plantedCorpus, tempDir, writeFile } from './util.js';

const dir = tempDir();
const corpus = writeFile(dir, 'corpus.txt', plantedCorpus(400));

/** Runs `tessera word2vec argv` in this process, capturing what it prints. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = { ...cliOutput };
  cliOutput.stdout = (text) => void (stdout += text);
  cliOutput.stderr = (text) => void (stderr += text);
  cliOutput.isTTY = () => false;
  try {
    return { code: await runCli(['word2vec', ...argv]), stdout, stderr };
  } finally {
    Object.assign(cliOutput, saved);
  }
}

const SMALL = ['--size', '12', '--window', '3', '--min-count', '1', '--sample', '0', '--epochs', '4', '--threads', '1'];

test('train, similar, analogy and eval end to end', async () => {
  const out = join(dir, 'vectors.bin');
  const train = await run(['train', '--corpus', corpus, '--out', out, '--sg', '--binary', '--seed', '3', ...SMALL]);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stderr, /word2vec: +100\.0%/);
  assert.match(train.stderr, /word2vec: 17 words x 12 written to .*vectors\.bin \(binary\)/);
  const vectors = readVectors(out);
  assert.equal(vectors.size, 17);

  const similar = await run(['similar', '--vectors', out, 't0w1', '--top', '3']);
  assert.equal(similar.code, 0, similar.stderr);
  const lines = similar.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  for (const line of lines) assert.match(line, /^t0w\d\t-?\d\.\d{4}$/);
  assert.ok(!similar.stdout.includes('t0w1\t'));

  const analogy = await run(['analogy', '--vectors', out, 't0w1', 't0w2', 't1w3', '--top', '2', '--method', 'mul']);
  assert.equal(analogy.code, 0, analogy.stderr);
  assert.equal(analogy.stdout.trim().split('\n').length, 2);

  const questions = writeFile(dir, 'q.txt', ': topics\nt0w1 t0w2 t1w1 t1w2\nt0w1 t0w2 t1w1 unknown\n: gram-x\nt1w0 t1w5 t0w0 t0w5\n');
  const pairs = writeFile(dir, 'pairs.tsv', 'w1\tw2\tscore\nt0w1\tt0w2\t9\nt0w1\tt1w2\t1\nt1w3\tt1w4\t8\nt0w1\tnope\t3\n');
  const ev = await run(['eval', '--vectors', out, '--questions', questions, '--similarity', pairs, '--similarity', pairs]);
  assert.equal(ev.code, 0, ev.stderr);
  const report = JSON.parse(ev.stdout) as {
    vectors: { words: number; dim: number };
    analogy: { total: { questions: number; seen: number }; sections: unknown[] };
    similarity: { used: number; oovPairs: number; spearman: number }[];
  };
  assert.deepEqual(report.vectors, { file: out, words: 17, dim: 12 });
  assert.equal(report.analogy.total.questions, 3);
  assert.equal(report.analogy.total.seen, 2);
  assert.equal(report.analogy.sections.length, 2);
  assert.equal(report.similarity.length, 2);
  assert.equal(report.similarity[0].used, 3);
  assert.equal(report.similarity[0].oovPairs, 1);
  assert.ok(report.similarity[0].spearman > 0, 'within-topic pairs are scored above the across-topic pair');
});

test('text output and CBOW + hierarchical softmax', async () => {
  const out = join(dir, 'vectors.txt');
  const r = await run(['train', '--corpus', corpus, '--out', out, '--cbow', '--hs', ...SMALL]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(fs.readFileSync(out, 'utf8'), /^17 12\n<\/s> (-?\d\.\d{6} ){12}\n/);
});

test('error lines: missing files, bad option values, malformed vectors files', async () => {
  const missing = join(dir, 'missing.txt');
  const cases: [string[], string | RegExp][] = [
    [['train', '--corpus', missing, '--out', join(dir, 'o.txt')], `tessera: --corpus: file not found: ${missing}\n`],
    [['train', '--out', join(dir, 'o.txt')], 'tessera: --corpus is required\n'],
    [['train', '--corpus', corpus], 'tessera: --out is required\n'],
    [['train', '--corpus', corpus, '--out', join(dir, 'no-dir', 'o.txt')], /^tessera: --out: directory .*no-dir does not exist\n$/],
    [['train', '--corpus', corpus, '--out', join(dir, 'o.txt'), '--size', 'big'], "tessera: --size must be an integer (got 'big')\n"],
    [['train', '--corpus', corpus, '--out', join(dir, 'o.txt'), '--window', '0'], 'tessera: --window must be at least 1 (got 0)\n'],
    [['train', '--corpus', corpus, '--out', join(dir, 'o.txt'), '--sample', '-1'], 'tessera: --sample must be at least 0 (got -1)\n'],
    [['train', '--corpus', corpus, '--out', join(dir, 'o.txt'), '--alpha', '0'], 'tessera: --alpha must be greater than 0 (got 0)\n'],
    [['train', '--corpus', corpus, '--out', join(dir, 'o.txt'), '--negative', '0'], 'tessera: --negative must be at least 1 (got 0)\n'],
    [['train', '--corpus', corpus, '--out', join(dir, 'o.txt'), '--hs', '--negative', '5'], 'tessera: choose one of --hs and --negative N\n'],
    [['train', '--corpus', corpus, '--out', join(dir, 'o.txt'), '--cbow', '--sg'], 'tessera: choose one of --cbow and --sg\n'],
    [['train', '--corpus', corpus, '--out', join(dir, 'o.txt'), '--min-count', '1000'], 'tessera: the corpus has no word seen at least min-count 1000 times\n'],
    [['similar', '--vectors', missing, 'x'], `tessera: --vectors: file not found: ${missing}\n`],
    [['similar', 'x'], 'tessera: --vectors is required\n'],
    [['eval', '--vectors', missing], 'tessera: word2vec eval needs --questions FILE and/or --similarity FILE\n'],
    [['eval', '--vectors', missing, '--questions', missing], `tessera: --questions: file not found: ${missing}\n`],
  ];
  const garbage = writeFile(dir, 'garbage.txt', 'not a vectors file\n1 2 3\n');
  cases.push([['similar', '--vectors', garbage, 'x'], `tessera: ${garbage}: the first line must be the header "<words> <dims>", got "not a vectors file"\n`]);
  const truncated = writeFile(dir, 'truncated.txt', '3 2\na 0.1 0.2\nb 0.3\n');
  cases.push([['similar', '--vectors', truncated, 'a'], `tessera: ${truncated}:3: expected a word and 2 values, got 1 values\n`]);
  const good = join(dir, 'good.txt');
  writeFile(dir, 'good.txt', '2 2\na 0.1 0.2\nb 0.3 0.4\n');
  cases.push([['similar', '--vectors', good, 'zzz'], 'tessera: word "zzz" is not in the vocabulary\n']);
  cases.push([['similar', '--vectors', good, 'a', '--top', '0'], 'tessera: --top must be at least 1 (got 0)\n']);
  cases.push([['analogy', '--vectors', good, 'a', 'b', 'a', '--method', 'div'], "tessera: --method must be add or mul (got 'div')\n"]);
  for (const [argv, expected] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 1, argv.join(' '));
    if (typeof expected === 'string') assert.equal(r.stderr, expected, argv.join(' '));
    else assert.match(r.stderr, expected, argv.join(' '));
  }
});

test('progress line: percent, words, words/s per thread, alpha, ETA', () => {
  const line = progressLine({ wordsDone: 1_250_000, totalWords: 5_000_000, wordsPerSec: 400_000, alpha: 0.0187, etaSec: 9.4 }, 4);
  assert.equal(line, 'word2vec:  25.0%  1.25M/5.00M words  400.0k words/s (100.0k/thread)  alpha 0.018700  ETA 0:09');
});
