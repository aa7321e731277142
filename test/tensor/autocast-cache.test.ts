// The autocast cast cache: parameters are cast to the half type once per outermost autocast scope, recast
// after an in-place update, and the cached copy still carries gradients across several backward passes.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { clearAutocastCache, getBackend, manualSeed, nn, noGrad, optim, randn, tidy, withAutocast } from '../../src/index.js';
import { autocastOperand } from '../../src/tensor/autocast.js';
import { keep } from '../../src/tensor/scope.js';
import { forEachDevice } from '../helpers/devices.js';
import { assertClose } from '../helpers/assert.js';

forEachDevice('autocast cast cache', (device) => {
  const half = getBackend(device).computeDTypes.includes('bfloat16');

  it('casts a parameter once per scope; a fresh scope, an in-place update or a non-parameter casts again', () => {
    const lin = new nn.Linear(4, 3, { device });
    const w = lin.weight;
    const x = randn([2, 4], { device });
    withAutocast('bfloat16', () => {
      const a = autocastOperand(w, 'bfloat16', keep), b = autocastOperand(w, 'bfloat16', keep);
      assert.equal(a, b, 'same copy within one scope');
      assert.equal(a.dtype, 'bfloat16');
      assert.notEqual(autocastOperand(x, 'bfloat16', keep), autocastOperand(x, 'bfloat16', keep), 'activations are not cached');
      const inner = withAutocast('bfloat16', () => autocastOperand(w, 'bfloat16', keep));
      assert.equal(inner, a, 'a nested scope shares the outer cache');
      w.assign_(w.detach().mul(2));
      const c = autocastOperand(w, 'bfloat16', keep);
      assert.notEqual(c, a, 'recast after assign_');
      assertClose(c.to('float32'), w.detach().to('bfloat16').to('float32'), { atol: 0 });
      const d = noGrad(() => autocastOperand(w, 'bfloat16', keep));
      assert.notEqual(d, c, 'a copy made without autograd is not reused with it');
    });
    const e = withAutocast('bfloat16', () => autocastOperand(w, 'bfloat16', keep));
    const f = withAutocast('bfloat16', () => autocastOperand(w, 'bfloat16', keep));
    assert.notEqual(e, f, 'each outermost scope has its own cache');
  });

  it('two training steps in one scope give the gradients of two separate scopes', () => {
    manualSeed(3);
    const make = () => {
      manualSeed(3);
      return new nn.Linear(8, 5, { device });
    };
    const x = randn([6, 8], { device });
    const run = (oneScope: boolean) => {
      const lin = make();
      const opt = new optim.AdamW(lin.parameters(), { lr: 0.01 });
      const grads: number[][] = [];
      const step = () => {
        opt.zeroGrad();
        withAutocast('bfloat16', () => lin.forward(x)).to('float32').square().mean().backward();
        grads.push(Array.from(lin.weight.grad!.toArray()));
        opt.step();
      };
      if (oneScope) withAutocast('bfloat16', () => { step(); step(); });
      else { step(); step(); }
      return grads;
    };
    const a = run(true), b = run(false);
    for (let i = 0; i < 2; i++) assertClose(a[i]!, b[i]!, { atol: half ? 1e-6 : 0, name: `step ${i + 1} weight grad` });
  });

  it('inference forwards in one scope reuse the casts (they outlive the memory scopes of the forwards)', () => {
    const mlp = new nn.Linear(4, 4, { device });
    const x = randn([3, 4], { device });
    const fwd = () => tidy(() => mlp.forward(x).to('float32')).toArray();
    const [a, b] = withAutocast('bfloat16', () => noGrad(() => [fwd(), fwd()]));
    assertClose(a, b, { atol: 0 });
  });

  it('inference casts outlive the scope until the parameter changes or the cache is cleared', () => {
    const w = new nn.Linear(4, 3, { device }).weight;
    const cast = () => withAutocast('bfloat16', () => noGrad(() => autocastOperand(w, 'bfloat16', keep)));
    const a = cast();
    assert.equal(cast(), a, 'reused by the next scope');
    clearAutocastCache();
    const b = cast();
    assert.notEqual(b, a);
    w.assign_(w.detach().add(1));
    const c = cast();
    assert.notEqual(c, b, 'recast after an in-place change');
    assertClose(c.to('float32'), w.detach().to('bfloat16').to('float32'), { atol: 0 });
  });
});
