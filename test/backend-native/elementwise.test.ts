// Native map / binary / where against cpu-js on random inputs through contiguous, transposed, strided and
// broadcast layouts. Tolerance: float32 results within 2e-6 absolute + 2e-5 relative (the native kernels
// compute in float32 with polynomial exp/log/tanh/erf, cpu-js in double); integer and bool results exact.
import { test } from 'node:test';
import type { BinaryOp, Layout, MapOp } from '../../src/backend/backend.js';
import { compareOp, describeNative, layoutsOf2d, Rand } from './helpers.js';

const MAP_OPS: { op: MapOp; args?: number[]; lo?: number; hi?: number }[] = [
  { op: 'neg' }, { op: 'exp', lo: -80, hi: 80 }, { op: 'log', lo: 1e-6, hi: 1e6 }, { op: 'sqrt', lo: 0, hi: 100 },
  { op: 'rsqrt', lo: 1e-3, hi: 100 }, { op: 'abs' }, { op: 'tanh', lo: -12, hi: 12 }, { op: 'sigmoid', lo: -30, hi: 30 },
  { op: 'relu' }, { op: 'gelu', lo: -8, hi: 8 }, { op: 'geluTanh', lo: -8, hi: 8 }, { op: 'erf', lo: -5, hi: 5 },
  { op: 'sin' }, { op: 'cos' }, { op: 'square' }, { op: 'reciprocal', lo: 0.01, hi: 10 }, { op: 'sign' },
  { op: 'floor' }, { op: 'ceil' }, { op: 'round', lo: -4, hi: 4 }, { op: 'logicalNot' },
  { op: 'addScalar', args: [0.25] }, { op: 'mulScalar', args: [-1.5] }, { op: 'powScalar', args: [2] },
  { op: 'powScalar', args: [0.5], lo: 0, hi: 9 }, { op: 'powScalar', args: [3] }, { op: 'rsubScalar', args: [1] },
  { op: 'clamp', args: [-1, 0.5] }, { op: 'clamp', args: [NaN, 0.5] }, { op: 'clamp', args: [-0.5, NaN] },
];

const BINARY_OPS: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  'and', 'or', 'reluGrad', 'geluGrad', 'geluTanhGrad'];

const TOL = { atol: 2e-6, rtol: 2e-5 };

