// Every cuda primitive and fused kernel against the cpu-js reference on the same seeded data: strided,
// transposed and broadcast layouts, every dtype path, forward and backward, float32 tolerances (bf16 and
// TF32 by relative error). Skips where no GPU is present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arange, cat, conv2d, crossEntropy, embedding, getBackend, layerNorm, linear, logSoftmax, manualSeed, matmul, optim,
  randn, scaledDotProductAttention, setFusedOps, softmax, tensor, where, lstmCell, TesseraError, Tensor,
} from '../../src/index.js';
import { setAllowTF32 } from '../../src/backend/cuda/index.js';
import { noGrad } from '../../src/autograd/engine.js';
import { addLayerNorm } from '../../src/tensor/ops/fused.js';
import { assertClose } from '../helpers/assert.js';
import { DUT, pair, randomData, randomInts, relError, skipDut } from './util.js';

const opts = { skip: skipDut };
const F32 = { atol: 2e-5, rtol: 2e-5 };

/** Runs fn on the device under test and on cpu-js with the same host inputs, and compares every output. */
function same(name: string, fn: (dev: string) => Tensor | Tensor[], tol: { atol?: number; rtol?: number } = F32): void {
  const got = [fn(DUT)].flat();
  const want = [fn('cpu-js')].flat();
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    assert.equal(g.dtype, want[i]!.dtype, `${name} #${i}: dtype`);
    assertClose(g, want[i]!, { ...tol, name: `${name} #${i}` });
  });
}

const data = (n: number, seed: number, lo = -2, hi = 2) => randomData(n, seed, lo, hi);
const on = (dev: string, d: Float32Array | Int32Array, shape: number[], dtype?: 'float32' | 'int32' | 'int64' | 'bfloat16') =>
  tensor(d, { shape, device: dev, dtype: dtype ?? (d instanceof Int32Array ? 'int32' : 'float32') });

test('unary maps over a transposed view, float32', opts, () => {
  const x = data(7 * 9, 1);
  const ops: [string, (t: Tensor) => Tensor][] = [
    ['neg', (t) => t.neg()], ['exp', (t) => t.exp()], ['log', (t) => t.abs().add(0.1).log()], ['sqrt', (t) => t.abs().sqrt()],
    ['rsqrt', (t) => t.abs().add(0.5).rsqrt()], ['tanh', (t) => t.tanh()], ['sigmoid', (t) => t.sigmoid()], ['relu', (t) => t.relu()],
    ['gelu', (t) => t.gelu()], ['geluTanh', (t) => t.gelu('tanh')], ['erf', (t) => t.erf()], ['sin', (t) => t.sin()], ['cos', (t) => t.cos()],
    ['square', (t) => t.square()], ['reciprocal', (t) => t.add(3).reciprocal()], ['sign', (t) => t.sign()], ['floor', (t) => t.floor()],
    ['ceil', (t) => t.ceil()], ['round', (t) => t.mul(2).round()], ['addScalar', (t) => t.add(2.5)], ['mulScalar', (t) => t.mul(-1.5)],
    ['pow3', (t) => t.pow(3)], ['pow.5', (t) => t.abs().pow(0.5)], ['clamp', (t) => t.clamp(-0.5, 0.75)], ['clampLo', (t) => t.clamp(0)],
  ];
  for (const [name, f] of ops) same(name, (dev) => f(on(dev, x, [7, 9]).transpose(0, 1)));
});

test('bf16 and int maps and binary ops keep their dtype', opts, () => {
  const x = data(64, 2), y = data(64, 3);
  same('bf16 exp', (dev) => on(dev, x, [8, 8]).to('bfloat16').exp(), { atol: 0, rtol: 8e-3 });
  same('bf16 add', (dev) => on(dev, x, [8, 8]).to('bfloat16').add(on(dev, y, [8, 8]).to('bfloat16')), { atol: 0, rtol: 8e-3 });
  same('bf16 mul broadcast', (dev) => on(dev, x, [8, 8]).to('bfloat16').mul(on(dev, y.subarray(0, 8), [8]).to('bfloat16')), { atol: 0, rtol: 8e-3 });
  const xi = randomInts(60, 50, 4), yi = randomInts(60, 50, 5);
  same('int32 add', (dev) => on(dev, xi, [6, 10]).add(on(dev, yi, [6, 10])));
  same('int32 neg/abs', (dev) => on(dev, xi, [6, 10]).add(-25).abs());
  same('int64 mul scalar', (dev) => on(dev, xi, [60], 'int64').mul(3));
  same('int64 max', (dev) => on(dev, xi, [6, 10], 'int64').maximum(on(dev, yi, [6, 10], 'int64')));
});

test('float32 with bf16 operands: the float32 result of a cast first, either order, offset views, gradients', opts, () => {
  // cuda reads the half operand as it is (no cast pass); cpu-js casts it first; both give float32
  const f = data(4 * 1030, 16), h = data(4 * 1030, 17);
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    same(`float32 ${op} bf16`, (dev) => {
      const x = on(dev, f, [4, 1030]), y = on(dev, h, [4, 1030]).to('bfloat16');
      // whole tensors (vector loads) and rows 1..3 / 1 element in (offsets that rule the vector loads out)
      return [x[op](y), y[op](x), x.narrow(0, 1, 3)[op](y.narrow(0, 1, 3)), x.reshape([-1]).narrow(0, 1, 4000)[op](y.reshape([-1]).narrow(0, 3, 4000))];
    }, { atol: 1e-5, rtol: 1e-5 });
  }
  same('float32 + bf16 gradients', (dev) => {
    const x = on(dev, f, [4, 1030]).requiresGrad_(), y = on(dev, h, [4, 1030]).to('bfloat16').requiresGrad_();
    x.add(y).mul(y).sum().backward();
    return [x.grad!, y.grad!.to('float32')];
  }, { atol: 1e-2, rtol: 1e-2 });
});

test('binary ops broadcast (4,1,5) with (3,1); comparisons and logic give bool', opts, () => {
  const a = data(20, 4), b = data(3, 5, 0.5, 2);
  const A = (dev: string) => on(dev, a, [4, 1, 5]), B = (dev: string) => on(dev, b, [3, 1]);
  same('add', (dev) => A(dev).add(B(dev)));
  same('sub', (dev) => A(dev).sub(B(dev)));
  same('mul', (dev) => A(dev).mul(B(dev)));
  same('div', (dev) => A(dev).div(B(dev)));
  same('pow', (dev) => B(dev).pow(A(dev)));
  same('maximum', (dev) => A(dev).maximum(B(dev)));
  same('minimum', (dev) => A(dev).minimum(B(dev)));
  for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) same(op, (dev) => A(dev)[op](B(dev)));
  same('and/or/not', (dev) => [A(dev).gt(0).logicalAnd(B(dev).lt(1)), A(dev).gt(0).logicalOr(B(dev).lt(1)), A(dev).gt(0).logicalNot()]);
  same('where', (dev) => where(A(dev).gt(0), A(dev), B(dev)));
  same('maskedFill', (dev) => A(dev).maskedFill(A(dev).lt(-0.5), -1e4));
});

test('casts between every dtype pair follow the reference (truncation, rounding to nearest even, bool)', opts, () => {
  const x = Float32Array.from([1.5, -2.7, 0, 3.0078125, 65504, -0.4, 7.9, 1e-3]);
  const dtypes = ['float32', 'bfloat16', 'float16', 'int32', 'int64', 'uint8', 'bool'] as const;
  for (const from of dtypes) {
    for (const to of dtypes) {
      same(`${from}->${to}`, (dev) => on(dev, x, [8]).abs().to(from).to(to));
    }
  }
});

