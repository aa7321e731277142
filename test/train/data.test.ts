// Training data: reading corpora (one-line errors), the train/validation split, the seeded resumable
// sampler, LM batches and the character corpus.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/index.js';
import { CharCorpus, SeededRandom, WindowSampler, LmBatchSource, lmEvalBatches, lmFullPass, readTextCorpus, sequentialWindows, splitTrainVal } from '../../src/data/index.js';

describe('readTextCorpus', () => {
  it('reads UTF-8 text (dropping a BOM) and fails with one line on bad files', () => {
    const d = mkdtempSync(join(tmpdir(), 'tessera-data-'));
    try {
      writeFileSync(join(d, 'a.txt'), '\ufeffhello\n');
      assert.equal(readTextCorpus(join(d, 'a.txt')), 'hello\n');
      assert.throws(() => readTextCorpus(join(d, 'missing.txt')), /missing\.txt: no such file$/);
      mkdirSync(join(d, 'dir'));
      assert.throws(() => readTextCorpus(join(d, 'dir')), /dir: not a file$/);
      writeFileSync(join(d, 'empty.txt'), '');
      assert.throws(() => readTextCorpus(join(d, 'empty.txt')), /empty\.txt: the text file is empty$/);
      writeFileSync(join(d, 'bin.txt'), Buffer.from([0x66, 0xff, 0xfe, 0x00]));
      assert.throws(() => readTextCorpus(join(d, 'bin.txt')), /bin\.txt: not UTF-8 text$/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('splitTrainVal', () => {
  it('keeps the head for training and the tail for validation', () => {
    const ids = Int32Array.from({ length: 10 }, (_, i) => i);
    const { train, val } = splitTrainVal(ids, 0.2);
    assert.deepEqual(Array.from(train), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(Array.from(val), [8, 9]);
    assert.throws(() => splitTrainVal(ids, 1), /validation fraction must be in \[0, 1\), got 1/);
  });
});

describe('SeededRandom and WindowSampler', () => {
  it('is reproducible from a seed and from a saved state', () => {
    const a = new SeededRandom(42), b = new SeededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    assert.deepEqual(Array.from({ length: 5 }, () => b.nextUint32()), xs);
    assert.notDeepEqual(Array.from({ length: 5 }, () => new SeededRandom(43).nextUint32()), xs);
    const saved = a.state();
    const after = [a.nextInt(7), a.nextInt(7), a.nextFloat()];
    const c = SeededRandom.fromState(saved);
    assert.deepEqual([c.nextInt(7), c.nextInt(7), c.nextFloat()], after);
    assert.throws(() => SeededRandom.fromState([1, 2]), /four 32-bit unsigned integers/);
  });

  it('draws offsets in range, uniformly enough, and resumes at the same position', () => {
    const s = new WindowSampler({ length: 20, window: 5, batchSize: 4, seed: 1 });
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 2000; i++) for (const o of s.next()) counts[o]!++;
    assert.ok(counts.every((c) => c > 350 && c < 650), counts.join(','));
    const state = s.state();
    assert.equal(state.drawn, 2000);
    const next = Array.from(s.next());
    const t = new WindowSampler({ length: 20, window: 5, batchSize: 4, seed: 999 });
    t.setState(state);
    assert.deepEqual(Array.from(t.next()), next);
    assert.throws(() => new WindowSampler({ length: 3, window: 5, batchSize: 1, seed: 1 }), /the text has 3 tokens, fewer than one window of 5/);
    assert.throws(() => new WindowSampler({ length: 30, window: 5, batchSize: 0, seed: 1 }), /batchSize must be a positive integer, got 0/);
  });

  it('sequential windows cover the stream without overlap', () => {
    assert.deepEqual([...sequentialWindows(23, 5, 3)].map((b) => Array.from(b)), [[0, 5, 10], [15]]);
  });
});

describe('LM batches', () => {
  it('cut (B, T) int64 windows whose labels are the inputs', () => {
    const ids = Int32Array.from({ length: 50 }, (_, i) => i);
    const src = new LmBatchSource(ids, { window: 6, batchSize: 3, seed: 3, device: 'cpu-js' });
    const b = src.next();
    assert.deepEqual(b.inputIds.shape, [3, 6]);
    assert.equal(b.inputIds.dtype, 'int64');
    assert.equal(b.tokens, 15);
    for (const row of b.inputIds.toList() as number[][]) assert.deepEqual(row, row.map((_, t) => row[0]! + t));
    assert.equal(b.labels, b.inputIds);
    const evalA = [...lmEvalBatches(ids, { window: 6, batchSize: 2, seed: 5, count: 3, device: 'cpu-js' })].map((x) => x.inputIds.toList());
    const evalB = [...lmEvalBatches(ids, { window: 6, batchSize: 2, seed: 5, count: 3, device: 'cpu-js' })].map((x) => x.inputIds.toList());
    assert.deepEqual(evalA, evalB);
    const full = [...lmFullPass(ids, 10, 2, 'cpu-js')];
    assert.deepEqual(full.map((x) => x.inputIds.shape[0]), [2, 2, 1]);
  });
});

describe('CharCorpus', () => {
  it('builds the sorted character vocabulary and splits 90/10', () => {
    const text = 'abcab\nba c!'.repeat(10);
    const c = CharCorpus.fromText(text);
    assert.deepEqual(c.tokenizer.vocabulary, ['\n', ' ', '!', 'a', 'b', 'c']);
    assert.equal(c.vocabSize, 6);
    assert.equal(c.ids.length, text.length);
    assert.equal(c.train.length, Math.floor(text.length * 0.9));
    assert.equal(c.train.length + c.val.length, text.length);
    assert.equal(c.tokenizer.decode(Array.from(c.ids.subarray(0, 6))), 'abcab\n');
  });
});
