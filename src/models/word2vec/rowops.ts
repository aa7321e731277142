// The operations the training kernels are made of, in two implementations: plain TypeScript over
// Float32Array (the readable reference, any memory size) and the WebAssembly SIMD module (simd.ts), which
// needs every row in its shared memory and is several times faster. Besides row primitives there are the
// two output steps of word2vec.c (negative sampling over a group of targets, hierarchical softmax over a
// Huffman path), so that the SIMD path crosses from JavaScript into WebAssembly once per step.
import { EXP_TABLE, MAX_EXP, tableSigmoid } from './exptable.js';
import type { SimdOps } from './simd.js';

/** Operations over (array, element offset) pairs; `n` elements per row. */
export interface RowOps {
  /** Whether `array` can be passed to these operations (the SIMD ones need views of their memory). */
  accepts(array: ArrayBufferView): boolean;
  /** sum a[ao + k] * b[bo + k]. */
  dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number;
  /** err[k] += g * out[oo + k]; out[oo + k] += g * h[ho + k] (out read before its update). */
  update(err: Float32Array, out: Float32Array, oo: number, h: Float32Array, ho: number, g: number, n: number): void;
  /** y[yo + k] += a * x[xo + k]. */
  axpy(y: Float32Array, yo: number, x: Float32Array, xo: number, a: number, n: number): void;
  /** y[k] /= d. */
  divide(y: Float32Array, d: number, n: number): void;
  /**
   * Negative sampling for hidden vector h = hv[ho, ho + n): targets[first] is the word (label 1), the
   * next count - 1 entries its negatives (label 0; one equal to the word is skipped). For each target
   * row o of `out`: f = h . o, g = (label - sigmoid(f)) * alpha (label - 1 or label beyond +-6), then
   * err += g * o and o += g * h.
   */
  negative(hv: Float32Array, ho: number, out: Float32Array, err: Float32Array, targets: Int32Array, first: number, count: number, alpha: number, n: number): void;
  /**
   * Hierarchical softmax along a Huffman path: for d < len, row points[base + d] of `out` with bit
   * codes[base + d]: f = h . o; skipped when |f| >= 6; else g = (1 - bit - sigmoid(f)) * alpha, err += g * o,
   * o += g * h.
   */
  hierarchical(hv: Float32Array, ho: number, out: Float32Array, err: Float32Array, points: Int32Array, codes: Uint8Array, base: number, len: number, alpha: number, n: number): void;
}

/** Dot product in double precision with four running sums (adds do not wait on each other). */
export function dotRows(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = ao;
  let j = bo;
  const end = ao + n;
  for (; i + 3 < end; i += 4, j += 4) {
    s0 += a[i] * b[j];
    s1 += a[i + 1] * b[j + 1];
    s2 += a[i + 2] * b[j + 2];
    s3 += a[i + 3] * b[j + 3];
  }
  for (; i < end; i++, j++) s0 += a[i] * b[j];
  return s0 + s1 + (s2 + s3);
}

/** The output-row step of one target (see RowOps.update). */
export function updateOutputRow(err: Float32Array, out: Float32Array, oo: number, h: Float32Array, ho: number, g: number, n: number): void {
  for (let k = 0, i = oo, j = ho; k < n; k++, i++, j++) {
    const o = out[i];
    err[k] += g * o;
    out[i] = o + g * h[j];
  }
}

/** Plain TypeScript operations. */
export const jsRowOps: RowOps = {
  accepts: () => true,
  dot: dotRows,
  update: updateOutputRow,
  axpy(y, yo, x, xo, a, n) {
    for (let k = 0; k < n; k++) y[yo + k] += a * x[xo + k];
  },
  divide(y, d, n) {
    for (let k = 0; k < n; k++) y[k] /= d;
  },
  negative(hv, ho, out, err, targets, first, count, alpha, n) {
    const word = targets[first];
    for (let d = 0; d < count; d++) {
      const target = targets[first + d];
      if (d > 0 && target === word) continue;
      const label = d === 0 ? 1 : 0;
      const oo = target * n;
      const f = dotRows(hv, ho, out, oo, n);
      const g = (f > MAX_EXP ? label - 1 : f < -MAX_EXP ? label : label - tableSigmoid(f)) * alpha;
      updateOutputRow(err, out, oo, hv, ho, g, n);
    }
  },
  hierarchical(hv, ho, out, err, points, codes, base, len, alpha, n) {
    for (let d = 0; d < len; d++) {
      const oo = points[base + d] * n;
      const f = dotRows(hv, ho, out, oo, n);
      if (f <= -MAX_EXP || f >= MAX_EXP) continue;
      const g = (1 - codes[base + d] - tableSigmoid(f)) * alpha;
      updateOutputRow(err, out, oo, hv, ho, g, n);
    }
  },
};

/**
 * Operations through the SIMD module; every array passed must be a view of its memory, and so must
 * `expTable` (a copy of EXP_TABLE there).
 */
export function simdRowOps(simd: SimdOps, expTable: Float32Array): RowOps {
  const exp = expTable.byteOffset;
  if (expTable.length < EXP_TABLE.length) throw new RangeError('simdRowOps: expTable must hold the whole sigmoid table');
  const memory = expTable.buffer;
  return {
    accepts: (array) => array.buffer === memory || array.byteLength === 0,
    dot: (a, ao, b, bo, n) => simd.dot(a.byteOffset + ao * 4, b.byteOffset + bo * 4, n),
    update: (err, out, oo, h, ho, g, n) => simd.update(err.byteOffset, out.byteOffset + oo * 4, h.byteOffset + ho * 4, g, n),
    axpy: (y, yo, x, xo, a, n) => simd.axpy(y.byteOffset + yo * 4, x.byteOffset + xo * 4, a, n),
    divide: (y, d, n) => simd.divide(y.byteOffset, d, n),
    negative: (hv, ho, out, err, targets, first, count, alpha, n) =>
      simd.negative(hv.byteOffset + ho * 4, out.byteOffset, err.byteOffset, targets.byteOffset + first * 4, count, alpha, n, exp),
    hierarchical: (hv, ho, out, err, points, codes, base, len, alpha, n) =>
      simd.hierarchical(hv.byteOffset + ho * 4, out.byteOffset, err.byteOffset, points.byteOffset + base * 4, codes.byteOffset + base, len, alpha, n, exp),
  };
}
