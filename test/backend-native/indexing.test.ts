// Native indexSelect / indexAdd / gather / scatterAdd / unfold / fold against cpu-js, including strided
// inputs, repeated ids and range errors that name the op, the id and the dim.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contiguousLayout, type Layout } from '../../src/backend/backend.js';
import { TesseraError } from '../../src/errors.js';
import { compareOp, cpu, describeNative, Rand } from './helpers.js';

const EXACT = { atol: 0, rtol: 0 };

describeNative('native indexing and convolution helpers', () => {
  test('indexSelect along each axis, strided input, int32 and int64 ids, any dtype', () => {
    const r = new Rand(40);
    const layouts: Layout[] = [contiguousLayout([5, 6, 7]), { shape: [5, 6, 7], strides: [1, 35, 5], offset: 0 }];
    for (const l of layouts) {
      for (const axis of [0, 1, 2]) {
        const size = l.shape[axis]!;
        const ids = r.ints(9, 0, size);
        for (const idtype of ['int32', 'int64'] as const) {
          const idData = idtype === 'int32' ? ids : BigInt64Array.from(Array.from(ids, BigInt));
          compareOp(`indexSelect axis ${axis} ${idtype}`, [{ data: r.floats(210), dtype: 'float32' }, { data: idData, dtype: idtype }],
            (be, [x, i]) => be.indexSelect(x!, l, axis, i!, contiguousLayout([9])), EXACT);
        }
        compareOp(`indexSelect int32 data axis ${axis}`, [{ data: r.ints(210, -9, 9), dtype: 'int32' }, { data: ids, dtype: 'int32' }],
          (be, [x, i]) => be.indexSelect(x!, l, axis, i!, contiguousLayout([9])), EXACT);
      }
    }
  });

  test('indexAdd sums repeated ids (embedding backward), also wide rows split over threads', () => {
    const r = new Rand(41);
    for (const [V, C, n] of [[10, 3, 25], [50, 1024, 300]]) {
      const ids = r.ints(n!, 0, V!);
      compareOp(`indexAdd ${V}x${C}`, [{ data: ids, dtype: 'int32' }, { data: r.floats(n! * C!), dtype: 'float32' }],
        (be, [i, s]) => be.indexAdd([V!, C!], 0, i!, contiguousLayout([n!]), s!, contiguousLayout([n!, C!])), { atol: 1e-5, rtol: 1e-6 });
    }
    // axis 1 with a transposed source
    const ids = r.ints(4, 0, 6);
    compareOp('indexAdd axis 1', [{ data: ids, dtype: 'int32' }, { data: r.floats(3 * 4), dtype: 'float32' }],
      (be, [i, s]) => be.indexAdd([3, 6], 1, i!, contiguousLayout([4]), s!, { shape: [3, 4], strides: [1, 3], offset: 0 }), { atol: 1e-6, rtol: 1e-6 });
  });

  test('gather and scatterAdd along each axis with a smaller index shape', () => {
    const r = new Rand(42);
    const l = contiguousLayout([4, 5, 3]);
    for (const axis of [0, 1, 2]) {
      const ishape = [3, 4, 2];
      const n = ishape[0]! * ishape[1]! * ishape[2]!;
      const ids = r.ints(n, 0, l.shape[axis]!);
      compareOp(`gather axis ${axis}`, [{ data: r.floats(60), dtype: 'float32' }, { data: ids, dtype: 'int32' }],
        (be, [x, i]) => be.gather(x!, l, axis, i!, contiguousLayout(ishape)), EXACT);
      compareOp(`scatterAdd axis ${axis}`, [{ data: ids, dtype: 'int32' }, { data: r.floats(n), dtype: 'float32' }],
        (be, [i, s]) => be.scatterAdd([4, 5, 3], axis, i!, contiguousLayout(ishape), s!, contiguousLayout(ishape)), { atol: 1e-6, rtol: 1e-6 });
    }
  });

  test('ids out of range fail naming the op, the id and the dim size', () => {
    const x = cpu().zeros('float32', 12);
    const bad = cpu().fromHost(Int32Array.from([0, 4]), 'int32');
    const il = contiguousLayout([2]);
    const msg = (op: string) => (e: unknown) => e instanceof TesseraError && new RegExp(`^${op}: index 4 is out of range for dimension 0 of size 4$`).test((e as Error).message);
    assert.throws(() => cpu().indexSelect(x, contiguousLayout([4, 3]), 0, bad, il), msg('indexSelect'));
    assert.throws(() => cpu().indexAdd([4, 3], 0, bad, il, x, contiguousLayout([2, 3])), msg('indexAdd'));
    assert.throws(() => cpu().gather(x, contiguousLayout([4, 3]), 0, bad, contiguousLayout([2, 1])), msg('gather'));
    assert.throws(() => cpu().scatterAdd([4, 3], 0, bad, contiguousLayout([2, 1]), x, contiguousLayout([2, 1])), msg('scatterAdd'));
    const neg = cpu().fromHost(Int32Array.from([-1]), 'int32');
    assert.throws(() => cpu().indexSelect(x, contiguousLayout([4, 3]), 0, neg, contiguousLayout([1])), /index -1 is out of range/);
    assert.throws(() => cpu().indexSelect(x, contiguousLayout([4, 3]), 0, x, il), /index must be int32 or int64, got float32/);
  });

  test('unfold and fold with stride and padding, strided input', () => {
    const r = new Rand(43);
    const cases: { shape: [number, number, number, number]; k: [number, number]; s: [number, number]; p: [number, number] }[] = [
      { shape: [2, 3, 7, 6], k: [3, 3], s: [1, 1], p: [1, 1] },
      { shape: [1, 2, 9, 8], k: [2, 3], s: [2, 3], p: [0, 1] },
      { shape: [2, 4, 8, 8], k: [4, 4], s: [4, 4], p: [0, 0] },
    ];
    for (const c of cases) {
      const [B, C, H, W] = c.shape;
      const n = B * C * H * W;
      const l = contiguousLayout(c.shape);
      compareOp(`unfold ${c.shape}`, [{ data: r.floats(n), dtype: 'float32' }], (be, [x]) => be.unfold(x!, l, c.k, c.s, c.p), EXACT);
      const perm: Layout = { shape: [B, C, H, W], strides: [C * H * W, 1, W * C, C], offset: 0 };  // NHWC storage
      compareOp(`unfold NHWC ${c.shape}`, [{ data: r.floats(n), dtype: 'float32' }], (be, [x]) => be.unfold(x!, perm, c.k, c.s, c.p), EXACT);
      const Ho = Math.floor((H + 2 * c.p[0] - c.k[0]) / c.s[0]) + 1, Wo = Math.floor((W + 2 * c.p[1] - c.k[1]) / c.s[1]) + 1;
      compareOp(`fold ${c.shape}`, [{ data: r.floats(B * C * c.k[0] * c.k[1] * Ho * Wo), dtype: 'float32' }], (be, [x]) => be.fold(x!, c.shape, c.k, c.s, c.p), { atol: 1e-6, rtol: 1e-6 });
    }
  });
});
