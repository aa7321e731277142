// Native matmul against cpu-js: odd sizes around the register tiles, transposed operands by strides,
// batches (broadcast by 0 strides or not), the bias + activation epilogue, every kernel ISA the CPU has and
// 1 or 2 threads. Inputs in [-1, 1]; tolerance K * 2e-7 absolute + 1e-5 relative: both sides round each of K
// float32 products differently (blocked FMA sums vs a row loop), an error that grows with K.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { contiguousLayout, type Activation, type Layout } from '../../src/backend/backend.js';
import { getNumThreads, nativeAvailable, nativeInfo, setNativeIsa, setNumThreads } from '../../src/backend/cpu/index.js';
import { TesseraError } from '../../src/errors.js';
import { bf16ToFloat, floatToBf16 } from '../../src/tensor/dtype.js';
import { tensor } from '../../src/tensor/tensor.js';
import { linear } from '../../src/tensor/ops/linalg.js';
import { withAutocast } from '../../src/tensor/autocast.js';
import { compareOp, cpu, describeNative, js, Rand, read } from './helpers.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };
const tolFor = (K: number) => ({ atol: Math.max(1e-6, K * 2e-7), rtol: 1e-5 });

/** (M, K) row-major or its transpose viewed as (M, K). */
function matLayout(M: number, K: number, transposed: boolean, offset = 0): { l: Layout; size: number } {
  return transposed ? { l: { shape: [M, K], strides: [1, M], offset }, size: offset + M * K } : { l: { shape: [M, K], strides: [K, 1], offset }, size: offset + M * K };
}

function checkMatmul(r: Rand, M: number, K: number, N: number, ta: boolean, tb: boolean, act: Activation = 'none', bias = false): void {
  const A = matLayout(M, K, ta, 1), B = matLayout(K, N, tb, 2);
  const inputs = [{ data: r.floats(A.size, -1, 1), dtype: 'float32' as const }, { data: r.floats(B.size, -1, 1), dtype: 'float32' as const }];
  if (bias) inputs.push({ data: r.floats(N, -1, 1), dtype: 'float32' });
  compareOp(`matmul ${M}x${K}x${N} ta=${ta} tb=${tb} ${act}${bias ? ' bias' : ''}`, inputs,
    (be, [a, b, c]) => be.matmul(a!, A.l, b!, B.l, { bias: c, activation: act }), tolFor(K));
}

const isas = nativeAvailable() ? ['generic', ...nativeInfo().builtIsas.split(',').filter((i) => i !== 'generic')] : [];
const cpuIsas = nativeAvailable() ? isas.filter((isa) => isa === 'generic' || (isa === 'avx2' ? nativeInfo().avx2Fma : nativeInfo().avx512f)) : [];

