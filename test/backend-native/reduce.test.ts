// Native reductions against cpu-js: every op over axis sets of 1-D to 4-D inputs, strided inputs, integer
// and bool dtypes, NaN propagation and the threaded large paths. float32 within 1e-5 relative (sums are
// accumulated in double on both sides); argmax/argmin and integer results exact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contiguousLayout, type Layout, type ReduceOp } from '../../src/backend/backend.js';
import { TesseraError } from '../../src/errors.js';
import { compareOp, cpu, describeNative, Rand } from './helpers.js';

const OPS: ReduceOp[] = ['sum', 'max', 'min', 'prod'];
const keepShape = (l: Layout, axes: number[]) => contiguousLayout(l.shape.map((d, i) => (axes.includes(i) ? 1 : d)));

describeNative('native reductions', () => {
  test('sum / max / min / prod / argmax / argmin over every axis set of a 3-D tensor, contiguous and permuted', () => {
    const r = new Rand(20);
    const layouts: { name: string; l: Layout }[] = [
      { name: 'contiguous', l: contiguousLayout([4, 5, 6]) },
      { name: 'permuted', l: { shape: [6, 4, 5], strides: [1, 30, 6], offset: 0 } },
      { name: 'broadcast', l: { shape: [4, 5, 6], strides: [0, 6, 1], offset: 0 } },
    ];
    const axisSets = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];
    for (const { name, l } of layouts) {
      const data = r.floats(120, 0.5, 1.5);
      for (const axes of axisSets) {
        for (const op of OPS) {
          compareOp(`reduce ${op} ${name} ${axes}`, [{ data, dtype: 'float32' }], (be, [x]) => be.reduce(op, x!, l, axes), { atol: 1e-6, rtol: 1e-5 }, keepShape(l, axes));
        }
      }
      for (const axis of [0, 1, 2]) {
        for (const op of ['argmax', 'argmin'] as ReduceOp[]) {
          compareOp(`reduce ${op} ${name} ${axis}`, [{ data, dtype: 'float32' }], (be, [x]) => be.reduce(op, x!, l, [axis]), { atol: 0, rtol: 0 }, keepShape(l, [axis]));
        }
      }
    }
  });

  test('integer and bool reductions (bool sums count as int64)', () => {
    const r = new Rand(21);
    const l = contiguousLayout([7, 9]);
    const ints = r.ints(63, -20, 20);
    for (const op of [...OPS, 'argmax', 'argmin'] as ReduceOp[]) {
      compareOp(`reduce ${op} int32`, [{ data: ints, dtype: 'int32' }], (be, [x]) => be.reduce(op, x!, l, [1]), { atol: 0, rtol: 0 }, keepShape(l, [1]));
    }
    const bools = Uint8Array.from(ints, (v) => (v > 0 ? 1 : 0));
    for (const op of ['sum', 'max', 'min'] as ReduceOp[]) {
      compareOp(`reduce ${op} bool`, [{ data: bools, dtype: 'bool' }], (be, [x]) => be.reduce(op, x!, l, [0]), { atol: 0, rtol: 0 }, keepShape(l, [0]));
    }
  });

  test('NaN propagates through max / min / sum and wins argmax', () => {
    const data = Float32Array.from([1, NaN, 3, 4, 5, 6, -1, NaN, 2]);
    const l = contiguousLayout([3, 3]);
    for (const op of ['sum', 'max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
      for (const axes of [[0], [1]]) {
        compareOp(`reduce ${op} NaN ${axes}`, [{ data, dtype: 'float32' }], (be, [x]) => be.reduce(op, x!, l, axes), { atol: 0, rtol: 1e-6 }, keepShape(l, axes));
      }
    }
  });

  test('large reductions take the threaded paths (few long rows, one full sum, column sums)', () => {
    const r = new Rand(22);
    const rows = contiguousLayout([3, 100_000]);
    const data = r.floats(300_000);
    for (const op of OPS.filter((o) => o !== 'prod')) {
      compareOp(`reduce ${op} long rows`, [{ data, dtype: 'float32' }], (be, [x]) => be.reduce(op, x!, rows, [1]), { atol: 1e-4, rtol: 1e-5 }, keepShape(rows, [1]));
      compareOp(`reduce ${op} everything`, [{ data, dtype: 'float32' }], (be, [x]) => be.reduce(op, x!, rows, [0, 1]), { atol: 1e-3, rtol: 1e-5 }, keepShape(rows, [0, 1]));
    }
    const cols = contiguousLayout([2000, 150]);
    for (const op of OPS.filter((o) => o !== 'prod')) {
      compareOp(`reduce ${op} columns`, [{ data, dtype: 'float32' }], (be, [x]) => be.reduce(op, x!, cols, [0]), { atol: 1e-4, rtol: 1e-5 }, keepShape(cols, [0]));
    }
  });

  test('reducing an empty set fails naming the op', () => {
    const s = cpu().zeros('float32', 4);
    assert.throws(() => cpu().reduce('sum', s, contiguousLayout([4, 0]), [1]),
      (e: unknown) => e instanceof TesseraError && /reduce sum: cannot reduce an empty set/.test((e as Error).message));
  });
});