describeNative('native elementwise ops', () => {
  test('every map op on float32 through every layout', () => {
    const r = new Rand(10);
    for (const { op, args, lo, hi } of MAP_OPS) {
      for (const { name, layout, size } of layoutsOf2d(9, 37)) {
        const data = r.floats(size, lo ?? -3, hi ?? 3);
        if (op === 'round') for (let i = 0; i < data.length; i += 5) data[i] = Math.round(data[i]! * 2) / 2;  // halves
        if (op === 'logicalNot' || op === 'sign') for (let i = 0; i < data.length; i += 4) data[i] = 0;
        compareOp(`map ${op} ${name}`, [{ data, dtype: 'float32' }], (be, [x]) => be.map(op, x!, layout, args), TOL);
      }
    }
  });

  test('map on a large tensor (threaded rows) and with NaN / infinities', () => {
    const r = new Rand(11);
    const big = r.floats(300_001, -20, 20);
    for (const op of ['exp', 'tanh', 'gelu', 'sigmoid', 'neg'] as MapOp[]) {
      compareOp(`map ${op} large`, [{ data: big, dtype: 'float32' }], (be, [x]) => be.map(op, x!, { shape: [big.length], strides: [1], offset: 0 }), TOL);
    }
    const special = Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 89, -89, 1e-30]);
    for (const { op, args } of MAP_OPS) {
      if (op === 'erf' || op === 'gelu' || op === 'geluTanh') continue;  // cpu-js erf is not defined at NaN
      compareOp(`map ${op} special`, [{ data: special, dtype: 'float32' }], (be, [x]) => be.map(op, x!, { shape: [8], strides: [1], offset: 0 }, args), TOL);
    }
  });

  test('map on int32 and bool computes like cpu-js', () => {
    const data = new Rand(12).ints(50, -100, 100);
    for (const op of ['neg', 'abs', 'square', 'sign', 'logicalNot', 'relu'] as MapOp[]) {
      compareOp(`map ${op} int32`, [{ data, dtype: 'int32' }], (be, [x]) => be.map(op, x!, { shape: [50], strides: [1], offset: 0 }), { atol: 0, rtol: 0 });
    }
    for (const [op, args] of [['addScalar', [3]], ['mulScalar', [2]], ['clamp', [-10, 10]]] as [MapOp, number[]][]) {
      compareOp(`map ${op} int32`, [{ data, dtype: 'int32' }], (be, [x]) => be.map(op, x!, { shape: [50], strides: [1], offset: 0 }, args), { atol: 0, rtol: 0 });
    }
  });

  test('every binary op on float32 with broadcast and transposed operands', () => {
    const r = new Rand(13);
    const R = 11, C = 29;
    const cases: { name: string; a: Layout; sa: number; b: Layout; sb: number }[] = [
      { name: 'contiguous', a: { shape: [R, C], strides: [C, 1], offset: 0 }, sa: R * C, b: { shape: [R, C], strides: [C, 1], offset: 0 }, sb: R * C },
      { name: 'row broadcast', a: { shape: [R, C], strides: [C, 1], offset: 0 }, sa: R * C, b: { shape: [R, C], strides: [0, 1], offset: 0 }, sb: C },
      { name: 'column broadcast', a: { shape: [R, C], strides: [0, 1], offset: 0 }, sa: C, b: { shape: [R, C], strides: [1, 0], offset: 0 }, sb: R },
      { name: 'scalar', a: { shape: [R, C], strides: [C, 1], offset: 0 }, sa: R * C, b: { shape: [R, C], strides: [0, 0], offset: 2 }, sb: 3 },
      { name: 'transposed', a: { shape: [R, C], strides: [1, R], offset: 0 }, sa: R * C, b: { shape: [R, C], strides: [C + 2, 2], offset: 1 }, sb: 1 + (R - 1) * (C + 2) + 2 * (C - 1) + 1 },
    ];
    for (const op of BINARY_OPS) {
      for (const c of cases) {
        const a = r.floats(c.sa), b = r.floats(c.sb);
        if (op === 'pow') for (let i = 0; i < a.length; i++) a[i] = Math.abs(a[i]!);
        // some exact ties for comparisons
        for (let i = 0; i < Math.min(a.length, b.length); i += 7) a[i] = b[i]!;
        compareOp(`binary ${op} ${c.name}`, [{ data: a, dtype: 'float32' }, { data: b, dtype: 'float32' }],
          (be, [x, y]) => be.binary(op, x!, c.a, y!, c.b), TOL);
      }
    }
  });

  test('binary ops on int32, uint8 and bool, and a large threaded add', () => {
    const r = new Rand(14);
    const l: Layout = { shape: [40], strides: [1], offset: 0 };
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'lt', 'ge', 'and', 'or'] as BinaryOp[]) {
      const a = r.ints(40, -50, 50), b = r.ints(40, -5, 5);
      compareOp(`binary ${op} int32`, [{ data: a, dtype: 'int32' }, { data: b, dtype: 'int32' }], (be, [x, y]) => be.binary(op, x!, l, y!, l), { atol: 0, rtol: 0 });
      const ba = Uint8Array.from(a, (v) => (v > 0 ? 1 : 0)), bb = Uint8Array.from(b, (v) => (v > 0 ? 1 : 0));
      // arithmetic on bool is left out: cpu-js stores 1 + 1 = 2 in a bool, the native backend keeps bools 0/1
      if (!['add', 'sub', 'mul', 'div'].includes(op)) compareOp(`binary ${op} bool`, [{ data: ba, dtype: 'bool' }, { data: bb, dtype: 'bool' }], (be, [x, y]) => be.binary(op, x!, l, y!, l), { atol: 0, rtol: 0 });
    }
    const n = 200_003;
    const big: Layout = { shape: [n], strides: [1], offset: 0 };
    compareOp('binary add large', [{ data: r.floats(n), dtype: 'float32' }, { data: r.floats(n), dtype: 'float32' }], (be, [x, y]) => be.binary('add', x!, big, y!, big), TOL);
  });

  test('where with a broadcast bool condition, float32 and int32 branches', () => {
    const r = new Rand(15);
    const cond = Uint8Array.from(r.ints(13, 0, 2));
    const cl: Layout = { shape: [6, 13], strides: [0, 1], offset: 0 };
    const al: Layout = { shape: [6, 13], strides: [1, 6], offset: 0 };
    const bl: Layout = { shape: [6, 13], strides: [0, 0], offset: 0 };
    compareOp('where float32', [{ data: cond, dtype: 'bool' }, { data: r.floats(78), dtype: 'float32' }, { data: Float32Array.from([-1e9]), dtype: 'float32' }],
      (be, [c, a, b]) => be.where(c!, cl, a!, al, b!, bl), { atol: 0, rtol: 0 });
    compareOp('where int32 with float cond', [{ data: r.floats(13), dtype: 'float32' }, { data: r.ints(78, 0, 9), dtype: 'int32' }, { data: Int32Array.from([7]), dtype: 'int32' }],
      (be, [c, a, b]) => be.where(c!, cl, a!, al, b!, bl), { atol: 0, rtol: 0 });
  });
});
