// One update step of each of the four variants (CBOW / skip-gram x negative sampling / hierarchical
// softmax) against the same step worked out by hand below, on both the TypeScript and the SIMD row ops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EXP_TABLE,
  Lcg,
  TrainingKernel,
  buildHuffmanTree,
  buildUnigramRuns,
  jsRowOps,
  simdRowOps,
  unigramRunsFromTable,
  type HuffmanTree,
  type KernelModel,
  type RowOps,
} from '../../src/models/word2vec/index.js';
import { allocateModel } from '../../src/models/word2vec/memory.js';
import { instantiateSimd } from '../../src/models/word2vec/simd.js';

type Vec = [number, number];

/** word2vec.c's sigmoid: its table at index trunc((f + 6) * 83), entry i being sigmoid((i / 1000 * 2 - 1) * 6). */
function tableSigmoid(f: number): number {
  const i = Math.trunc((f + 6) * 83);
  const x = (i / 1000 * 2 - 1) * 6;
  return 1 / (1 + Math.exp(-x));
}
const dot = (a: Vec, b: Vec) => a[0] * b[0] + a[1] * b[1];
const axpy = (y: Vec, g: number, x: Vec): Vec => [y[0] + g * x[0], y[1] + g * x[1]];

const ALPHA = 0.1;
const SYN0: Vec[] = [[0, 0], [0.1, 0.2], [0.3, -0.1], [-0.2, 0.4]];
const SYN1NEG: Vec[] = [[0, 0], [0.05, -0.05], [0.2, 0.1], [-0.1, 0.3]];
// Inner nodes of the Huffman tree of counts 4 3 2 1 (see huffman.test.ts): word 2 = code 1 0 1 via rows 2 1 0.
const SYN1: Vec[] = [[0.1, 0.1], [-0.2, 0.05], [0.3, 0.2]];
const HUFFMAN: HuffmanTree = {
  maxLength: 3,
  lengths: Uint8Array.from([1, 2, 3, 3]),
  codes: Uint8Array.from([0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0]),
  points: Int32Array.from([2, 0, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0]),
};

interface Setup {
  model: KernelModel;
  kernel: TrainingKernel;
}

/** A model holding the rows above, laid out as training lays it out (in the SIMD memory with `simd`). */
function setup(opts: { cbow: boolean; hs: boolean; simd: boolean; unigram?: number[]; syn0?: Vec[]; syn1neg?: Vec[]; syn1?: Vec[] }): Setup {
  const syn0 = opts.syn0 ?? SYN0;
  const vocabSize = syn0.length;
  const mem = allocateModel(
    { vocabSize, dim: 2, hs: opts.hs, negative: opts.hs ? 0 : 1, window: 1, threads: 1, simd: opts.simd },
    opts.hs ? HUFFMAN : null,
  );
  assert.equal(mem.memory !== null, opts.simd, 'WebAssembly SIMD is available on Node 20');
  const ops: RowOps = mem.memory ? simdRowOps(instantiateSimd(mem.memory)!, mem.expTable) : jsRowOps;
  const fill = (target: Float32Array | null, rows: Vec[]) => rows.forEach((r, i) => target!.set(r, i * 2));
  fill(mem.syn0, syn0);
  if (opts.hs) fill(mem.syn1, opts.syn1 ?? SYN1);
  else fill(mem.syn1neg, opts.syn1neg ?? SYN1NEG);
  const model: KernelModel = {
    dim: 2,
    vocabSize,
    syn0: mem.syn0,
    syn1: mem.syn1,
    syn1neg: mem.syn1neg,
    huffman: mem.huffman,
    unigram: opts.hs ? null : unigramRunsFromTable(Int32Array.from(opts.unigram ?? [1]), vocabSize),
    negative: opts.hs ? 0 : 1,
    window: 1,
    cbow: opts.cbow,
  };
  const kernel = new TrainingKernel(model, new Lcg(0, 0), ops, mem.scratch[0]);
  return { model, kernel };
}

function rows(a: Float32Array | null, n: number): Vec[] {
  assert.ok(a);
  return Array.from({ length: n }, (_, i) => [a[2 * i], a[2 * i + 1]] as Vec);
}