test('copies into strided views: cat, narrow backward, non-contiguous copies', opts, () => {
  const a = data(24, 6), b = data(12, 7);
  same('cat 1', (dev) => cat([on(dev, a, [4, 6]).transpose(0, 1), on(dev, b, [2, 6]).transpose(0, 1)], 1));
  same('cat int', (dev) => cat([on(dev, randomInts(6, 9, 1), [6]), on(dev, randomInts(4, 9, 2), [4])]));
  same('narrow grad', (dev) => {
    const x = on(dev, a, [4, 6]).requiresGrad_();
    x.narrow(1, 2, 3).mul(on(dev, b.subarray(0, 12), [4, 3])).sum().backward();
    return x.grad!;
  });
  same('contiguous of a permuted 4-D view', (dev) => on(dev, data(2 * 3 * 4 * 5, 8), [2, 3, 4, 5]).permute(2, 0, 3, 1).contiguous());
  same('head split/merge copies (inner dim contiguous, 16-byte units)', (dev) => {
    const x = on(dev, data(2 * 6 * 3 * 16, 15), [2, 6, 3, 16]);
    return [x.permute(0, 2, 1, 3).contiguous(), x.to('bfloat16').permute(0, 2, 1, 3).contiguous(), x.permute(0, 2, 1, 3).to('bfloat16'),
      x.to('bfloat16').permute(2, 0, 1, 3).to('float32')];
  });
  same('row copies: wide cat, narrow backward, column slices', (dev) => {
    const x = on(dev, data(300 * 200, 16), [300, 200]);
    const y = x.requiresGrad_();
    y.narrow(1, 5, 150).mul(2).sum().backward();
    return [cat([x.narrow(0, 0, 4).narrow(1, 0, 100), x.narrow(0, 4, 4).narrow(1, 0, 70)], 1), y.grad!, x.narrow(1, 10, 150).contiguous(),
      x.to('bfloat16').narrow(1, 8, 160).contiguous(), x.to('bfloat16').narrow(1, 3, 131).contiguous()];
  });
  same('expand then contiguous', (dev) => on(dev, a.subarray(0, 6), [1, 6]).expand([5, 6]).contiguous());
});

test('reductions over any axes, split paths for few outputs, NaN and ties', opts, () => {
  const big = data(3000 * 70, 9);
  for (const axes of [[0], [1], [0, 1]]) {
    same(`sum ${axes}`, (dev) => on(dev, big, [3000, 70]).sum(axes), { atol: 2e-3, rtol: 1e-4 });
    same(`max ${axes}`, (dev) => on(dev, big, [3000, 70]).max(axes));
    same(`min ${axes}`, (dev) => on(dev, big, [3000, 70]).min(axes));
  }
  same('sum of a transposed view', (dev) => on(dev, big, [3000, 70]).transpose(0, 1).sum(1), { atol: 2e-3, rtol: 1e-4 });
  same('mean keepdim over (0, 2) of 4-D', (dev) => on(dev, data(2 * 3 * 4 * 5, 10), [2, 3, 4, 5]).mean([0, 2], true), { atol: 1e-5, rtol: 1e-5 });
  same('sum over (1, 3) of 4-D', (dev) => on(dev, data(2 * 3 * 4 * 5, 11), [2, 3, 4, 5]).sum([1, 3]), { atol: 1e-5, rtol: 1e-5 });
  same('prod', (dev) => {
    const be = getBackend(dev);
    const x = on(dev, data(40, 12, 0.5, 1.5), [4, 10]).transpose(0, 1);
    const s = be.reduce('prod', x.storage, x.layout, [1]);
    return tensor(be.toHost(s, { shape: [10], strides: [1], offset: 0 }) as Float32Array, { device: 'cpu-js' });
  }, { atol: 1e-6, rtol: 1e-5 });
  same('argmax/argmin', (dev) => [on(dev, big, [3000, 70]).argmax(1), on(dev, big, [3000, 70]).argmin(0), on(dev, big, [3000, 70]).argmax()]);
  same('argmax ties pick the first index', (dev) => on(dev, Float32Array.from([1, 3, 3, 2, 5, 5, 5, 0]), [2, 4]).argmax(1));
  same('NaN propagates through max and wins argmax', (dev) => {
    const x = on(dev, Float32Array.from([1, NaN, 3, 2, 5, 0]), [2, 3]);
    return [x.max(1), x.argmax(1)];
  });
  same('bf16 sum keeps bf16', (dev) => on(dev, data(512, 13), [4, 128]).to('bfloat16').sum(1), { atol: 1e-3, rtol: 1e-2 });
  // column sums (bias gradients): 16-byte loads when the width allows, split over row chunks; widths that do not
  // fill a block, a row count that is not a multiple of the row lanes, a width that is not a vector multiple, and
  // many row chunks with a short last one
  for (const [R, N] of [[1000, 264], [3000, 40], [77, 1032], [500, 70], [9001, 136]] as const) {
    const x = data(R * N, 15 + N, -2, 2);
    same(`column sums ${R}x${N} float32`, (dev) => on(dev, x, [R, N]).sum(0), { atol: 1e-4, rtol: 1e-5 });
    same(`column sums ${R}x${N} bf16`, (dev) => on(dev, x, [R, N]).to('bfloat16').sum(0).to('float32'), { atol: 0.25, rtol: 1e-2 });
  }
  same('int and bool sums', (dev) => [on(dev, randomInts(100, 10, 3), [10, 10]).sum(0), on(dev, data(100, 14), [10, 10]).gt(0).sum(1)]);
  same('variance', (dev) => on(dev, big, [3000, 70]).var(0), { atol: 1e-5, rtol: 1e-4 });
});

test('matmul: transposes, batches, broadcast batch, 4-D permuted views, bias epilogue, gradients', opts, () => {
  const tol = { atol: 1e-4, rtol: 1e-4 };
  const A = data(64 * 96, 20), B = data(96 * 80, 21);
  same('a @ b', (dev) => matmul(on(dev, A, [64, 96]), on(dev, B, [96, 80])), tol);
  same('a^T @ b', (dev) => matmul(on(dev, A, [96, 64]).transpose(0, 1), on(dev, B, [96, 80])), tol);
  same('a @ b^T', (dev) => matmul(on(dev, A, [64, 96]), on(dev, B, [80, 96]).transpose(0, 1)), tol);
  same('a^T @ b^T', (dev) => matmul(on(dev, A, [96, 64]).T, on(dev, B, [80, 96]).T), tol);
  same('batched', (dev) => matmul(on(dev, data(5 * 32 * 48, 22), [5, 32, 48]), on(dev, data(5 * 48 * 16, 23), [5, 48, 16])), tol);
  same('broadcast rhs (folded into one GEMM)', (dev) => matmul(on(dev, data(5 * 32 * 48, 22), [5, 32, 48]), on(dev, data(48 * 16, 24), [48, 16])), tol);
  same('broadcast lhs', (dev) => matmul(on(dev, data(32 * 48, 25), [32, 48]), on(dev, data(5 * 48 * 16, 23), [5, 48, 16])), tol);
  same('4-D permuted (attention layout)', (dev) => {
    const q = on(dev, data(2 * 8 * 3 * 16, 26), [2, 8, 3, 16]).permute(0, 2, 1, 3); // (B, H, T, D) view of (B, T, H, D)
    const k = on(dev, data(2 * 8 * 3 * 16, 27), [2, 8, 3, 16]).permute(0, 2, 3, 1); // (B, H, D, T)
    return matmul(q, k);
  }, tol);
  same('vector cases', (dev) => [matmul(on(dev, A.subarray(0, 96), [96]), on(dev, B, [96, 80])), matmul(on(dev, A, [64, 96]), on(dev, B.subarray(0, 96), [96]))], tol);
  same('linear with bias (cuBLASLt epilogue)', (dev) => linear(on(dev, data(10 * 96, 28), [2, 5, 96]), on(dev, B, [80, 96]), on(dev, data(80, 29), [80])), tol);
  same('linear + gelu', (dev) => linear(on(dev, data(10 * 96, 28), [10, 96]), on(dev, B, [80, 96]), on(dev, data(80, 29), [80]), 'gelu'), tol);
  same('matmul gradients', (dev) => {
    const a = on(dev, A, [64, 96]).requiresGrad_(), b = on(dev, B, [96, 80]).requiresGrad_();
    matmul(a, b).mul(on(dev, data(64 * 80, 30), [64, 80])).sum().backward();
    return [a.grad!, b.grad!];
  }, { atol: 1e-3, rtol: 1e-4 });
  same('linear gradients', (dev) => {
    const x = on(dev, data(6 * 96, 31), [6, 96]).requiresGrad_(), w = on(dev, B, [80, 96]).requiresGrad_(), b = on(dev, data(80, 29), [80]).requiresGrad_();
    linear(x, w, b, 'relu').square().sum().backward();
    return [x.grad!, w.grad!, b.grad!];
  }, { atol: 2e-3, rtol: 1e-4 });
});

