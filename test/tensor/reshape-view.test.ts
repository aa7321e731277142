// reshape of a strided tensor is a view when its memory allows (as torch.Tensor.view), a copy otherwise;
// values and gradients are the same either way.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { arange, randn } from '../../src/index.js';
import { viewStrides } from '../../src/tensor/shape.js';
import { forEachDevice } from '../helpers/devices.js';
import { assertClose } from '../helpers/assert.js';

it('viewStrides splits and merges contiguous runs and refuses the rest', () => {
  assert.deepEqual(viewStrides([2, 3, 12], [108, 36, 1], [2, 3, 4, 3]), [108, 36, 3, 1]);
  assert.deepEqual(viewStrides([4, 3], [3, 1], [2, 2, 3]), [6, 3, 1]);
  assert.deepEqual(viewStrides([3, 1, 4], [4, 99, 1], [12]), [1]);
  assert.deepEqual(viewStrides([2, 3, 4], [24, 4, 1], [2, 12]), [24, 1]);
  assert.equal(viewStrides([2, 3, 4], [12, 1, 3], [6, 4]), null);
  assert.equal(viewStrides([2, 4], [1, 2], [8]), null);
  assert.equal(viewStrides([2, 3, 4], [24, 4, 1], [24]), null);
  assert.deepEqual(viewStrides([0, 3], [3, 1], [3, 0]), [1, 1]);
});

forEachDevice('reshape of strided tensors', (device) => {
  it('a narrowed last dim splits into heads without a copy, same values', () => {
    const qkv = arange(0, 2 * 3 * 12, 1, { device }).reshape([2, 3, 12]);
    const k = qkv.narrow(2, 4, 4);
    const heads = k.reshape([2, 3, 2, 2]);
    assert.equal(heads.storage, qkv.storage, 'a view of the same storage');
    assertClose(heads, k.contiguous().reshape([2, 3, 2, 2]), { atol: 0 });
  });

  it('a transposed tensor still reshapes through a copy', () => {
    const x = randn([3, 4], { device });
    const t = x.transpose(0, 1).reshape([12]);
    assert.notEqual(t.storage, x.storage);
    assertClose(t, x.transpose(0, 1).contiguous().reshape([12]), { atol: 0 });
  });

  it('gradients flow through a strided reshape view', () => {
    const x = randn([2, 3, 8], { device, requiresGrad: true });
    const w = randn([2, 3, 2, 2], { device });
    x.narrow(2, 2, 4).reshape([2, 3, 2, 2]).mul(w).sum().backward();
    const g = x.grad!.toArray();
    const wv = w.toArray();
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 8; j++) {
        const expected = j >= 2 && j < 6 ? wv[i * 4 + (j - 2)]! : 0;
        assert.ok(Math.abs(g[i * 8 + j]! - expected) < 1e-6, `grad [${i}, ${j}]`);
      }
    }
  });
});
