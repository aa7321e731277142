// The four row operations the training kernels are made of, in two implementations: plain TypeScript over
// Float32Array (the readable reference, any memory size) and the WebAssembly SIMD module (simd.ts), which
// needs every row in its shared memory and is 4-6x faster.
import type { SimdOps } from './simd.js';

/** Row operations over (array, element offset) pairs; `n` elements each. */
export interface RowOps {
  /** sum a[ao + k] * b[bo + k]. */
  dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number;
  /** err[k] += g * out[oo + k]; out[oo + k] += g * h[ho + k] (out read before its update). */
  update(err: Float32Array, out: Float32Array, oo: number, h: Float32Array, ho: number, g: number, n: number): void;
  /** y[yo + k] += a * x[xo + k]. */
  axpy(y: Float32Array, yo: number, x: Float32Array, xo: number, a: number, n: number): void;
  /** y[k] /= d. */
  divide(y: Float32Array, d: number, n: number): void;
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

/** Plain TypeScript row operations. */
export const jsRowOps: RowOps = {
  dot: dotRows,
  update: updateOutputRow,
  axpy(y, yo, x, xo, a, n) {
    for (let k = 0; k < n; k++) y[yo + k] += a * x[xo + k];
  },
  divide(y, d, n) {
    for (let k = 0; k < n; k++) y[k] /= d;
  },
};

/** Row operations through the SIMD module; every array passed must be a view of its memory. */
export function simdRowOps(simd: SimdOps): RowOps {
  return {
    dot: (a, ao, b, bo, n) => simd.dot(a.byteOffset + ao * 4, b.byteOffset + bo * 4, n),
    update: (err, out, oo, h, ho, g, n) => simd.update(err.byteOffset, out.byteOffset + oo * 4, h.byteOffset + ho * 4, g, n),
    axpy: (y, yo, x, xo, a, n) => simd.axpy(y.byteOffset + yo * 4, x.byteOffset + xo * 4, a, n),
    divide: (y, d, n) => simd.divide(y.byteOffset, d, n),
  };
}