function assertRows(actual: Vec[], expected: Vec[], what: string): void {
  for (let i = 0; i < expected.length; i++) {
    for (let k = 0; k < 2; k++) {
      assert.ok(Math.abs(actual[i][k] - expected[i][k]) < 1e-6, `${what}[${i}][${k}]: ${actual[i][k]} vs ${expected[i][k]}`);
    }
  }
}

const SENTENCE = Int32Array.from([1, 2, 3]); // train position 1: middle word 2, context words 1 and 3

for (const simd of [false, true]) {
  const tag = simd ? 'simd' : 'ts';

  test(`[${tag}] the sigmoid table is word2vec.c's`, () => {
    for (const f of [-5.99, -1, -0.004, 0, 0.04, 2.5, 5.99]) {
      assert.ok(Math.abs(EXP_TABLE[Math.trunc((f + 6) * 83)] - tableSigmoid(f)) < 1e-7);
    }
  });

  test(`[${tag}] skip-gram + negative sampling: one step by hand`, () => {
    const { model, kernel } = setup({ cbow: false, hs: false, simd });
    kernel.trainPosition(SENTENCE, 3, 1, ALPHA); // window 1: shrink b = next % 1 = 0; the negative is always word 1
    const out = SYN1NEG.map((r) => [...r] as Vec);
    const in0 = SYN0.map((r) => [...r] as Vec);
    for (const ctx of [1, 3]) {
      const h = in0[ctx];
      let e: Vec = [0, 0];
      // positive: target 2, label 1
      let g = (1 - tableSigmoid(dot(h, out[2]))) * ALPHA;
      e = axpy(e, g, out[2]);
      out[2] = axpy(out[2], g, h);
      // negative: target 1, label 0
      g = (0 - tableSigmoid(dot(h, out[1]))) * ALPHA;
      e = axpy(e, g, out[1]);
      out[1] = axpy(out[1], g, h);
      in0[ctx] = axpy(h, 1, e);
    }
    assertRows(rows(model.syn0, 4), in0, 'syn0');
    assertRows(rows(model.syn1neg, 4), out, 'syn1neg');
    // The numbers of the first update: f = 0.1*0.2 + 0.2*0.1 = 0.04, table index trunc(6.04 * 83) = 501,
    // x = (501 / 1000 * 2 - 1) * 6 = 0.012, sigmoid 0.503, g = (1 - 0.503) * 0.1 = 0.0497 (the exact
    // sigmoid(0.04) would give 0.0490: the table's 83 in place of 83.33 shifts it, as in word2vec.c).
    assert.ok(Math.abs((1 - tableSigmoid(0.04)) * ALPHA - 0.0497) < 1e-4);
  });

  test(`[${tag}] CBOW + negative sampling: one step by hand`, () => {
    const { model, kernel } = setup({ cbow: true, hs: false, simd });
    kernel.trainPosition(SENTENCE, 3, 1, ALPHA);
    const out = SYN1NEG.map((r) => [...r] as Vec);
    const h: Vec = [(SYN0[1][0] + SYN0[3][0]) / 2, (SYN0[1][1] + SYN0[3][1]) / 2]; // mean = (-0.05, 0.3)
    let e: Vec = [0, 0];
    let g = (1 - tableSigmoid(dot(h, out[2]))) * ALPHA;
    e = axpy(e, g, out[2]);
    out[2] = axpy(out[2], g, h);
    g = (0 - tableSigmoid(dot(h, out[1]))) * ALPHA;
    e = axpy(e, g, out[1]);
    out[1] = axpy(out[1], g, h);
    const in0 = SYN0.map((r) => [...r] as Vec);
    in0[1] = axpy(in0[1], 1, e); // every context word gets the whole error (cbow_mean=1)
    in0[3] = axpy(in0[3], 1, e);
    assertRows(rows(model.syn0, 4), in0, 'syn0');
    assertRows(rows(model.syn1neg, 4), out, 'syn1neg');
  });

  test(`[${tag}] skip-gram + hierarchical softmax: one step by hand`, () => {
    const { model, kernel } = setup({ cbow: false, hs: true, simd });
    kernel.trainPosition(SENTENCE, 3, 1, ALPHA);
    const inner = SYN1.map((r) => [...r] as Vec);
    const in0 = SYN0.map((r) => [...r] as Vec);
    const path = [2, 1, 0];
    const code = [1, 0, 1];
    for (const ctx of [1, 3]) {
      const h = in0[ctx];
      let e: Vec = [0, 0];
      for (let d = 0; d < 3; d++) {
        const r = path[d];
        const g = (1 - code[d] - tableSigmoid(dot(h, inner[r]))) * ALPHA;
        e = axpy(e, g, inner[r]);
        inner[r] = axpy(inner[r], g, h);
      }
      in0[ctx] = axpy(h, 1, e);
    }
    assertRows(rows(model.syn0, 4), in0, 'syn0');
    assertRows(rows(model.syn1, 3), inner, 'syn1');
  });

  test(`[${tag}] CBOW + hierarchical softmax: one step by hand`, () => {
    const { model, kernel } = setup({ cbow: true, hs: true, simd });
    kernel.trainPosition(SENTENCE, 3, 1, ALPHA);
    const inner = SYN1.map((r) => [...r] as Vec);
    const h: Vec = [-0.05, 0.3];
    let e: Vec = [0, 0];
    for (const [r, bit] of [[2, 1], [1, 0], [0, 1]]) {
      const g = (1 - bit - tableSigmoid(dot(h, inner[r]))) * ALPHA;
      e = axpy(e, g, inner[r]);
      inner[r] = axpy(inner[r], g, h);
    }
    const in0 = SYN0.map((r) => [...r] as Vec);
    in0[1] = axpy(in0[1], 1, e);
    in0[3] = axpy(in0[3], 1, e);
    assertRows(rows(model.syn0, 4), in0, 'syn0');
    assertRows(rows(model.syn1, 3), inner, 'syn1');
  });

  test(`[${tag}] outside [-6, 6]: negative sampling clamps the gradient, hierarchical softmax skips the node`, () => {
    // h = syn0[1] = (4, 4); the positive row gives f = 8 (> 6, label 1: g = 0), the negative row too
    // (label 0: g = -alpha, so e = -0.1 * (1, 1) and the row moves by -0.1 * h).
    const big: Vec[] = [[0, 0], [4, 4], [0, 0], [0, 0]];
    const { model, kernel } = setup({ cbow: false, hs: false, simd, syn0: big, syn1neg: [[0, 0], [1, 1], [1, 1], [0, 0]] });
    kernel.trainPosition(Int32Array.from([1, 2]), 2, 1, ALPHA); // one context word: 1
    assertRows(rows(model.syn1neg, 4), [[0, 0], [0.6, 0.6], [1, 1], [0, 0]], 'syn1neg');
    assertRows(rows(model.syn0, 4), [[0, 0], [3.9, 3.9], [0, 0], [0, 0]], 'syn0');
    // Hierarchical softmax: f = 8 at every node of word 2's path -> no update at all.
    const hs = setup({ cbow: false, hs: true, simd, syn0: big, syn1: [[1, 1], [1, 1], [1, 1]] });
    hs.kernel.trainPosition(Int32Array.from([1, 2]), 2, 1, ALPHA);
    assertRows(rows(hs.model.syn1, 3), [[1, 1], [1, 1], [1, 1]], 'syn1');
    assertRows(rows(hs.model.syn0, 4), big, 'syn0');
  });

  test(`[${tag}] a negative draw of the target itself is skipped; a draw of </s> becomes next % (V-1) + 1`, () => {
    const self = setup({ cbow: false, hs: false, simd, unigram: [2] });
    self.kernel.trainPosition(Int32Array.from([1, 2]), 2, 1, ALPHA);
    const s = rows(self.model.syn1neg, 4);
    assertRows([s[0], s[1], s[3]], [SYN1NEG[0], SYN1NEG[1], SYN1NEG[3]], 'untouched rows');
    // V = 5, generator from 0: the window draw makes the state 11, the negative draw 277363943098;
    // the table gives </s>, replaced by 277363943098 % 4 + 1 = 3.
    const v5syn0: Vec[] = [...SYN0, [0.5, 0.5]];
    const v5out: Vec[] = [...SYN1NEG, [0.7, 0.7]];
    const zero = setup({ cbow: false, hs: false, simd, unigram: [0], syn0: v5syn0, syn1neg: v5out });
    zero.kernel.trainPosition(Int32Array.from([1, 2]), 2, 1, ALPHA);
    const z = rows(zero.model.syn1neg, 5);
    const h = SYN0[1];
    const g = (0 - tableSigmoid(dot(h, SYN1NEG[3]))) * ALPHA;
    assertRows([z[3], z[4], z[0]], [axpy(SYN1NEG[3], g, h), v5out[4], v5out[0]], 'syn1neg');
  });
}