test('large matmuls with an odd leading dim (a 50257-style vocabulary) go through padded pitches', opts, () => {
  const tol = { atol: 2e-3, rtol: 1e-4 };
  const a = data(512 * 512, 35), b = data(512 * 1025, 36), bias = data(1025, 37);
  same('x @ W^T + b with N = 1025', (dev) => linear(on(dev, a, [512, 512]), on(dev, b, [1025, 512]), on(dev, bias, [1025])), tol);
  same('g (512 x 1025) @ W (1025 x 512)', (dev) => matmul(on(dev, b, [512, 1025]), on(dev, b, [1025, 512])), { atol: 1e-2, rtol: 1e-4 });
  same('g^T @ x', (dev) => matmul(on(dev, b, [512, 1025]).T, on(dev, a, [512, 512])), tol);
  const bf = { atol: 0.05, rtol: 2e-2 };
  same('bf16 x @ W^T + b with N = 1025', (dev) => linear(on(dev, a, [512, 512]).to('bfloat16'), on(dev, b, [1025, 512]).to('bfloat16'), on(dev, bias, [1025]).to('bfloat16')), bf);
  same('bf16 g @ W with K = 1025', (dev) => matmul(on(dev, b, [512, 1025]).to('bfloat16'), on(dev, b, [1025, 512]).to('bfloat16')), { atol: 0.2, rtol: 2e-2 });
  same('bf16 g^T @ x', (dev) => matmul(on(dev, b, [512, 1025]).to('bfloat16').T, on(dev, a, [512, 512]).to('bfloat16')), bf);
});

test('matmul epilogue activations in the backend call', opts, () => {
  for (const activation of ['relu', 'gelu', 'geluTanh'] as const) {
    same(activation, (dev) => {
      const be = getBackend(dev);
      const a = on(dev, data(12 * 40, 32), [12, 40]), b = on(dev, data(40 * 24, 33), [40, 24]), bias = on(dev, data(24, 34), [24]);
      const s = be.matmul(a.storage, a.layout, b.storage, b.layout, { bias: bias.storage, activation });
      return tensor(be.toHost(s, { shape: [12, 24], strides: [24, 1], offset: 0 }) as Float32Array, { shape: [12, 24], device: 'cpu-js' });
    }, { atol: 1e-4, rtol: 1e-4 });
  }
  // ReLU runs inside cuBLASLt's epilogue: also without a bias, and in bf16 (rounded after the max)
  for (const [dtype, withBias] of [['float32', false], ['bfloat16', true], ['bfloat16', false]] as const) {
    same(`relu ${dtype}${withBias ? ' + bias' : ''}`, (dev) => {
      const be = getBackend(dev);
      // bf16 inputs where the backend computes in bf16; the reference gets the same rounded values in float32
      const half = dtype === 'bfloat16' && be.computeDTypes.includes('bfloat16');
      const cast = (t: Tensor) => (dtype === 'float32' ? t : half ? t.to('bfloat16') : t.to('bfloat16').to('float32'));
      const a = cast(on(dev, data(12 * 40, 35), [12, 40])), b = cast(on(dev, data(40 * 24, 36), [40, 24]));
      const bias = withBias ? cast(on(dev, data(24, 37), [24])) : undefined;
      const s = be.matmul(a.storage, a.layout, b.storage, b.layout, { bias: bias?.storage, activation: 'relu' });
      return Tensor.fromStorage(s, [12, 24], be).to('float32').toDevice('cpu-js');
    }, dtype === 'float32' ? { atol: 1e-4, rtol: 1e-4 } : { atol: 2e-2, rtol: 2e-2 });
  }
});

test('bf16 matmul within bf16 tolerance of float32; TF32 when allowed', opts, () => {
  const a = data(256 * 512, 40), b = data(512 * 128, 41);
  const ref = matmul(on('cpu-js', a, [256, 512]), on('cpu-js', b, [512, 128])).toArray();
  const y = matmul(on(DUT, a, [256, 512]).to('bfloat16'), on(DUT, b, [512, 128]).to('bfloat16'));
  assert.equal(y.dtype, 'bfloat16');
  const e = relError(y.toArray(), ref);
  assert.ok(e < 1e-2 && e > 0, `bf16 relative error ${e}`);
  if (DUT === 'cuda') {
    setAllowTF32(true);
    try {
      const t = matmul(on(DUT, a, [256, 512]), on(DUT, b, [512, 128]));
      const et = relError(t.toArray(), ref);
      assert.ok(et < 5e-3, `tf32 relative error ${et}`);
    } finally {
      setAllowTF32(false);
    }
    const f = relError(matmul(on(DUT, a, [256, 512]), on(DUT, b, [512, 128])).toArray(), ref);
    assert.ok(f < 1e-6, `float32 relative error ${f}`);
  }
});

test('embedding lookup and its backward (repeated ids), gather and scatter', opts, () => {
  const W = data(50 * 16, 50), ids = randomInts(28, 50, 51);
  ids[3] = ids[4] = ids[20] = 7;
  same('embedding fwd/bwd', (dev) => {
    const w = on(dev, W, [50, 16]).requiresGrad_();
    const e = embedding(w, on(dev, ids, [4, 7], 'int64'));
    e.mul(on(dev, data(4 * 7 * 16, 52), [4, 7, 16])).sum().backward();
    return [e, w.grad!];
  });
  same('indexSelect axis 1 of a transposed view', (dev) => on(dev, W, [50, 16]).T.indexSelect(1, on(dev, Int32Array.from([3, 0, 49, 3]), [4])));
  same('gather and its backward', (dev) => {
    const x = on(dev, data(6 * 10, 53), [6, 10]).requiresGrad_();
    const g = x.gather(1, on(dev, randomInts(6 * 4, 10, 54), [6, 4], 'int64'));
    g.mul(on(dev, data(24, 55), [6, 4])).sum().backward();
    return [g, x.grad!];
  });
});

test('out-of-range ids: host-known ids fail at the call with the reference message', opts, () => {
  const w = on(DUT, data(3 * 2, 60), [3, 2]);
  assert.throws(() => w.indexSelect(0, tensor([3], { dtype: 'int32', device: DUT })), (e: Error) => e instanceof TesseraError && /index 3 is out of range .* size 3/.test(e.message));
  assert.throws(() => w.indexSelect(0, tensor([0, -1], { dtype: 'int64', device: DUT })), /index -1 is out of range/);
  assert.throws(() => crossEntropy(tensor([[1, 2]], { device: DUT }), tensor([2], { dtype: 'int64', device: DUT })), /target 2 is out of range for 2 classes/);
  // ignored targets are not range errors
  assert.doesNotThrow(() => crossEntropy(tensor([[1, 2], [0, 1]], { device: DUT }), tensor([1, -100], { dtype: 'int64', device: DUT })).item());
});

