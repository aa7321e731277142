// The native GEMM's bias + activation epilogue and the GELU kernels it shares with the elementwise ops.
// GELU accuracy is checked against double-precision references on a dense grid: erf form within
// 3e-7 * max(1, |x|) absolute (2-3 ulp relative for x >= 0), tanh form within 2e-7 * max(1, |x|).
// Fused matmul epilogues are checked against the composed ops (matmul, add, activation) on the same
// backend: the products sum in the same order, so they agree within 1e-6 relative + 1e-7 absolute.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { contiguousLayout, type Activation, type Backend, type Layout, type MapOp, type Storage } from '../../src/backend/backend.js';
import { getNumThreads, nativeAvailable, nativeInfo, setNativeIsa, setNumThreads } from '../../src/backend/cpu/index.js';
import { assertClose } from '../helpers/assert.js';
import { cpu, describeNative, Rand, read } from './helpers.js';

/** erf in double: its Taylor series below 3 (terms under 1e4, so ~1e-12 absolute), a continued fraction for erfc above. */
function erfDouble(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let k = a;
  for (let n = 80; n >= 1; n--) k = a + n / 2 / k;
  return Math.sign(x) * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * k));
}

const geluRef = (x: number) => 0.5 * x * (1 + erfDouble(x / Math.SQRT2));
const geluTanhRef = (x: number) => x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

const isas = (): ('avx512' | 'avx2' | 'generic')[] => {
  if (!nativeAvailable()) return [];
  const info = nativeInfo();
  const built = info.builtIsas.split(',');
  const out: ('avx512' | 'avx2' | 'generic')[] = ['generic'];
  if (built.includes('avx2') && info.avx2Fma) out.push('avx2');
  if (built.includes('avx512') && info.avx512f) out.push('avx512');
  return out;
};

function mapValues(be: Backend, op: MapOp, xs: Float32Array): number[] {
  const s = be.fromHost(xs, 'float32');
  return read(be, be.map(op, s, contiguousLayout([xs.length])), contiguousLayout([xs.length]));
}

/** act(a @ b + bias) composed of separate ops on one backend. */
function composed(be: Backend, a: Storage, al: Layout, b: Storage, bl: Layout, bias: Storage | undefined, act: Activation, M: number, N: number): Storage {
  let y = be.matmul(a, al, b, bl);
  const yl = contiguousLayout([M, N]);
  if (bias) y = be.binary('add', y, yl, bias, { shape: [M, N], strides: [0, 1], offset: 0 });
  return act === 'none' ? y : be.map(act, y, yl);
}

describeNative('native GEMM epilogue', () => {
  const threads = nativeAvailable() ? getNumThreads() : 1;
  after(() => {
    setNumThreads(threads);
    setNativeIsa(isas().at(-1)!);
  });

  test('GELU (erf form) and tanh GELU against double references, every ISA', () => {
    const n = 200_001;
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = -10 + (20 * i) / (n - 1);
    for (const isa of isas()) {
      setNativeIsa(isa);
      for (const [op, ref, tol] of [['gelu', geluRef, 3e-7], ['geluTanh', geluTanhRef, 2e-7]] as const) {
        const got = mapValues(cpu(), op, xs);
        let worst = 0, at = 0;
        got.forEach((g, i) => {
          const x = xs[i]!;
          const err = Math.abs(g - ref(x)) / Math.max(1, Math.abs(x));
          if (err > worst) [worst, at] = [err, x];
        });
        assert.ok(worst <= tol, `${isa} ${op}: error ${worst.toExponential(2)} * max(1, |x|) at x = ${at}, allowed ${tol}`);
      }
      const special = Float32Array.from([NaN, Infinity, 0, 1e-30, -1e-30, 1e20, -1e20, -100]);
      const [g, t] = [mapValues(cpu(), 'gelu', special), mapValues(cpu(), 'geluTanh', special)];
      assert.ok(Number.isNaN(g[0]) && Number.isNaN(t[0]), `${isa}: NaN gives NaN`);
      assert.deepEqual([g[1], t[1]], [Infinity, Infinity], `${isa}: +inf`);
      assert.deepEqual([g[2], t[2]], [0, 0], `${isa}: 0`);
      for (const i of [3, 4]) {
        assert.ok(Math.abs(g[i]! - special[i]! / 2) <= 1e-7 * Math.abs(special[i]!), `${isa} gelu(${special[i]}) = ${g[i]}`);
        assert.ok(Math.abs(t[i]! - special[i]! / 2) <= 1e-7 * Math.abs(special[i]!), `${isa} geluTanh(${special[i]}) = ${t[i]}`);
      }
      assert.equal(g[5], special[5]);
      assert.equal(t[5], special[5]);
      // far below zero: erf form exactly 0; tanh form x e^-87 (its exp stops at the normal range), below 2e-38 |x|
      for (const i of [6, 7]) {
        assert.equal(g[i], 0, `${isa}: gelu(${special[i]})`);
        assert.ok(Math.abs(t[i]!) <= 2e-38 * Math.abs(special[i]!), `${isa}: geluTanh(${special[i]}) = ${t[i]}`);
      }
    }
  });

  test('bias + each activation fused into matmul equals the composed ops: tails, several K blocks, transposed B, small M, 1 and 2 threads', () => {
    const r = new Rand(61);
    const be = cpu();
    // K above 256 takes several K blocks (the epilogue tile then adds the earlier blocks' sums); M <= 4 streams B
    const shapes = [[3, 7, 5], [14, 32, 32], [15, 33, 31], [29, 300, 65], [45, 600, 97], [130, 64, 257], [2, 40, 70], [200, 256, 96]];
    for (const isa of isas()) {
      setNativeIsa(isa);
      for (const t of [1, 2]) {
        setNumThreads(t);
        for (const [M, K, N] of shapes) {
          for (const transposedB of [false, true]) {
            const a = be.fromHost(r.floats(M! * K!, -1, 1), 'float32');
            const b = be.fromHost(r.floats(K! * N!, -1, 1), 'float32');
            const al = contiguousLayout([M!, K!]);
            const bl: Layout = transposedB ? { shape: [K!, N!], strides: [1, K!], offset: 0 } : contiguousLayout([K!, N!]);
            for (const act of ['none', 'relu', 'gelu', 'geluTanh'] as Activation[]) {
              for (const withBias of [false, true]) {
                if (act === 'none' && !withBias) continue;
                const bias = withBias ? be.fromHost(r.floats(N!, -2, 2), 'float32') : undefined;
                const fused = be.matmul(a, al, b, bl, { bias, activation: act });
                const ref = composed(be, a, al, b, bl, bias, act, M!, N!);
                const l = contiguousLayout([M! * N!]);
                assertClose(read(be, fused, l), read(be, ref, l), { atol: 1e-7, rtol: 1e-6, name: `${isa} ${t}t ${M}x${K}x${N}${transposedB ? ' Bt' : ''} ${act}${withBias ? '+bias' : ''}` });
              }
            }
          }
        }
      }
    }
  });
});