test('both kernel implementations agree on a long random step sequence, every variant', () => {
  const dim = 37; // not a multiple of 4: exercises the scalar tails
  const v = 50;
  const counts = Float64Array.from({ length: v }, (_, i) => (i === 0 ? 0 : Math.floor(1000 / i) + 1));
  const tree = buildHuffmanTree(counts);
  const unigram = buildUnigramRuns(counts, 10_000);
  const rand = (() => {
    let s = 7;
    return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5;
  })();
  const init = Float32Array.from({ length: 3 * v * dim }, () => rand() / dim);
  const sen = Int32Array.from({ length: 40 }, (_, i) => 1 + ((i * 7) % (v - 1)));
  for (const cbow of [false, true]) {
    for (const hs of [false, true]) {
      const run = (simd: boolean) => {
        const mem = allocateModel({ vocabSize: v, dim, hs, negative: hs ? 0 : 5, window: 4, threads: 1, simd }, hs ? tree : null);
        mem.syn0.set(init.subarray(0, v * dim));
        (hs ? mem.syn1 : mem.syn1neg)!.set(init.subarray(v * dim, 2 * v * dim));
        const ops = simd ? simdRowOps(instantiateSimd(mem.memory!)!, mem.expTable) : jsRowOps;
        const model: KernelModel = {
          dim, vocabSize: v, syn0: mem.syn0, syn1: mem.syn1, syn1neg: mem.syn1neg, huffman: mem.huffman,
          unigram: hs ? null : unigram, negative: hs ? 0 : 5, window: 4, cbow,
        };
        const kernel = new TrainingKernel(model, new Lcg(0, 3), ops, mem.scratch[0]);
        for (let pos = 0; pos < sen.length; pos++) kernel.trainPosition(sen, sen.length, pos, 0.025);
        return [mem.syn0, (hs ? mem.syn1 : mem.syn1neg)!];
      };
      const [a, b] = [run(false), run(true)];
      let max = 0;
      for (let m = 0; m < 2; m++) for (let i = 0; i < v * dim; i++) max = Math.max(max, Math.abs(a[m][i] - b[m][i]));
      assert.ok(max < 1e-5, `cbow ${cbow} hs ${hs}: max difference ${max}`);
    }
  }
});

test('a kernel refuses SIMD operations over arrays outside their memory', () => {
  const mem = allocateModel({ vocabSize: 4, dim: 2, hs: false, negative: 1, window: 1, threads: 1, simd: true }, null);
  const ops = simdRowOps(instantiateSimd(mem.memory!)!, mem.expTable);
  const model: KernelModel = {
    dim: 2, vocabSize: 4, syn0: new Float32Array(8), syn1: null, syn1neg: mem.syn1neg, huffman: null,
    unigram: unigramRunsFromTable(Int32Array.from([1]), 4), negative: 1, window: 1, cbow: false,
  };
  assert.throws(() => new TrainingKernel(model, new Lcg(0, 0), ops, mem.scratch[0]), /syn0 is not in the memory of its row operations/);
  assert.throws(() => new TrainingKernel({ ...model, syn0: mem.syn0 }, new Lcg(0, 0), ops), /neu1 is not in the memory/);
  assert.ok(new TrainingKernel({ ...model, syn0: mem.syn0 }, new Lcg(0, 0), ops, mem.scratch[0]));
});
