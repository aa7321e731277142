// Native memory primitives against cpu-js: creation, host round trips, strided copies with every cast,
// copyInto with broadcasting and overlap, release, and bounds checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contiguousLayout, type Layout } from '../../src/backend/backend.js';
import { nativeLiveBytes } from '../../src/backend/cpu/index.js';
import { TesseraError } from '../../src/errors.js';
import { DTYPES, floatToBf16, floatToF16 } from '../../src/tensor/dtype.js';
import { compareOp, cpu, describeNative, hostOf, layoutsOf2d, Rand, read } from './helpers.js';

describeNative('native memory ops', () => {
  test('zeros, full and arange give cpu-js values for every dtype', () => {
    for (const dtype of DTYPES) {
      compareOp(`zeros ${dtype}`, [], (be) => be.zeros(dtype, 37));
      for (const v of [0, 1.5, -2.75, 300.5, -1e9, NaN]) {
        if (dtype === 'int64' && Number.isNaN(v)) continue;
        compareOp(`full ${dtype} ${v}`, [], (be) => be.full(dtype, 19, v));
      }
      compareOp(`arange ${dtype}`, [], (be) => be.arange(dtype, -3.5, 0.75, 23));
    }
  });

  test('fromHost / toHost round-trip every dtype, and other host kinds convert like a typed-array set', () => {
    const r = new Rand(1);
    const halves = Uint16Array.from(r.floats(16), (x) => floatToBf16(x));
    const samples = {
      float32: r.floats(33), float16: Uint16Array.from(r.floats(9), (x) => floatToF16(x)), bfloat16: halves,
      int32: r.ints(33, -1000, 1000), int64: BigInt64Array.from([-5n, 0n, 123456789012n]), uint8: Uint8Array.from([0, 7, 255]),
      bool: Uint8Array.from([0, 1, 1, 0]),
    } as const;
    for (const dtype of DTYPES) {
      const host = samples[dtype];
      const back = cpu().toHost(cpu().fromHost(host, dtype), contiguousLayout([host.length]));
      assert.deepEqual(back, host, dtype);
    }
    compareOp('fromHost float32 -> int32', [{ data: Float32Array.from([1.7, -2.5, 3e9]), dtype: 'int32' }], (_be, [x]) => x!);
  });

  test('copy casts between every pair of dtypes as cpu-js does', () => {
    const values = [0, 1, -1, 2.5, -3.5, 0.1, 65504, 70000, 1e-8, 255.9, 256, -129.7, 1e10, -Infinity, Infinity, NaN];
    for (const from of DTYPES) {
      let data = values;
      if (from === 'float16') data = values.map(floatToF16);
      if (from === 'bfloat16') data = values.map(floatToBf16);
      if (from === 'int64') data = values.filter(Number.isFinite);
      for (const to of DTYPES) {
        if (to === 'int64' && from !== 'int64' && from !== 'int32' && from !== 'uint8' && from !== 'bool') continue;  // cpu-js cannot hold NaN in int64
        compareOp(`copy ${from} -> ${to}`, [{ data: hostOf(from, data), dtype: from }], (be, [x]) => be.copy(x!, contiguousLayout([data.length]), to), { atol: 0, rtol: 0 });
      }
    }
  });

  test('copy reads strided, transposed and broadcast layouts', () => {
    const r = new Rand(2);
    for (const { name, layout, size } of layoutsOf2d(7, 5)) {
      for (const dtype of ['float32', 'int32', 'bfloat16'] as const) {
        const data = dtype === 'float32' ? r.floats(size) : r.ints(size, 0, 60000);
        compareOp(`copy ${name} ${dtype}`, [{ data: hostOf(dtype, data), dtype }], (be, [x]) => be.copy(x!, layout, dtype), { atol: 0, rtol: 0 });
        compareOp(`copy ${name} ${dtype} -> float32`, [{ data: hostOf(dtype, data), dtype }], (be, [x]) => be.copy(x!, layout, 'float32'));
      }
    }
    // 4-D permute
    const shape = [2, 3, 4, 5];
    const perm: Layout = { shape: [5, 2, 4, 3], strides: [1, 60, 5, 20], offset: 0 };
    compareOp('copy 4-D permute', [{ data: new Rand(3).floats(120), dtype: 'float32' }], (be, [x]) => be.copy(x!, perm, 'float32'), { atol: 0, rtol: 0 });
    assert.equal(shape.length, 4);
  });

  test('copyInto writes a broadcast source into a strided destination, also from the same storage', () => {
    const r = new Rand(4);
    const dst = r.floats(40), src = r.floats(6);
    const dstLayout: Layout = { shape: [3, 4], strides: [10, 2], offset: 1 };
    const srcLayout: Layout = { shape: [3, 4], strides: [2, 0], offset: 0 };
    compareOp('copyInto broadcast', [{ data: dst, dtype: 'float32' }, { data: src, dtype: 'float32' }], (be, [d, s]) => {
      be.copyInto(d!, dstLayout, s!, srcLayout);
      return d!;
    }, { atol: 0, rtol: 0 });
    // overlapping: shift a row of the same storage by one element
    compareOp('copyInto overlap', [{ data: r.floats(12), dtype: 'float32' }], (be, [d]) => {
      be.copyInto(d!, { shape: [10], strides: [1], offset: 1 }, d!, { shape: [10], strides: [1], offset: 0 });
      return d!;
    }, { atol: 0, rtol: 0 });
  });

  test('release frees memory at once and a released storage cannot be used', () => {
    const before = nativeLiveBytes();
    const s = cpu().zeros('float32', 1 << 20);
    assert.equal(nativeLiveBytes() - before, 4 << 20);
    cpu().release!(s);
    assert.equal(nativeLiveBytes(), before);
    assert.throws(() => read(cpu(), s, contiguousLayout([4])), (e: unknown) => e instanceof TesseraError && /released/.test((e as Error).message));
    cpu().release!(s);  // twice is harmless
  });

  test('a layout reaching outside its storage fails naming the op', () => {
    const s = cpu().zeros('float32', 10);
    assert.throws(() => cpu().copy(s, { shape: [3, 4], strides: [4, 1], offset: 0 }, 'float32'),
      (e: unknown) => e instanceof TesseraError && /copy: layout of shape \[3, 4\].*storage of 10/.test((e as Error).message));
  });
});
