// One update step of each of the four variants (CBOW / skip-gram x negative sampling / hierarchical
// softmax) against the same step worked out by hand below, on both the TypeScript and the SIMD row ops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EXP_TABLE,
  Lcg,
  TrainingKernel,
  unigramRunsFromTable,
  type HuffmanTree,
  type KernelModel,
} from '../../src/models/word2vec/index.js';
import { jsRowOps, simdRowOps, type RowOps } from '../../src/models/word2vec/rowops.js';
import { createSharedMemory, instantiateSimd } from '../../src/models/word2vec/simd.js';

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

/** A model holding the rows above; with `simd`, every array lives in the SIMD module's memory. */
function setup(opts: { cbow: boolean; hs: boolean; simd: boolean; unigram?: number[]; syn0?: Vec[]; syn1neg?: Vec[]; syn1?: Vec[]; rng?: Lcg }): Setup {
  const v = 4;
  const syn0 = opts.syn0 ?? SYN0;
  const syn1neg = opts.syn1neg ?? SYN1NEG;
  const syn1 = opts.syn1 ?? SYN1;
  const vocabSize = syn0.length;
  let alloc: (n: number) => Float32Array;
  let ops: RowOps = jsRowOps;
  if (opts.simd) {
    const memory = createSharedMemory(1 << 16)!;
    const simd = instantiateSimd(memory);
    assert.ok(simd, 'WebAssembly SIMD is available on Node 20');
    ops = simdRowOps(simd);
    let offset = 0;
    alloc = (n) => {
      const a = new Float32Array(memory.buffer, offset, n);
      offset += Math.ceil((n * 4) / 16) * 16 + 16; // also leaves rows unaligned-safe
      return a;
    };
  } else {
    alloc = (n) => new Float32Array(n);
  }
  const fill = (rows: Vec[], n: number) => {
    const a = alloc(n * 2);
    rows.forEach((r, i) => a.set(r, i * 2));
    return a;
  };
  const model: KernelModel = {
    dim: 2,
    vocabSize,
    syn0: fill(syn0, vocabSize),
    syn1: opts.hs ? fill(syn1, v - 1) : null,
    syn1neg: opts.hs ? null : fill(syn1neg, vocabSize),
    huffman: opts.hs ? HUFFMAN : null,
    unigram: opts.hs ? null : unigramRunsFromTable(Int32Array.from(opts.unigram ?? [1]), vocabSize),
    negative: opts.hs ? 0 : 1,
    window: 1,
    cbow: opts.cbow,
  };
  const kernel = new TrainingKernel(model, opts.rng ?? new Lcg(0, 0), ops, { neu1: alloc(2), neu1e: alloc(2) });
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

test('both row-op implementations agree on a long random step sequence', () => {
  const dim = 37; // not a multiple of 4: exercises the scalar tails
  const v = 50;
  const memory = createSharedMemory(1 << 20)!;
  const simd = instantiateSimd(memory)!;
  const rand = (() => {
    let s = 7;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
  })();
  const make = (inMemory: boolean, base: number) => {
    const arr = (n: number, off: number) => (inMemory ? new Float32Array(memory.buffer, base + off, n) : new Float32Array(n));
    return { syn0: arr(v * dim, 0), syn1neg: arr(v * dim, v * dim * 4), neu1: arr(dim, 2 * v * dim * 4), neu1e: arr(dim, 2 * v * dim * 4 + 256) };
  };
  const a = make(false, 0);
  const b = make(true, 0);
  for (let i = 0; i < v * dim; i++) {
    a.syn0[i] = b.syn0[i] = rand() / dim;
    a.syn1neg[i] = b.syn1neg[i] = rand() / dim;
  }
  const unigram = unigramRunsFromTable(Int32Array.from({ length: 1000 }, (_, i) => Math.floor((i * v) / 1000)), v);
  const kernelOf = (m: typeof a, ops: RowOps) =>
    new TrainingKernel(
      { dim, vocabSize: v, syn0: m.syn0, syn1: null, syn1neg: m.syn1neg, huffman: null, unigram, negative: 5, window: 4, cbow: false },
      new Lcg(0, 3),
      ops,
      { neu1: m.neu1, neu1e: m.neu1e },
    );
  const ka = kernelOf(a, jsRowOps);
  const kb = kernelOf(b, simdRowOps(simd));
  const sen = Int32Array.from({ length: 40 }, (_, i) => 1 + ((i * 7) % (v - 1)));
  for (let pos = 0; pos < sen.length; pos++) {
    ka.trainPosition(sen, sen.length, pos, 0.025);
    kb.trainPosition(sen, sen.length, pos, 0.025);
  }
  let max = 0;
  for (let i = 0; i < v * dim; i++) max = Math.max(max, Math.abs(a.syn0[i] - b.syn0[i]), Math.abs(a.syn1neg[i] - b.syn1neg[i]));
  assert.ok(max < 1e-5, `max difference ${max}`);
});
