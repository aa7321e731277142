// addLayerNorm (LayerNorm(x + residual)): the fused inference kernel equals add then layerNorm, and with
// autograd it is exactly add then layerNorm (gradients to x, residual, weight and bias).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { nn, noGrad, randn } from '../../src/index.js';
import { addLayerNorm, layerNorm } from '../../src/tensor/ops/fused.js';
import { forEachDevice } from '../helpers/devices.js';
import { assertClose } from '../helpers/assert.js';

forEachDevice('addLayerNorm', (device) => {
  it('inference: equals layerNorm(x + residual), with and without affine parameters, odd widths', () => {
    for (const n of [1, 7, 64, 259]) {
      const x = randn([3, 5, n], { device }), r = randn([3, 5, n], { device });
      const w = randn([n], { device }), b = randn([n], { device });
      for (const [ww, bb] of [[w, b], [null, null], [w, null]] as const) {
        const got = noGrad(() => addLayerNorm(x, r, [n], ww, bb, 1e-12));
        const want = noGrad(() => layerNorm(x.add(r), [n], ww, bb, 1e-12));
        assertClose(got, want, { atol: 2e-6, name: `n=${n}` });
      }
    }
  });

  it('with autograd: the same values and gradients as add then layerNorm', () => {
    const ln = new nn.LayerNorm(6, { device });
    const x = randn([4, 6], { device, requiresGrad: true }), r = randn([4, 6], { device, requiresGrad: true });
    const g = randn([4, 6], { device });
    ln.forward(x, r).mul(g).sum().backward();
    const [gx, gr, gw, gb] = [x.grad!, r.grad!, ln.weight!.grad!, ln.bias!.grad!];
    x.grad = null; r.grad = null; ln.zeroGrad();
    ln.forward(x.add(r)).mul(g).sum().backward();
    assertClose(gx, x.grad!, { atol: 1e-6, name: 'dx' });
    assertClose(gr, r.grad!, { atol: 1e-6, name: 'dresidual' });
    assertClose(gw, ln.weight!.grad!, { atol: 1e-6, name: 'dweight' });
    assertClose(gb, ln.bias!.grad!, { atol: 1e-6, name: 'dbias' });
  });

  it('shapes that do not match fall back to add (broadcasting) then layerNorm', () => {
    const x = randn([2, 3, 4], { device }), r = randn([4], { device });
    const got = noGrad(() => addLayerNorm(x, r, [4]));
    assertClose(got, noGrad(() => layerNorm(x.add(r), [4])), { atol: 1e-6 });
    assert.deepEqual(got.shape, [2, 3, 4]);
  });
});