describeNative('native matmul', () => {
  const threads = nativeAvailable() ? getNumThreads() : 1;
  after(() => {
    setNumThreads(threads);
    setNativeIsa(cpuIsas.at(-1) as 'avx512' | 'avx2' | 'generic');
  });

  for (const isa of cpuIsas) {
    test(`${isa} kernel: sizes around the tiles, transposes, 1 and 2 threads`, () => {
      setNativeIsa(isa as 'avx512' | 'avx2' | 'generic');
      const r = new Rand(30);
      for (const t of [1, 2]) {
        setNumThreads(t);
        for (const [M, K, N] of [[1, 1, 1], [3, 5, 7], [1, 300, 257], [2, 64, 1000], [4, 33, 65], [14, 32, 32], [15, 33, 31], [29, 17, 65], [64, 64, 64], [97, 300, 45], [200, 180, 170]]) {
          for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) checkMatmul(r, M!, K!, N!, ta!, tb!);
        }
      }
    });
  }

  test('bias and every activation in the epilogue', () => {
    const r = new Rand(31);
    for (const act of ['none', 'relu', 'gelu', 'geluTanh'] as Activation[]) {
      checkMatmul(r, 37, 50, 70, false, true, act, true);
      checkMatmul(r, 200, 64, 300, false, false, act, act !== 'none');
    }
  });

  test('batches: shared B folded into one GEMM, broadcast A, distinct and permuted batches', () => {
    const r = new Rand(32);
    // (2, 3, M, K) x (K, N) broadcast over the batch by 0 strides
    const M = 9, K = 20, N = 11;
    const al: Layout = contiguousLayout([2, 3, M, K]);
    const bl: Layout = { shape: [2, 3, K, N], strides: [0, 0, N, 1], offset: 0 };
    compareOp('matmul shared B', [{ data: r.floats(6 * M * K, -1, 1), dtype: 'float32' }, { data: r.floats(K * N, -1, 1), dtype: 'float32' }],
      (be, [a, b]) => be.matmul(a!, al, b!, bl), TOL);
    // broadcast A, distinct B (attention-like with K^T by strides)
    const al2: Layout = { shape: [4, M, K], strides: [0, K, 1], offset: 0 };
    const bl2: Layout = { shape: [4, K, N], strides: [N * K, 1, K], offset: 0 };
    compareOp('matmul broadcast A, transposed B', [{ data: r.floats(M * K, -1, 1), dtype: 'float32' }, { data: r.floats(4 * K * N, -1, 1), dtype: 'float32' }],
      (be, [a, b]) => be.matmul(a!, al2, b!, bl2), TOL);
    // many small batches (threaded over the batch) with a permuted batch dim
    const al3: Layout = { shape: [16, 8, 12], strides: [12, 16 * 12, 1], offset: 0 };
    const bl3: Layout = contiguousLayout([16, 12, 10]);
    compareOp('matmul permuted batch', [{ data: r.floats(16 * 8 * 12), dtype: 'float32' }, { data: r.floats(16 * 12 * 10), dtype: 'float32' }],
      (be, [a, b]) => be.matmul(a!, al3, b!, bl3, { bias: undefined, activation: 'relu' }), TOL);
  });

  test('bfloat16 operands: f32 accumulation rounded to bf16, with the AVX512-BF16 kernel and the widening path', () => {
    const r = new Rand(34);
    const paths = nativeInfo().avx512bf16 && cpuIsas.includes('avx512') ? ['avx512', 'avx2'] : [cpuIsas.at(-1)!];
    for (const isa of paths) {
      setNativeIsa(isa as 'avx512' | 'avx2' | 'generic');
      for (const [M, K, N, ta, tb, act] of [[5, 7, 3, false, false, 'none'], [33, 130, 70, false, true, 'gelu'], [150, 257, 64, true, false, 'relu'], [64, 512, 96, false, false, 'none']] as const) {
        const A = matLayout(M, K, ta), B = matLayout(K, N, tb);
        const ah = Uint16Array.from(r.floats(A.size, -1, 1), floatToBf16), bh = Uint16Array.from(r.floats(B.size, -1, 1), floatToBf16);
        const biasH = Uint16Array.from(r.floats(N, -1, 1), floatToBf16);
        const got = cpu().matmul(cpu().fromHost(ah, 'bfloat16'), A.l, cpu().fromHost(bh, 'bfloat16'), B.l, { bias: cpu().fromHost(biasH, 'bfloat16'), activation: act });
        assert.equal(got.dtype, 'bfloat16');
        const values = Array.from(cpu().toHost(got, contiguousLayout([M * N])) as Uint16Array, bf16ToFloat);
        const f = (h: Uint16Array) => js().fromHost(Float32Array.from(h, bf16ToFloat), 'float32');
        const ref = read(js(), js().matmul(f(ah), A.l, f(bh), B.l, { bias: f(biasH), activation: act }), contiguousLayout([M * N]));
        values.forEach((v, i) => {
          const e = bf16ToFloat(floatToBf16(ref[i]!));
          if (!(Math.abs(v - e) <= 2 ** -7 * Math.abs(e) + K * 2e-7)) assert.fail(`bf16 matmul ${isa} ${M}x${K}x${N}: element ${i} is ${v}, expected ${e}`);
        });
      }
    }
    setNativeIsa(cpuIsas.at(-1) as 'avx512' | 'avx2' | 'generic');
  });

  test('autocast to bfloat16 runs linear in bf16 on the cpu device', () => {
    const r = new Rand(35);
    const x = tensor(Array.from(r.floats(6 * 40, -1, 1)), { device: 'cpu' }).reshape([6, 40]);
    const w = tensor(Array.from(r.floats(24 * 40, -1, 1)), { device: 'cpu' }).reshape([24, 40]);
    const b = tensor(Array.from(r.floats(24, -1, 1)), { device: 'cpu' });
    const y16 = withAutocast('bfloat16', () => linear(x, w, b));
    assert.equal(y16.dtype, 'bfloat16');
    const y32 = linear(x, w, b).toArray() as Float32Array;
    (y16.to('float32').toArray() as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - y32[i]!) <= 0.02 * Math.abs(y32[i]!) + 0.05, `element ${i}: ${v} vs ${y32[i]}`));
  });

  test('K = 0 gives the epilogue of zeros; empty M gives an empty result', () => {
    const r = new Rand(33);
    compareOp('matmul K=0', [{ data: r.floats(1), dtype: 'float32' }, { data: r.floats(1), dtype: 'float32' }, { data: r.floats(5), dtype: 'float32' }],
      (be, [a, b, c]) => be.matmul(a!, contiguousLayout([3, 0]), b!, contiguousLayout([0, 5]), { bias: c, activation: 'gelu' }), TOL);
    const out = cpu().matmul(cpu().zeros('float32', 1), contiguousLayout([0, 4]), cpu().zeros('float32', 8), contiguousLayout([4, 2]));
    assert.equal(out.length, 0);
  });

  test('a non-float32 operand fails naming the op', () => {
    const a = cpu().zeros('int32', 4);
    assert.throws(() => cpu().matmul(a, contiguousLayout([2, 2]), a, contiguousLayout([2, 2])),
      (e: unknown) => e instanceof TesseraError && /^matmul: .*float32/.test((e as Error).message));
  });
});
