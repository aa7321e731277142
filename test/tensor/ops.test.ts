// Forward values of the tensor ops against hand-computed results, strided/broadcast inputs against their
// contiguous copies, dtype rules, and the errors a user can cause. Run on every device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arange, cat, conv2d, crossEntropy, dropout, full, layerNorm, manualSeed, ones, rand, randn, scaledDotProductAttention,
  setFusedOps, softmax, stack, tensor, where, zeros, ShapeError, TesseraError, type Tensor,
} from '../../src/index.js';
import { assertClose } from '../helpers/assert.js';
import { forEachDevice } from '../helpers/devices.js';

forEachDevice('tensor ops', (device) => {
  const t = (data: Parameters<typeof tensor>[0], opts: Parameters<typeof tensor>[1] = {}) => tensor(data, { device, ...opts });

  test('creation, shape, dtype, device, toList, item', () => {
    const a = t([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(a.shape, [2, 3]);
    assert.equal(a.dtype, 'float32');
    assert.equal(a.device, device);
    assert.deepEqual(a.toList(), [[1, 2, 3], [4, 5, 6]]);
    assert.equal(t(3.5).item(), 3.5);
    assert.deepEqual(zeros([2], { device }).toList(), [0, 0]);
    assert.deepEqual(full([2], 7, { device, dtype: 'int32' }).toList(), [7, 7]);
    assert.deepEqual(arange(5, undefined, 1, { device }).toList(), [0, 1, 2, 3, 4]);
    assert.equal(arange(3, undefined, 1, { device }).dtype, 'int64');
    assert.deepEqual(arange(0, 1, 0.25, { device }).toList(), [0, 0.25, 0.5, 0.75]);
    assert.throws(() => t(1).reshape([2]), ShapeError);
  });

  test('bf16 and f16 storage round trips and arithmetic', () => {
    const a = t([1.5, -2.25, 3.0078125, 65504]);
    const b = a.to('bfloat16');
    assert.equal(b.dtype, 'bfloat16');
    assert.deepEqual(Array.from(b.toArray()), [1.5, -2.25, 3.0, 65536]); // bf16 has 8 bits of mantissa
    const h = a.to('float16');
    assert.deepEqual(Array.from(h.toArray()), [1.5, -2.25, 3.0078125, 65504]);
    const s = b.add(b);
    assert.equal(s.dtype, 'bfloat16');
    assert.deepEqual(Array.from(s.toArray()), [3, -4.5, 6, 131072]);
    assert.equal(b.add(h).dtype, 'float32');
  });

  test('views: reshape, permute, transpose, narrow, slice, expand, squeeze, chunk', () => {
    const a = arange(24, undefined, 1, { device, dtype: 'float32' }).reshape([2, 3, 4]);
    assert.deepEqual(a.permute(2, 0, 1).shape, [4, 2, 3]);
    assert.deepEqual(a.permute(2, 0, 1).contiguous().toArray().slice(0, 6), Float32Array.from([0, 4, 8, 12, 16, 20]));
    assert.deepEqual(a.transpose(0, 2).reshape([-1]).toArray().slice(0, 4), Float32Array.from([0, 12, 4, 16]));
    assert.deepEqual(a.narrow(2, 1, 2).toList(), [[[1, 2], [5, 6], [9, 10]], [[13, 14], [17, 18], [21, 22]]]);
    assert.deepEqual(a.slice(1, -1).reshape([-1]).toList(), [8, 9, 10, 11, 20, 21, 22, 23]);
    assert.deepEqual(t([[1], [2]]).expand(2, 3).toList(), [[1, 1, 1], [2, 2, 2]]);
    assert.deepEqual(t([[1, 2]]).squeeze().shape, [2]);
    assert.deepEqual(a.chunk(2, 2).map((c) => c.shape), [[2, 3, 2], [2, 3, 2]]);
    assert.deepEqual(a.select(0, 1).shape, [3, 4]);
    assert.throws(() => a.narrow(1, 2, 2), /out of bounds/);
    assert.throws(() => a.reshape([5, -1]), /cannot reshape/);
    assert.throws(() => a.permute(0, 0, 1), /not a permutation/);
  });

  test('broadcasting elementwise ops and promotion', () => {
    const a = t([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(a.add(t([10, 20, 30])).toList(), [[11, 22, 33], [14, 25, 36]]);
    assert.deepEqual(a.mul(t([[2], [3]])).toList(), [[2, 4, 6], [12, 15, 18]]);
    assert.deepEqual(a.sub(1).div(2).toList(), [[0, 0.5, 1], [1.5, 2, 2.5]]);
    assert.deepEqual(t([1, 2, 3], { dtype: 'int32' }).add(1).dtype, 'int32');
    assert.deepEqual(t([1, 2, 3], { dtype: 'int32' }).div(2).toList(), [0.5, 1, 1.5]);
    assert.deepEqual(t([1, 2], { dtype: 'int64' }).mul(0.5).dtype, 'float32');
    assert.throws(() => a.add(t([1, 2])), (e: Error) => e instanceof ShapeError && /\[2, 3\] and \[2\]/.test(e.message));
  });

  test('math functions', () => {
    const x = t([-1, 0, 0.5, 2]);
    assertClose(x.exp(), [Math.exp(-1), 1, Math.exp(0.5), Math.exp(2)], { atol: 1e-6 });
    assertClose(x.tanh(), [-1, 0, 0.5, 2].map(Math.tanh), { atol: 1e-6 });
    assertClose(x.sigmoid(), [-1, 0, 0.5, 2].map((v) => 1 / (1 + Math.exp(-v))), { atol: 1e-6 });
    // torch.nn.functional.gelu(x) and gelu(x, approximate='tanh') values
    assertClose(x.gelu(), [-0.15865525, 0, 0.34573123, 1.95449974], { atol: 1e-6 });
    assertClose(x.gelu('tanh'), [-0.15880801, 0, 0.34571401, 1.95459769], { atol: 1e-6 });
    assertClose(x.erf(), [-0.84270079, 0, 0.52049988, 0.99532227], { atol: 1e-6 });
    assert.deepEqual(x.relu().toList(), [0, 0, 0.5, 2]);
    assert.deepEqual(x.clamp(-0.5, 1).toList(), [-0.5, 0, 0.5, 1]);
    assert.deepEqual(x.abs().toList(), [1, 0, 0.5, 2]);
    assert.deepEqual(t([0.5, 1.5, 2.5, -0.5]).round().toList(), [0, 2, 2, -0]);
    assertClose(t([4, 9]).rsqrt(), [0.5, 1 / 3], { atol: 1e-7 });
    assert.deepEqual(t([2, 3]).pow(t([3, 2])).toList(), [8, 9]);
  });

  test('comparisons, where, maskedFill', () => {
    const x = t([1, 2, 3, 4]);
    assert.equal(x.gt(2).dtype, 'bool');
    assert.deepEqual(x.gt(2).toList(), [0, 0, 1, 1]);
    assert.deepEqual(x.eq(t([1, 0, 3, 0])).toList(), [1, 0, 1, 0]);
    assert.deepEqual(where(x.le(2), x, t(0)).toList(), [1, 2, 0, 0]);
    assert.deepEqual(x.maskedFill(x.ne(3), -1).toList(), [-1, -1, 3, -1]);
    const labels = t([5, 6, 7], { dtype: 'int64' });
    const masked = labels.maskedFill(t([true, false, true]), -100);
    assert.equal(masked.dtype, 'int64');
    assert.deepEqual(masked.toList(), [-100, 6, -100]);
    assert.deepEqual(x.gt(1).logicalAnd(x.lt(4)).toList(), [0, 1, 1, 0]);
    assert.deepEqual(x.gt(2).logicalNot().toList(), [1, 1, 0, 0]);
  });

  test('reductions over any axes', () => {
    const a = arange(24, undefined, 1, { device, dtype: 'float32' }).reshape([2, 3, 4]);
    assert.deepEqual(a.sum([0, 2]).toList(), [60, 92, 124]);
    assert.deepEqual(a.sum(1, true).shape, [2, 1, 4]);
    assert.equal(a.sum().item(), 276);
    assert.deepEqual(a.mean(2).toList(), [[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]);
    assert.deepEqual(a.max(2).toList(), [[3, 7, 11], [15, 19, 23]]);
    assert.deepEqual(a.min([0, 1]).toList(), [0, 1, 2, 3]);
    assert.deepEqual(t([[1, 5, 2], [7, 0, 7]]).argmax(1).toList(), [1, 0]);
    assert.equal(t([[1, 5, 2], [7, 0, 7]]).argmax(1).dtype, 'int64');
    assert.deepEqual(t([[1, 5, 2], [7, 0, 7]]).argmin().toList(), 4);
    assertClose(t([1, 2, 3, 4]).var(), [1.6666666], { atol: 1e-6 });
    assertClose(t([1, 2, 3, 4]).var(0, false, 0), [1.25], { atol: 1e-6 });
    // strided input equals its contiguous copy
    const p = a.permute(2, 1, 0);
    assertClose(p.sum([1]), p.contiguous().sum([1]), { atol: 0 });
  });

  test('matmul: 2-D, batched with broadcasting, transposed operands, 1-D', () => {
    const a = t([[1, 2], [3, 4], [5, 6]]);
    const b = t([[1, 0, 2], [0, 1, 3]]);
    assert.deepEqual(a.matmul(b).toList(), [[1, 2, 8], [3, 4, 18], [5, 6, 28]]);
    assert.deepEqual(b.T.matmul(a.T).toList(), [[1, 3, 5], [2, 4, 6], [8, 18, 28]]);
    manualSeed(1);
    const x = randn([2, 1, 5, 7], { device }), y = randn([3, 7, 4], { device });
    const z = x.matmul(y);
    assert.deepEqual(z.shape, [2, 3, 5, 4]);
    // check one batch entry against a 2-D product
    assertClose(z.select(0, 1).select(0, 2), x.select(0, 1).select(0, 0).matmul(y.select(0, 2)), { atol: 1e-5 });
    assert.deepEqual(t([1, 2]).matmul(t([3, 4])).toList(), 11);
    // a matrix big enough to cross the kernel's blocking (and its remainder rows)
    const m = randn([67, 130], { device }), n = randn([130, 515], { device });
    const ref = m.toArray(), nr = n.toArray(), out = m.matmul(n).toArray();
    let worst = 0;
    for (const [i, j] of [[0, 0], [66, 514], [33, 257], [65, 512]] as const) {
      let s = 0;
      for (let k = 0; k < 130; k++) s += ref[i * 130 + k]! * nr[k * 515 + j]!;
      worst = Math.max(worst, Math.abs(s - out[i * 515 + j]!));
    }
    assert.ok(worst < 1e-3, `blocked matmul error ${worst}`);
    assert.throws(() => a.matmul(a), /inner dims 2 and 3/);
  });

  test('cat, stack, split, indexSelect, gather, embedding range check', () => {
    const a = t([[1, 2], [3, 4]]), b = t([[5, 6]]);
    assert.deepEqual(cat([a, b], 0).toList(), [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(stack([a, a], 1).shape, [2, 2, 2]);
    assert.throws(() => cat([a, t([[1, 2, 3]])], 0), ShapeError);
    const w = t([[0, 0], [1, 1], [2, 2]]);
    assert.deepEqual(w.indexSelect(0, t([2, 0, 2], { dtype: 'int64' })).toList(), [[2, 2], [0, 0], [2, 2]]);
    assert.throws(() => w.indexSelect(0, t([3], { dtype: 'int32' })), (e: Error) => e instanceof TesseraError && /index 3 is out of range .* size 3/.test(e.message));
    assert.deepEqual(t([[1, 2, 3], [4, 5, 6]]).gather(1, t([[2, 0], [1, 1]], { dtype: 'int64' })).toList(), [[3, 1], [5, 5]]);
  });

  test('softmax, layer norm, cross-entropy values; fused equals composed', () => {
    manualSeed(3);
    const x = randn([4, 6], { device }).mul(3);
    for (const fusedMode of [true, false]) {
      setFusedOps(fusedMode);
      try {
        const s = softmax(x);
        assertClose(s.sum(-1), [1, 1, 1, 1], { atol: 1e-6 });
        const ln = layerNorm(x, [6]);
        assertClose(ln.mean(-1), [0, 0, 0, 0], { atol: 1e-6 });
        assertClose(ln.var(-1, false, 0), [1, 1, 1, 1], { atol: 1e-4 });
        // torch: F.cross_entropy(tensor([[1.,2.,3.],[1.,0.,0.]]), tensor([2, 0])) = 0.47952533
        const ce = crossEntropy(t([[1, 2, 3], [1, 0, 0]]), t([2, 0], { dtype: 'int64' }));
        assertClose(ce, [0.47952533], { atol: 1e-6 });
        // label_smoothing=0.1, row 3 ignored: per row 0.9 * nll + 0.1 * (lse - mean(logits)), i.e.
        // (0.9 * 0.40760596 + 0.1 * 1.40760596 + 0.9 * 0.55144471 + 0.1 * 1.21811138) / 2
        const ces = crossEntropy(t([[1, 2, 3], [1, 0, 0], [5, 5, 5]]), t([2, 0, -100], { dtype: 'int64' }), { labelSmoothing: 0.1 });
        assertClose(ces, [0.56285867], { atol: 1e-6 });
      } finally {
        setFusedOps(true);
      }
    }
    assert.throws(() => crossEntropy(t([[1, 2]]), t([2], { dtype: 'int64' })), /target 2 is out of range for 2 classes|out of range/);
  });

  test('attention: fused and composed agree, with mask, causal, probabilities', () => {
    manualSeed(5);
    const q = randn([2, 3, 4, 8], { device }), k = randn([2, 3, 6, 8], { device }), v = randn([2, 3, 6, 8], { device });
    const mask = where(rand([2, 1, 1, 6], { device }).gt(0.7), -Infinity, 0);
    const runs = [true, false].map((f) => {
      setFusedOps(f);
      try {
        return scaledDotProductAttention(q, k, v, { mask, causal: true, returnProbs: true });
      } finally {
        setFusedOps(true);
      }
    });
    assertClose(runs[0]!.out, runs[1]!.out, { atol: 1e-5 });
    assertClose(runs[0]!.probs!, runs[1]!.probs!, { atol: 1e-6 });
    // causal with Tk > Tq: query i sees keys up to i + 2
    const p = runs[0]!.probs!.toArray();
    assert.equal(p[0 * 6 + 3], 0);
    assert.equal(p[0 * 6 + 4], 0);
  });

  test('dropout: train only, scaled, seeded, gradient through the same mask', () => {
    const x = ones([10000], { device }).requiresGrad_(true);
    manualSeed(11);
    const y = dropout(x, 0.3, true);
    const vals = y.toArray();
    const kept = vals.filter((v) => v !== 0).length;
    assert.ok(Math.abs(kept / 10000 - 0.7) < 0.03, `kept ${kept}`);
    assert.ok(vals.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
    y.sum().backward();
    assert.deepEqual(Array.from(x.grad!.toArray()), Array.from(vals));
    manualSeed(11);
    assert.deepEqual(Array.from(dropout(x.detach(), 0.3, true).toArray()), Array.from(vals));
    assert.equal(dropout(x, 0.3, false), x);
  });

  test('conv2d: a 2x2 stride-2 patch embedding equals a reshape + matmul', () => {
    manualSeed(2);
    const img = randn([2, 3, 4, 4], { device }), w = randn([5, 3, 2, 2], { device }), b = randn([5], { device });
    const y = conv2d(img, w, b, 2);
    assert.deepEqual(y.shape, [2, 5, 2, 2]);
    // patches (B, 3, 2, 2, 2, 2) -> (B, Hp, Wp, 3*2*2)
    const patches = img.reshape([2, 3, 2, 2, 2, 2]).permute(0, 2, 4, 1, 3, 5).reshape([2, 2, 2, 12]);
    const ref = patches.matmul(w.reshape([5, 12]).T).add(b).permute(0, 3, 1, 2);
    assertClose(y, ref, { atol: 1e-5 });
    assert.throws(() => conv2d(img, randn([5, 2, 2, 2], { device })), /3 channels/);
  });

  test('random: seeded and reproducible; normal moments', () => {
    manualSeed(42);
    const a = Array.from(randn([1000], { device }).toArray());
    manualSeed(42);
    const b = Array.from(randn([1000], { device }).toArray());
    assert.deepEqual(a, b);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const v = a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length;
    assert.ok(Math.abs(mean) < 0.1 && Math.abs(v - 1) < 0.15, `mean ${mean} var ${v}`);
    const u = rand([1000], { device }).toArray();
    assert.ok(u.every((x) => x >= 0 && x < 1));
  });
});

test('tensors on different devices name the op, shapes and devices', () => {
  const a = tensor([1, 2], { device: 'cpu-js' });
  const other: Tensor = Object.create(a, { backend: { value: { device: 'elsewhere' } } });
  assert.throws(() => a.add(other), /add: tensors on different devices: \[2\] on cpu-js and \[2\] on elsewhere/);
});
