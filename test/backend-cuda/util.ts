// Shared pieces of the cuda tests: the skip reason (tests skip cleanly where no GPU is present), seeded
// host data, and a runner that applies one function on cuda and on the cpu-js reference.
import { cudaUnavailableReason } from '../../src/backend/cuda/index.js';
import { tensor, type Tensor } from '../../src/index.js';
import type { DType } from '../../src/tensor/dtype.js';

/** false when cuda is usable, else why the cuda tests skip. */
export const skipCuda: string | false = (() => {
  const why = cudaUnavailableReason();
  return why === null ? false : `no usable GPU (${why})`;
})();

/**
 * The device the comparison tests run on: cuda, or another device named by TESSERA_CUDA_TEST_DEVICE
 * (running them as cpu-js against cpu-js checks the tests themselves on a machine without a GPU).
 */
export const DUT = process.env.TESSERA_CUDA_TEST_DEVICE ?? 'cuda';
/** Skip reason for the comparison tests. */
export const skipDut: string | false = DUT === 'cuda' ? skipCuda : false;

/** Deterministic pseudo-random floats in [lo, hi) (a 32-bit LCG; never Math.random in tests). */
export function randomData(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

/** Deterministic ints in [0, hi). */
export function randomInts(n: number, hi: number, seed = 7): Int32Array {
  const f = randomData(n, seed, 0, 1);
  return Int32Array.from(f, (v) => Math.min(hi - 1, Math.floor(v * hi)));
}

/** The same host data as a tensor on cuda and on cpu-js. */
export function pair(data: Float32Array | Int32Array, shape: number[], dtype: DType = data instanceof Int32Array ? 'int32' : 'float32'): [Tensor, Tensor] {
  return [tensor(data, { shape, dtype, device: DUT }), tensor(data, { shape, dtype, device: 'cpu-js' })];
}

/** Relative error ||a - b|| / ||b|| (the measure for bf16 and TF32 results). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Number(a[i]) - Number(b[i]);
    num += d * d;
    den += Number(b[i]) * Number(b[i]);
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}