test('ids computed on the device are checked there and reported at the next read', { skip: DUT === 'cuda' ? skipDut : 'cuda only' }, () => {
  const w = on(DUT, data(5 * 4, 61), [5, 4]);
  const ids = arange(0, 3, 1, { device: DUT }).add(4).mul(2); // 8, 10, 12 from device arithmetic
  const out = w.indexSelect(0, ids);
  assert.throws(() => out.toArray(), (e: Error) => e instanceof TesseraError && /indexSelect: index (8|10|12) is out of range for a dimension of size 5 \(found on the device/.test(e.message));
  // the device keeps working
  assert.deepEqual(tensor([1, 2], { device: DUT }).add(1).toList(), [2, 3]);
});

test('conv2d (unfold + matmul) forward and backward', opts, () => {
  same('conv2d', (dev) => {
    const x = on(dev, data(2 * 3 * 9 * 8, 70), [2, 3, 9, 8]).requiresGrad_();
    const w = on(dev, data(4 * 3 * 3 * 2, 71), [4, 3, 3, 2]).requiresGrad_();
    const b = on(dev, data(4, 72), [4]).requiresGrad_();
    const y = conv2d(x, w, b, [2, 1], [1, 0]);
    y.mul(on(dev, data(y.size, 73), y.shape)).sum().backward();
    return [y, x.grad!, w.grad!, b.grad!];
  }, { atol: 1e-4, rtol: 1e-4 });
  same('patch embedding (16x16 stride 16)', (dev) => conv2d(on(dev, data(2 * 3 * 32 * 32, 74), [2, 3, 32, 32]), on(dev, data(8 * 3 * 16 * 16, 75), [8, 3, 16, 16]), null, 16), { atol: 2e-4, rtol: 1e-4 });
});

test('the generator: seeded, restorable, with the right moments', opts, () => {
  manualSeed(5);
  const a = randn([1000], { device: DUT }).toArray();
  manualSeed(5);
  const b = randn([1000], { device: DUT }).toArray();
  assert.deepEqual(a, b);
  const be = getBackend(DUT);
  const state = be.getRngState();
  const c = randn([999], { device: DUT }).toArray();
  be.setRngState(state);
  assert.deepEqual(randn([999], { device: DUT }).toArray(), c);
  const n = 200_000;
  const u = tensor(be.toHost(be.random('uniform', n, 0, 1), { shape: [n], strides: [1], offset: 0 }) as Float32Array);
  const un = u.toArray();
  assert.ok(un.every((v) => v >= 0 && v < 1));
  assert.ok(Math.abs(u.mean().item() - 0.5) < 0.01);
  const g = randn([n], { device: DUT });
  assert.ok(Math.abs(g.mean().item()) < 0.01, `normal mean ${g.mean().item()}`);
  assert.ok(Math.abs(g.std().item() - 1) < 0.01, `normal std ${g.std().item()}`);
});

test('fused softmax, log-softmax, layer norm and cross-entropy match the reference, forward and backward', opts, () => {
  const x = data(37 * 1000, 80, -4, 4);
  x.fill(-Infinity, 5 * 1000, 6 * 1000); // one fully masked row
  for (const fn of [softmax, logSoftmax]) {
    same(fn.name, (dev) => {
      const t = on(dev, x, [37, 1000]).requiresGrad_();
      const y = fn(t, -1);
      y.mul(on(dev, data(37 * 1000, 81), [37, 1000])).sum().backward();
      return [y, t.grad!];
    });
  }
  same('softmax over axis 0 (moved last)', (dev) => softmax(on(dev, data(300, 82), [30, 10]), 0));
  same('layerNorm', (dev) => {
    const t = on(dev, data(50 * 768, 83), [5, 10, 768]).requiresGrad_();
    const w = on(dev, data(768, 84, 0.5, 1.5), [768]).requiresGrad_(), b = on(dev, data(768, 85), [768]).requiresGrad_();
    const y = layerNorm(t, [768], w, b, 1e-5);
    y.mul(on(dev, data(50 * 768, 86), [5, 10, 768])).sum().backward();
    return [y, t.grad!, w.grad!, b.grad!];
  }, { atol: 1e-4, rtol: 1e-4 });
  same('layerNorm without affine', (dev) => layerNorm(on(dev, data(8 * 33, 87), [8, 33]), [33]), { atol: 1e-5, rtol: 1e-4 });
  const V = 50257, rows = 6;
  const logits = data(rows * V, 88, -6, 6);
  const targets = Int32Array.from([5, 50256, -100, 0, 123, 40000]);
  for (const labelSmoothing of [0, 0.1]) {
    same(`crossEntropy V=${V} smoothing ${labelSmoothing}`, (dev) => {
      const l = on(dev, logits, [rows, V]).requiresGrad_();
      const loss = crossEntropy(l, on(dev, targets, [rows], 'int64'), { labelSmoothing });
      loss.backward();
      return [loss, l.grad!];
    }, { atol: 1e-5, rtol: 1e-4 });
  }
  {
    // bf16 logits (autocast's lm-head output) go through the kernel without a float32 copy; grads come back bf16
    const run = (dev: string) => {
      const l = on(dev, logits, [rows, V]).requiresGrad_();
      const loss = crossEntropy(l.to('bfloat16'), on(dev, targets, [rows], 'int64'), { labelSmoothing: 0.1 });
      loss.backward();
      return { loss: loss.item(), grad: l.grad!.toArray() };
    };
    const got = run(DUT), want = run('cpu-js');
    assert.ok(Math.abs(got.loss - want.loss) < 1e-4 * Math.abs(want.loss), `bf16 logits loss ${got.loss} vs ${want.loss}`);
    const e = relError(got.grad, want.grad);
    assert.ok(e < 1e-2, `bf16 logits gradient relative error ${e}`);
  }
  same('crossEntropy sum reduction, int32 targets', (dev) => crossEntropy(on(dev, logits.subarray(0, 3 * 1000), [3, 1000]), on(dev, Int32Array.from([1, 2, 999]), [3]), { reduction: 'none' }), { atol: 1e-5, rtol: 1e-5 });
  // the composed fallbacks on the device agree with its fused kernels
  const fusedLoss = crossEntropy(on(DUT, logits, [rows, V]), on(DUT, targets, [rows], 'int64')).item();
  setFusedOps(false);
  try {
    const composed = crossEntropy(on(DUT, logits, [rows, V]), on(DUT, targets, [rows], 'int64')).item();
    assert.ok(Math.abs(composed - fusedLoss) < 1e-4, `composed ${composed} vs fused ${fusedLoss}`);
  } finally {
    setFusedOps(true);
  }
});

function attentionCase(dev: string, B: number, H: number, Tq: number, Tk: number, D: number, o: { mask?: 'padding' | 'additive'; causal?: boolean; probs?: boolean; seed?: number }) {
  const s = o.seed ?? 90;
  const q = on(dev, data(B * H * Tq * D, s), [B, H, Tq, D]).requiresGrad_();
  const k = on(dev, data(B * H * Tk * D, s + 1), [B, H, Tk, D]).requiresGrad_();
  const v = on(dev, data(B * H * Tk * D, s + 2), [B, H, Tk, D]).requiresGrad_();
  let mask: Tensor | null = null;
  if (o.mask === 'padding') {
    const keep = new Int32Array(B * Tk).fill(1);
    for (let b = 0; b < B; b++) for (let j = Tk - 1 - b * 3; j < Tk; j++) if (j >= 1) keep[b * Tk + j] = 0;
    mask = on(dev, keep, [B, 1, 1, Tk]).gt(0);
  } else if (o.mask === 'additive') {
    mask = on(dev, data(B * Tq * Tk, s + 3, -3, 0), [B, 1, Tq, Tk]);
  }
  const r = scaledDotProductAttention(q, k, v, { mask, causal: o.causal ?? false, returnProbs: o.probs ?? false });
  r.out.mul(on(dev, data(B * H * Tq * D, s + 4), [B, H, Tq, D])).sum().backward();
  return [r.out, q.grad!, k.grad!, v.grad!, ...(r.probs ? [r.probs] : [])];
}

test('fused attention: padding and additive masks, causal with a cached prefix, head dims 8 to 160, gradients', opts, () => {
  const tol = { atol: 1e-4, rtol: 1e-4 };
  same('D=16 padding mask', (dev) => attentionCase(dev, 2, 3, 70, 70, 16, { mask: 'padding', probs: true }), tol);
  same('D=8 causal', (dev) => attentionCase(dev, 1, 2, 33, 33, 8, { causal: true }), tol);
  same('causal, Tq < Tk (decoding with a cache)', (dev) => attentionCase(dev, 2, 2, 5, 9, 16, { causal: true, probs: true }), tol);
  same('D=64 additive mask + causal, T=130', (dev) => attentionCase(dev, 1, 2, 130, 130, 64, { mask: 'additive', causal: true }), { atol: 2e-4, rtol: 1e-4 });
  same('D=100 (not a multiple of 16)', (dev) => attentionCase(dev, 1, 1, 40, 72, 100, {}), { atol: 2e-4, rtol: 1e-4 });
  same('D=160 (composed above the fused kernel)', (dev) => attentionCase(dev, 1, 2, 20, 24, 160, { mask: 'padding', causal: true, probs: true }), { atol: 2e-4, rtol: 1e-4 });
});

/** Attention on q, k, v that are head views of one (B, T, 3, H, D) projection; the output merged back to (B, T, H * D). */
function stridedAttentionCase(dev: string, B: number, H: number, T: number, D: number, o: { mask?: boolean; causal?: boolean; probs?: boolean }) {
  const x = on(dev, data(B * T * 3 * H * D, 130 + D), [B, T, 3, H, D]).requiresGrad_();
  const [q, k, v] = [0, 1, 2].map((i) => x.select(2, i).transpose(1, 2));
  let mask: Tensor | null = null;
  if (o.mask) {
    const keep = new Int32Array(B * T).fill(1);
    for (let b = 0; b < B; b++) for (let j = T - 2 - 5 * b; j < T; j++) keep[b * T + j] = 0;
    mask = on(dev, keep, [B, 1, 1, T]).gt(0);
  }
  const r = scaledDotProductAttention(q!, k!, v!, { mask, causal: o.causal ?? false, returnProbs: o.probs ?? false });
  const merged = r.out.transpose(1, 2).reshape([B, T, H * D]);
  merged.mul(on(dev, data(B * T * H * D, 140), [B, T, H * D])).sum().backward();
  return [merged, x.grad!, ...(r.probs ? [r.probs] : [])];
}

test('attention reads head views of a (B, T, 3 * H * D) projection in place and writes merged heads', opts, () => {
  const tol = { atol: 2e-4, rtol: 1e-4 };
  same('D=64 padding mask, probabilities', (dev) => stridedAttentionCase(dev, 2, 3, 70, 64, { mask: true, probs: true }), tol);
  same('D=32 causal', (dev) => stridedAttentionCase(dev, 2, 2, 65, 32, { causal: true }), tol);
  same('D=100', (dev) => stridedAttentionCase(dev, 1, 2, 40, 100, {}), tol);
  same('D=160 (composed)', (dev) => stridedAttentionCase(dev, 1, 2, 20, 160, { mask: true, causal: true }), tol);
});

test('bf16 attention on strided head views matches contiguous inputs (tensor-core and SIMT kernels)', { skip: DUT === 'cuda' ? skipDut : 'cuda only' }, () => {
  const be = getBackend(DUT);
  const B = 2, H = 3, T = 70;
  for (const D of [64, 40]) {
    const x = on(DUT, data(B * T * 3 * H * D, 150 + D), [B, T, 3, H, D]).to('bfloat16');
    const views = [0, 1, 2].map((i) => x.select(2, i).transpose(1, 2));
    const dense = views.map((t) => t.contiguous());
    const base = { shape: { B, H, Tq: T, Tk: T, D }, causal: true, scale: 1 / Math.sqrt(D), dropoutP: 0, returnProbs: false };
    const sArgs = { ...base, q: views[0]!.storage, k: views[1]!.storage, v: views[2]!.storage,
      layouts: { q: views[0]!.layout, k: views[1]!.layout, v: views[2]!.layout }, outLayout: 'bthd' as const };
    const dArgs = { ...base, q: dense[0]!.storage, k: dense[1]!.storage, v: dense[2]!.storage };
    const rs = be.attention!(sArgs), rd = be.attention!(dArgs);
    const outS = Tensor.fromStorage(rs.out, [B, T, H, D], be).transpose(1, 2);
    const outD = Tensor.fromStorage(rd.out, [B, H, T, D], be);
    assert.deepEqual(outS.toArray(), outD.toArray(), `D=${D}: outputs differ`);
    const g = on(DUT, data(B * H * T * D, 160), [B, H, T, D]).to('bfloat16');
    const gs = be.attentionBackward!(sArgs, rs, g.storage), gd = be.attentionBackward!(dArgs, rd, g.storage);
    for (const key of ['dq', 'dk', 'dv'] as const) {
      const a = Tensor.fromStorage(gs[key], [B, H, T, D], be).to('float32'), b = Tensor.fromStorage(gd[key], [B, H, T, D], be).to('float32');
      assertClose(a, b, { atol: 2e-2, rtol: 1e-2, name: `D=${D} ${key}` });
    }
  }
});

test('bf16 tensor-core attention forward matches float32 (head dims 32/64/128, masks, causal with Tq != Tk, masked rows give zeros)', { skip: DUT === 'cuda' ? skipDut : 'cuda only' }, () => {
  const cases: { B: number; H: number; Tq: number; Tk: number; D: number; mask?: 'padding' | 'additive'; causal?: boolean }[] = [
    { B: 2, H: 2, Tq: 200, Tk: 200, D: 64, causal: true },
    { B: 1, H: 3, Tq: 130, Tk: 70, D: 64 },
    { B: 2, H: 2, Tq: 70, Tk: 130, D: 32, mask: 'padding' },
    { B: 1, H: 2, Tq: 150, Tk: 90, D: 32, causal: true },
    { B: 1, H: 2, Tq: 40, Tk: 200, D: 128, causal: true, mask: 'additive' },
    { B: 2, H: 1, Tq: 129, Tk: 129, D: 128, mask: 'additive' },
    { B: 1, H: 2, Tq: 257, Tk: 257, D: 64, causal: true, mask: 'additive' },
  ];
  for (const c of cases) {
    const { B, H, Tq, Tk, D } = c;
    const name = `B=${B} H=${H} Tq=${Tq} Tk=${Tk} D=${D}${c.causal ? ' causal' : ''}${c.mask ? ` ${c.mask}` : ''}`;
    const [qd, kd, vd] = [0, 1, 2].map((i) => data((i === 0 ? Tq : Tk) * B * H * D, 700 + i + D + Tq));
    let maskFor: (() => Tensor) | null = null;
    let deadRows: number[] = [];
    if (c.mask === 'padding') {
      const keep = new Int32Array(B * Tk).fill(1);
      for (let b = 0; b < B; b++) for (let j = Tk - 1 - 17 * b; j < Tk; j++) keep[b * Tk + j] = 0;
      maskFor = () => on(DUT, keep, [B, 1, 1, Tk]).gt(0);
    } else if (c.mask === 'additive') {
      // random values in [-3, 0], one row at -Infinity (zeros out) and one at -FLT_MAX (a uniform average, as torch)
      const m = data(B * Tq * Tk, 720 + Tq, -3, 0);
      for (let b = 0; b < B; b++) for (let j = 0; j < Tk; j++) {
        m[(b * Tq + 1) * Tk + j] = -Infinity;
        m[(b * Tq + 2) * Tk + j] = -3.4028234663852886e38;
      }
      deadRows = [1];
      maskFor = () => on(DUT, m, [B, 1, Tq, Tk]);
    }
    if (c.causal && Tq > Tk) deadRows = [...deadRows, ...Array.from({ length: Tq - Tk }, (_, i) => i)];
    const run = (dtype: 'float32' | 'bfloat16') => {
      const [q, k, v] = [qd, kd, vd].map((d, i) => on(DUT, d!, [B, H, i === 0 ? Tq : Tk, D]).to('bfloat16').to(dtype));
      return noGrad(() => scaledDotProductAttention(q!, k!, v!, { mask: maskFor ? maskFor() : null, causal: c.causal ?? false }).out.to('float32').toArray());
    };
    const half = run('bfloat16'), ref = run('float32');
    const e = relError(half, ref);
    assert.ok(e < 1.5e-2, `${name}: relative error ${e}`);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (const i of deadRows) {
      const at = ((b * H + h) * Tq + i) * D;
      for (let d = 0; d < D; d++) assert.equal(half[at + d], 0, `${name}: fully masked row ${i} must be zeros`);
    }
  }
});

test('bf16 tensor-core attention backward matches float32 (ragged tiles, padding and per-query masks, masked rows, causal, Tq != Tk)', { skip: DUT === 'cuda' ? skipDut : 'cuda only' }, () => {
  const cases: { B: number; H: number; Tq: number; Tk: number; D: number; mask?: 'padding' | 'additive'; causal?: boolean }[] = [
    { B: 2, H: 2, Tq: 197, Tk: 197, D: 64 },
    { B: 2, H: 2, Tq: 70, Tk: 130, D: 32, mask: 'padding' },
    { B: 2, H: 1, Tq: 200, Tk: 69, D: 64, mask: 'padding' },
    { B: 1, H: 2, Tq: 130, Tk: 70, D: 64, mask: 'additive' },
    { B: 1, H: 2, Tq: 150, Tk: 90, D: 32, causal: true },
  ];
  for (const c of cases) {
    const { B, H, Tq, Tk, D } = c;
    const name = `B=${B} H=${H} Tq=${Tq} Tk=${Tk} D=${D}${c.causal ? ' causal' : ''}${c.mask ? ` ${c.mask}` : ''}`;
    const [qd, kd, vd] = [0, 1, 2].map((i) => data((i === 0 ? Tq : Tk) * B * H * D, 800 + i + D + Tq));
    const gd = data(B * H * Tq * D, 810 + Tk);
    let maskFor: (() => Tensor) | null = null;
    if (c.mask === 'padding') {
      const keep = new Int32Array(B * Tk).fill(1);
      for (let b = 0; b < B; b++) for (let j = Tk - 1 - 17 * b; j < Tk; j++) keep[b * Tk + j] = 0;
      maskFor = () => on(DUT, keep, [B, 1, 1, Tk]).gt(0);
    } else if (c.mask === 'additive') {
      // per-query values in [-3, 0], one row at -Infinity (no gradient) and one at -FLT_MAX (uniform weights)
      const m = data(B * Tq * Tk, 820 + Tq, -3, 0);
      for (let b = 0; b < B; b++) for (let j = 0; j < Tk; j++) {
        m[(b * Tq + 1) * Tk + j] = -Infinity;
        m[(b * Tq + 2) * Tk + j] = -3.4028234663852886e38;
      }
      maskFor = () => on(DUT, m, [B, 1, Tq, Tk]);
    }
    const run = (dtype: 'float32' | 'bfloat16') => {
      const [q, k, v] = [qd, kd, vd].map((d, i) => on(DUT, d!, [B, H, i === 0 ? Tq : Tk, D]).to('bfloat16').to(dtype).requiresGrad_());
      const out = scaledDotProductAttention(q!, k!, v!, { mask: maskFor ? maskFor() : null, causal: c.causal ?? false }).out;
      out.to('float32').mul(on(DUT, gd, [B, H, Tq, D])).sum().backward();
      return [q!, k!, v!].map((t) => t.grad!.to('float32').toArray());
    };
    const half = run('bfloat16'), ref = run('float32');
    ['dq', 'dk', 'dv'].forEach((key, i) => {
      const e = relError(half[i]!, ref[i]!);
      assert.ok(e < 3e-2, `${name} ${key}: relative error ${e}`);
    });
  }
});

test('whole-tensor float32 sums (vectorised two-pass path, tails, unaligned views)', opts, () => {
  for (const n of [8192, 100003, 1 << 20]) {
    same(`sum n=${n}`, (dev) => on(dev, data(n, 40 + (n % 7)), [n]).sum(), { atol: 1e-2, rtol: 1e-5 });
    same(`sum n=${n} from offset 1`, (dev) => on(dev, data(n, 41), [n]).narrow(0, 1, n - 1).sum(), { atol: 1e-2, rtol: 1e-5 });
  }
});

test('float32 attention on TF32 tensor cores when TF32 is allowed', { skip: DUT === 'cuda' ? skipDut : 'cuda only' }, () => {
  const B = 2, H = 2, T = 197;
  for (const D of [64, 32]) {
    const [q, k, v] = [0, 1, 2].map((i) => data(B * H * T * D, 170 + i + D));
    const keep = new Int32Array(B * T).fill(1);
    for (let j = T - 9; j < T; j++) keep[T + j] = 0;
    const run = (dev: string) => scaledDotProductAttention(on(dev, q!, [B, H, T, D]), on(dev, k!, [B, H, T, D]), on(dev, v!, [B, H, T, D]),
      { mask: on(dev, keep, [B, 1, 1, T]).gt(0) }).out.toArray();
    const ref = run('cpu-js');
    setAllowTF32(true);
    let got: ArrayLike<number>;
    try {
      got = run(DUT);
    } finally {
      setAllowTF32(false);
    }
    const e = relError(got, ref);
    // TF32 rounds the operands to 10 mantissa bits: clearly above float32's error, well within TF32's
    assert.ok(e > 1e-6 && e < 1e-2, `D=${D}: TF32 attention relative error ${e}`);
    const f = relError(run(DUT), ref);
    assert.ok(f < 1e-5, `D=${D}: float32 attention relative error ${f}`);
  }
});

test('binary ops with a broadcast vector: a bias over the last dim and a value per row, both operand orders', opts, () => {
  const a = data(6 * 40, 180), b = data(40, 181, 0.5, 2), r = data(6, 182, 0.5, 2), odd = data(5 * 13, 183), ob = data(13, 184, 0.5, 2);
  for (const op of ['add', 'sub', 'mul', 'div', 'maximum'] as const) {
    same(`${op} row bias`, (dev) => on(dev, a, [6, 40])[op](on(dev, b, [40])));
    same(`${op} row bias, swapped`, (dev) => on(dev, b, [40])[op](on(dev, a, [6, 40])));
    same(`${op} per row`, (dev) => on(dev, a, [6, 40])[op](on(dev, r, [6, 1])));
    same(`${op} per row, swapped`, (dev) => on(dev, r, [6, 1])[op](on(dev, a, [6, 40])));
    same(`${op} odd width`, (dev) => on(dev, odd, [5, 13])[op](on(dev, ob, [13])));
  }
  same('3-D logits + bias', (dev) => on(dev, a, [2, 3, 40]).add(on(dev, b, [40])));
  same('bf16 row bias', (dev) => on(dev, a, [6, 40]).to('bfloat16').add(on(dev, b, [40]).to('bfloat16')), { atol: 0, rtol: 8e-3 });
  same('bf16 per row', (dev) => on(dev, a, [6, 40]).to('bfloat16').mul(on(dev, r, [6, 1]).to('bfloat16')), { atol: 0, rtol: 8e-3 });
  same('int32 row bias', (dev) => on(dev, randomInts(60, 50, 8), [6, 10]).add(on(dev, randomInts(10, 50, 9), [10])));
});

test('bf16 hot maps (one kernel per op) follow the reference', opts, () => {
  const x = data(256, 190);
  const ops: [string, (t: Tensor) => Tensor][] = [
    ['relu', (t) => t.relu()], ['gelu', (t) => t.gelu()], ['geluTanh', (t) => t.gelu('tanh')], ['neg', (t) => t.neg()],
    ['tanh', (t) => t.tanh()], ['sigmoid', (t) => t.sigmoid()], ['square', (t) => t.square()], ['mulScalar', (t) => t.mul(0.75)],
    ['addScalar', (t) => t.add(1.5)], ['rsqrt', (t) => t.abs().add(0.5).rsqrt()],
  ];
  for (const [name, f] of ops) same(`bf16 ${name}`, (dev) => f(on(dev, x, [16, 16]).to('bfloat16')), { atol: 1e-2, rtol: 1e-2 });
});

test('row kernels at every width class: softmax, log-softmax and layer norm forward and backward', opts, () => {
  // a warp per row up to 1024 (16-byte loads when n % 4 == 0, scalar otherwise), a block per row up to 8192,
  // the memory-walking kernels above; rows not a multiple of the 8 rows per block
  for (const [rows, n] of [[9, 1], [9, 5], [11, 33], [9, 128], [9, 130], [7, 768], [9, 1000], [5, 1024], [5, 1028], [3, 2047], [3, 4096], [2, 8192], [2, 8195]]) {
    const x = data(rows * n, 500 + n, -4, 4), g = data(rows * n, 600 + n);
    for (const fn of [softmax, logSoftmax]) {
      same(`${fn.name} ${rows}x${n}`, (dev) => {
        const t = on(dev, x, [rows, n]).requiresGrad_();
        const y = fn(t, -1);
        y.mul(on(dev, g, [rows, n])).sum().backward();
        return [y, t.grad!];
      }, { atol: 1e-5, rtol: 1e-4 });
    }
    for (const affine of [true, false]) {
      same(`layerNorm ${rows}x${n}${affine ? '' : ' without affine'}`, (dev) => {
        const t = on(dev, x, [rows, n]).requiresGrad_();
        const w = on(dev, data(n, 700 + n, 0.5, 1.5), [n]).requiresGrad_(), b = on(dev, data(n, 800 + n), [n]).requiresGrad_();
        const y = affine ? layerNorm(t, [n], w, b, 1e-5) : layerNorm(t, [n], undefined, undefined, 1e-5);
        y.mul(on(dev, g, [rows, n])).sum().backward();
        return affine ? [y, t.grad!, w.grad!, b.grad!] : [y, t.grad!];
      }, { atol: 1e-4, rtol: 1e-4 });
    }
  }
  // more rows than resident warps: the backward walks rows grid-stride and sums per-block column partials
  same('layerNorm 6000x64 backward', (dev) => {
    const t = on(dev, data(6000 * 64, 901), [6000, 64]).requiresGrad_();
    const w = on(dev, data(64, 902, 0.5, 1.5), [64]).requiresGrad_(), b = on(dev, data(64, 903), [64]).requiresGrad_();
    layerNorm(t, [64], w, b, 1e-5).mul(on(dev, data(6000 * 64, 904), [6000, 64])).sum().backward();
    return [t.grad!, w.grad!, b.grad!];
  }, { atol: 2e-3, rtol: 1e-4 });
});

test('addLayerNorm (inference) matches layerNorm(x + residual); half inputs are read as they are', opts, () => {
  if (DUT === 'cuda') assert.equal(typeof getBackend(DUT).addLayerNorm, 'function', 'cuda declares addLayerNorm');
  const numel = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
  const n = 768, x = data(6 * n, 200, -3, 3), r = data(6 * n, 201, -3, 3), w = data(n, 202, 0.5, 1.5), b = data(n, 203);
  const norm = (dev: string, shape: number[], weight: boolean, bias: boolean) => noGrad(() => addLayerNorm(on(dev, x.subarray(0, numel(shape)), shape), on(dev, r.subarray(0, numel(shape)), shape),
    [shape.at(-1)!], weight ? on(dev, w.subarray(0, shape.at(-1)!), [shape.at(-1)!]) : null, bias ? on(dev, b.subarray(0, shape.at(-1)!), [shape.at(-1)!]) : null, 1e-5));
  same('addLayerNorm 2x3x768', (dev) => norm(dev, [2, 3, n], true, true));
  same('addLayerNorm odd width, weight only', (dev) => norm(dev, [18, 37], true, false), { atol: 5e-5, rtol: 5e-5 });
  same('addLayerNorm no affine, one row', (dev) => norm(dev, [1, 500], false, false));
  if (DUT !== 'cuda') return;
  // autocast's projections come out in bf16 / f16: the kernel reads them without a cast pass
  const be = getBackend(DUT);
  for (const dt of ['bfloat16', 'float16'] as const) {
    const xs = on(DUT, x, [6, n]).to(dt), rs = on(DUT, r, [6, n]);
    const got = Tensor.fromStorage(be.addLayerNorm!(xs.storage, rs.storage, on(DUT, w, [n]).storage, on(DUT, b, [n]).storage, 6, n, 1e-5), [6, n], be);
    const want = layerNorm(on('cpu-js', x, [6, n]).to(dt).to('float32').add(on('cpu-js', r, [6, n])), [n], on('cpu-js', w, [n]), on('cpu-js', b, [n]));
    assert.equal(got.dtype, 'float32');
    assertClose(got, want, { ...F32, name: `addLayerNorm ${dt} input` });
    const both = Tensor.fromStorage(be.addLayerNorm!(xs.storage, rs.to(dt).storage, null, null, 6, n, 1e-5), [6, n], be);
    assertClose(both, layerNorm(on('cpu-js', x, [6, n]).to(dt).to('float32').add(on('cpu-js', r, [6, n]).to(dt).to('float32')), [n]),
      { ...F32, name: `addLayerNorm ${dt} both` });
  }
});

test('attention dropout: the keep rate, the 1/(1-p) scale, and the same draws in the backward', opts, () => {
  // one key: every probability is 1, so out = keep * v / (1 - p)
  const p = 0.25, T = 4096;
  const v = tensor(new Float32Array(8).fill(2), { shape: [1, 1, 1, 8], device: DUT });
  const q = tensor(new Float32Array(T * 8).fill(0.1), { shape: [1, 1, T, 8], device: DUT });
  const k = tensor(new Float32Array(8).fill(0.1), { shape: [1, 1, 1, 8], device: DUT });
  const out = scaledDotProductAttention(q, k, v, { dropoutP: p }).out.toArray();
  let zeros = 0;
  for (let i = 0; i < T; i++) {
    const x = out[i * 8]!;
    if (x === 0) zeros++;
    else assert.ok(Math.abs(x - 2 / (1 - p)) < 1e-5, `kept value ${x}`);
  }
  assert.ok(Math.abs(zeros / T - p) < 0.03, `dropped fraction ${zeros / T}`);
  // with the generator state fixed, attention with dropout is a deterministic function: finite differences agree
  const be = getBackend(DUT);
  const state = be.getRngState();
  const B = 1, H = 2, Tq = 12, D = 8;
  const qd = data(B * H * Tq * D, 95), kd = data(B * H * Tq * D, 96), vd = data(B * H * Tq * D, 97), wd = data(B * H * Tq * D, 98);
  const f = (qq: Tensor) => {
    be.setRngState(state);
    return scaledDotProductAttention(qq, on(DUT, kd, [B, H, Tq, D]), on(DUT, vd, [B, H, Tq, D]), { dropoutP: 0.3, causal: true }).out.mul(on(DUT, wd, [B, H, Tq, D])).sum();
  };
  const qv = on(DUT, qd, [B, H, Tq, D]).requiresGrad_();
  f(qv).backward();
  const grad = qv.grad!.toArray();
  const dir = data(qd.length, 99);
  let analytic = 0;
  for (let i = 0; i < dir.length; i++) analytic += grad[i]! * dir[i]!;
  const eps = 1e-2;
  const plus = f(on(DUT, Float32Array.from(qd, (x, i) => x + eps * dir[i]!), [B, H, Tq, D])).item();
  const minus = f(on(DUT, Float32Array.from(qd, (x, i) => x - eps * dir[i]!), [B, H, Tq, D])).item();
  const numeric = (plus - minus) / (2 * eps);
  assert.ok(Math.abs(analytic - numeric) < 1e-2 * Math.max(1, Math.abs(numeric)), `directional derivative: autograd ${analytic} vs finite difference ${numeric}`);
});

test('float32 attention backward on TF32 tensor cores when TF32 is allowed (masks, causal, strided q/k/v)', { skip: DUT === 'cuda' ? skipDut : 'cuda only' }, () => {
  const B = 2, H = 2;
  for (const [D, Tq, Tk, causal] of [[64, 197, 197, false], [32, 70, 70, true], [64, 40, 130, true], [64, 130, 67, false]] as const) {
    const [qd, kd, vd, gd] = [0, 1, 2, 3].map((i) => data(B * H * Math.max(Tq, Tk) * D * 3, 900 + i + D + Tq));
    const keep = new Int32Array(B * Tk).fill(1);
    for (let j = Tk - 9; j < Tk; j++) keep[Tk + j] = 0;
    const run = (dev: string) => {
      // q, k and v as head views of one (B, T, 3, H, D) projection: (b, h, t) strides, unit stride along D
      const qkv = on(dev, qd!.subarray(0, B * Tq * 3 * H * D), [B, Tq, 3, H, D]).requiresGrad_();
      const kvx = on(dev, kd!.subarray(0, B * Tk * 3 * H * D), [B, Tk, 3, H, D]).requiresGrad_();
      const q = qkv.select(2, 0).permute(0, 2, 1, 3), k = kvx.select(2, 1).permute(0, 2, 1, 3), v = kvx.select(2, 2).permute(0, 2, 1, 3);
      const mask = causal ? undefined : on(dev, keep, [B, 1, 1, Tk]).gt(0);
      const out = scaledDotProductAttention(q, k, v, { mask, causal }).out;
      out.mul(on(dev, gd!.subarray(0, B * H * Tq * D), [B, H, Tq, D])).sum().backward();
      return [out, qkv.grad!, kvx.grad!].map((t) => t.toArray());
    };
    const ref = run('cpu-js');
    setAllowTF32(true);
    let got: ArrayLike<number>[];
    try {
      got = run(DUT);
    } finally {
      setAllowTF32(false);
    }
    ['out', 'dq', 'dk/dv'].forEach((name, i) => {
      const e = relError(got[i]!, ref[i]!);
      // TF32 rounds the operands to 10 mantissa bits: clearly above float32's error (checked below), well within TF32's
      assert.ok(e > 2e-5 && e < 1e-2, `D=${D} Tq=${Tq} Tk=${Tk}${causal ? ' causal' : ''}: TF32 ${name} relative error ${e}`);
    });
    const f = run(DUT);
    ['out', 'dq', 'dk/dv'].forEach((name, i) => {
      const e = relError(f[i]!, ref[i]!);
      assert.ok(e < 1e-5, `D=${D} Tq=${Tq} Tk=${Tk}: float32 ${name} relative error ${e}`);
    });
  }
});

test('bf16 attention on strided head views: gradients come back in (B, T, H, D) order and match float32', { skip: DUT === 'cuda' ? skipDut : 'cuda only' }, () => {
  // q, k, v as head views of (B, T, 3, H, D) projections: the backward writes dq/dk/dv with heads merged, so
  // the projections' gradients are views; an odd length, cross-attention lengths, head dims 32 and 64, causal.
  // self: q, k and v from one projection, whose gradient the backward writes whole (no slice copies)
  const B = 2, H = 3;
  for (const [D, Tq, Tk, causal, self] of [[64, 197, 197, false, false], [32, 70, 70, true, false], [64, 40, 130, false, false],
    [64, 197, 197, false, true], [32, 131, 131, true, true]] as const) {
    const [qd, kd, gd] = [0, 1, 2].map((i) => data(B * Math.max(Tq, Tk) * 3 * H * D, 950 + i + D + Tq));
    const run = (dev: string, dtype: 'float32' | 'bfloat16') => {
      const qkv = on(dev, qd!.subarray(0, B * Tq * 3 * H * D), [B, Tq, 3, H, D]).to('bfloat16').to(dtype).requiresGrad_();
      const kvx = self ? qkv : on(dev, kd!.subarray(0, B * Tk * 3 * H * D), [B, Tk, 3, H, D]).to('bfloat16').to(dtype).requiresGrad_();
      const q = qkv.select(2, 0).permute(0, 2, 1, 3), k = kvx.select(2, 1).permute(0, 2, 1, 3), v = kvx.select(2, 2).permute(0, 2, 1, 3);
      const out = scaledDotProductAttention(q, k, v, { causal }).out;
      out.to('float32').mul(on(dev, gd!.subarray(0, B * H * Tq * D), [B, H, Tq, D])).sum().backward();
      return [out, qkv.grad!, kvx.grad!].map((t) => t.to('float32').toArray());
    };
    const ref = run('cpu-js', 'float32'), got = run(DUT, 'bfloat16');
    ['out', 'dq', 'dk/dv'].forEach((name, i) => {
      const e = relError(got[i]!, ref[i]!);
      assert.ok(e < 2e-2, `D=${D} Tq=${Tq} Tk=${Tk}${causal ? ' causal' : ''}${self ? ' self' : ''}: bf16 ${name} relative error ${e}`);
    });
  }
});

test('attention dropout on tensor cores draws what the float32 kernels draw (bf16 and TF32, forward and backward)', { skip: DUT === 'cuda' ? skipDut : 'cuda only' }, () => {
  // the tensor-core forward keeps its draws as bits for the backward; the float32 kernels draw them again
  const be = getBackend(DUT);
  const state = be.getRngState();
  const H = 2;
  // Tk % 4 == 0 (draws shared by lane pairs), Tk % 4 == 2, odd Tk; several key tiles (the forward's
  // double-buffered K/V copies); causal; an odd length with a key-padding mask over two sequences (key blocks
  // and query tiles past the end, bit rows padded to even); head dim 32
  for (const [B, T, D, causal, padded] of [[1, 128, 64, false, false], [1, 70, 64, false, false], [1, 67, 64, false, false], [1, 200, 64, true, false],
    [2, 197, 64, false, true], [2, 131, 32, true, true]] as const) {
    const [qd, kd, vd, gd] = [0, 1, 2, 3].map((i) => data(B * H * T * D, 300 + i + T));
    const keep = new Int32Array(B * T).fill(1);
    for (let j = T - 11; j < T; j++) keep[(B - 1) * T + j] = 0;
    const run = (dtype: 'float32' | 'bfloat16', tf32 = false) => {
      be.setRngState(state);
      const [q, k, v] = [qd, kd, vd].map((d) => on(DUT, d!, [B, H, T, D]).to('bfloat16').to(dtype).requiresGrad_());
      const mask = padded ? on(DUT, keep, [B, 1, 1, T]).gt(0) : undefined;
      setAllowTF32(tf32);
      try {
        const out = scaledDotProductAttention(q!, k!, v!, { dropoutP: 0.2, causal, mask }).out;
        out.to('float32').mul(on(DUT, gd!, [B, H, T, D])).sum().backward();
        return [out, q!.grad!, k!.grad!, v!.grad!].map((t) => t.to('float32').toArray());
      } finally {
        setAllowTF32(false);
      }
    };
    const ref = run('float32'), half = run('bfloat16'), tf32 = run('float32', true);
    ['out', 'dq', 'dk', 'dv'].forEach((name, i) => {
      const e = relError(half[i]!, ref[i]!);
      assert.ok(e < 2e-2, `B=${B} T=${T} D=${D}${causal ? ' causal' : ''}${padded ? ' padded' : ''} bf16 ${name}: relative error ${e} (a different dropout mask gives ~0.5)`);
    });
    ['out', 'dq', 'dk', 'dv'].forEach((name, i) => {
      const e = relError(tf32[i]!, ref[i]!);
      assert.ok(e < 1e-2, `B=${B} T=${T} D=${D}${causal ? ' causal' : ''}${padded ? ' padded' : ''} TF32 ${name}: relative error ${e} (a different dropout mask gives ~0.5)`);
    });
  }
});

test('AdamW steps (one multi-tensor launch per step) match the reference', opts, () => {
  same('adamw', (dev) => {
    const ps = [on(dev, data(100, 110), [10, 10]), on(dev, data(7, 111), [7]), on(dev, data(3000, 112), [3000])].map((t) => t.requiresGrad_());
    const opt = new optim.AdamW(ps, { lr: 1e-2, weightDecay: 0.1 });
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      ps.map((p, i) => p.square().mul(i + 1).sum()).reduce((a, b) => a.add(b)).backward();
      opt.step();
    }
    return ps.map((p) => p.detach());
  }, { atol: 1e-6, rtol: 1e-5 });
});

test('LSTM cell forward and backward', opts, () => {
  same('lstmCell', (dev) => {
    const g = on(dev, data(3 * 4 * 5, 120), [3, 20]).requiresGrad_(), c = on(dev, data(15, 121), [3, 5]).requiresGrad_();
    const r = lstmCell(g, c);
    r.h.mul(2).add(r.c.square()).sum().backward();
    return [r.h, r.c, g.grad!, c.grad!];
  });
});
