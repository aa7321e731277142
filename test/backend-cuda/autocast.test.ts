// bf16 autocast on the device: matmul, linear and attention compute in bf16 (outputs bf16) while the
// parameters and their gradients stay float32; results within bf16 tolerance of float32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linear, matmul, scaledDotProductAttention, tensor, type Tensor } from '../../src/index.js';
import { GPT2LMHeadModel, gpt2Config } from '../../src/models/gpt2/index.js';
import { withAutocast } from '../../src/tensor/autocast.js';
import { randomData, randomInts, relError, skipCuda } from './util.js';

const opts = { skip: skipCuda };
const on = (d: Float32Array, shape: number[]) => tensor(d, { shape, device: 'cuda' });

function grads(f: (x: Tensor, w: Tensor, b: Tensor) => Tensor, autocast: boolean) {
  const x = on(randomData(64 * 128, 1), [64, 128]).requiresGrad_();
  const w = on(randomData(96 * 128, 2, -0.1, 0.1), [96, 128]).requiresGrad_();
  const b = on(randomData(96, 3), [96]).requiresGrad_();
  const y = autocast ? withAutocast('bfloat16', () => f(x, w, b)) : f(x, w, b);
  y.float().square().sum().backward();
  return { y, gx: x.grad!, gw: w.grad!, gb: b.grad! };
}

test('linear and matmul run in bf16 under autocast; parameter gradients stay float32', opts, () => {
  for (const f of [(x: Tensor, w: Tensor, b: Tensor) => linear(x, w, b), (x: Tensor, w: Tensor) => matmul(x, w.T)]) {
    const ref = grads(f, false), got = grads(f, true);
    assert.equal(got.y.dtype, 'bfloat16');
    assert.equal(got.gw.dtype, 'float32');
    assert.equal(got.gx.dtype, 'float32');
    for (const k of ['y', 'gx', 'gw'] as const) {
      const e = relError(got[k].toArray(), ref[k].toArray());
      assert.ok(e < 2e-2, `${k}: relative error ${e}`);
    }
  }
});

test('attention runs in bf16 under autocast, forward and backward', opts, () => {
  const B = 2, H = 4, T = 96, D = 64;
  const run = (autocast: boolean) => {
    const q = on(randomData(B * H * T * D, 10), [B, H, T, D]).requiresGrad_();
    const k = on(randomData(B * H * T * D, 11), [B, H, T, D]).requiresGrad_();
    const v = on(randomData(B * H * T * D, 12), [B, H, T, D]).requiresGrad_();
    const f = () => scaledDotProductAttention(q, k, v, { causal: true }).out;
    const out = autocast ? withAutocast('bfloat16', f) : f();
    out.float().mul(on(randomData(B * H * T * D, 13), [B, H, T, D])).sum().backward();
    return { out, gq: q.grad!, gk: k.grad!, gv: v.grad! };
  };
  const ref = run(false), got = run(true);
  assert.equal(got.out.dtype, 'bfloat16');
  assert.equal(got.gq.dtype, 'float32');
  for (const k of ['out', 'gq', 'gk', 'gv'] as const) {
    const e = relError(got[k].toArray(), ref[k].toArray());
    assert.ok(e < 3e-2, `${k}: relative error ${e}`);
  }
});

test('a GPT-2 forward under autocast gives logits within bf16 tolerance', opts, () => {
  const model = new GPT2LMHeadModel(gpt2Config(null, { vocab_size: 300, n_positions: 64, n_layer: 2, n_head: 4, n_embd: 128 }), 'cuda').eval();
  const ids = tensor(randomInts(2 * 64, 300, 5), { shape: [2, 64], dtype: 'int64', device: 'cuda' });
  const ref = model.forward(ids).logits;
  const got = withAutocast('bfloat16', () => model.forward(ids).logits);
  const e = relError(got.float().toArray(), ref.toArray());
  assert.ok(e < 3e-2, `logits relative error ${e}`);
});
