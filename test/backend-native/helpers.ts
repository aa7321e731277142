// Shared pieces of the native backend tests: both backends side by side, seeded random inputs, and a skip
// (with the reason) when the addon is not built.
import { describe } from 'node:test';
import '../../src/backend/cpu-js/index.js';
import '../../src/backend/cpu/index.js';
import { nativeAvailable } from '../../src/backend/cpu/index.js';
import { contiguousLayout, type Backend, type Layout, type Storage } from '../../src/backend/backend.js';
import { getBackend } from '../../src/backend/registry.js';
import type { DType, HostArray } from '../../src/tensor/dtype.js';
import { assertClose } from '../helpers/assert.js';

/** describe() that runs only when the native addon loads, else is skipped with the reason. */
export function describeNative(name: string, body: () => void): void {
  if (nativeAvailable()) {
    describe(name, body);
    return;
  }
  let reason = 'native cpu addon not built';
  try {
    getBackend('cpu');
  } catch (err) {
    reason = (err as Error).message;
  }
  describe(name, { skip: reason }, () => {});
}

export const js = (): Backend => getBackend('cpu-js');
export const cpu = (): Backend => getBackend('cpu');

/** A seeded generator of test data (mulberry32). */
export class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  floats(n: number, lo = -3, hi = 3): Float32Array {
    return Float32Array.from({ length: n }, () => lo + (hi - lo) * this.next());
  }
  ints(n: number, lo: number, hi: number): Int32Array {
    return Int32Array.from({ length: n }, () => lo + Math.floor((hi - lo) * this.next()));
  }
}

/** Host data of any dtype, for fromHost. */
export function hostOf(dtype: DType, values: ArrayLike<number>): HostArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'int32': return Int32Array.from(values, Math.trunc);
    case 'int64': return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
    case 'uint8': return Uint8Array.from(values, (v) => Math.trunc(v) & 255);
    case 'bool': return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
    case 'float16': case 'bfloat16': return Uint16Array.from(values, Math.trunc);
  }
}

/** Reads a storage back as numbers (bigints become numbers). */
export function read(be: Backend, s: Storage, layout: Layout): number[] {
  return Array.from(be.toHost(s, layout) as ArrayLike<number | bigint>, Number);
}

/**
 * Runs `op` on cpu-js and on cpu with the same host inputs and compares the results (read with `outLayout`,
 * or contiguously by the storage's length) within atol + rtol * |expected|.
 */
export function compareOp(
  name: string,
  inputs: { data: HostArray; dtype: DType }[],
  op: (be: Backend, xs: Storage[]) => Storage,
  tol: { atol?: number; rtol?: number } = {},
  outLayout?: Layout,
): void {
  const run = (be: Backend) => {
    const xs = inputs.map((i) => be.fromHost(i.data, i.dtype));
    const out = op(be, xs);
    return { out, values: read(be, out, outLayout ?? contiguousLayout([out.length])), dtype: out.dtype };
  };
  const e = run(js()), a = run(cpu());
  if (a.dtype !== e.dtype) throw new Error(`${name}: dtype ${a.dtype}, expected ${e.dtype}`);
  assertClose(a.values, e.values, { atol: tol.atol ?? 1e-6, rtol: tol.rtol ?? 1e-5, name });
}

/** Layouts to test a 2-D (R, C) op through: contiguous, transposed, strided slice, broadcast row. */
export function layoutsOf2d(R: number, C: number): { name: string; layout: Layout; size: number }[] {
  return [
    { name: 'contiguous', layout: contiguousLayout([R, C]), size: R * C },
    { name: 'transposed', layout: { shape: [R, C], strides: [1, R], offset: 0 }, size: R * C },
    { name: 'strided slice', layout: { shape: [R, C], strides: [2 * C + 1, 2], offset: 3 }, size: 3 + (R - 1) * (2 * C + 1) + 2 * (C - 1) + 1 },
    { name: 'broadcast row', layout: { shape: [R, C], strides: [0, 1], offset: 1 }, size: C + 1 },
  ];
}
