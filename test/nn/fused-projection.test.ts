// fusedLinear: several Linear layers over one input as one matmul gives each layer's output and gradients,
// and its no-grad cache of the concatenated weights follows parameter updates.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, manualSeed, nn, noGrad, optim, randn, withAutocast } from '../../src/index.js';
import { fusedLinear } from '../../src/nn/layers/fused-projection.js';
import { forEachDevice } from '../helpers/devices.js';
import { assertClose } from '../helpers/assert.js';

forEachDevice('fusedLinear', (device) => {
  const layers = (bias = true) => {
    manualSeed(7);
    return [new nn.Linear(6, 4, { device, bias }), new nn.Linear(6, 4, { device, bias }), new nn.Linear(6, 2, { device, bias })];
  };

  it('outputs and gradients equal the layers run one by one', () => {
    for (const bias of [true, false]) {
      const a = layers(bias), b = layers(bias);
      const x = randn([3, 5, 6], { device });
      const fa = fusedLinear(a, x), fb = b.map((l) => l.forward(x));
      fa.forEach((y, i) => assertClose(y, fb[i]!.detach(), { atol: 1e-6, name: `output ${i}` }));
      const w = [randn([3, 5, 4], { device }), randn([3, 5, 4], { device }), randn([3, 5, 2], { device })];
      fa.map((y, i) => y.mul(w[i]!).sum()).reduce((s, t) => s.add(t)).backward();
      fb.map((y, i) => y.mul(w[i]!).sum()).reduce((s, t) => s.add(t)).backward();
      a.forEach((l, i) => {
        assertClose(l.weight.grad!, b[i]!.weight.grad!, { atol: 1e-5, name: `weight grad ${i}` });
        if (bias) assertClose(l.bias!.grad!, b[i]!.bias!.grad!, { atol: 1e-5, name: `bias grad ${i}` });
      });
    }
  });

  it('without gradients the concatenated weights are reused, and rebuilt after an optimizer step', () => {
    const a = layers();
    const x = randn([4, 6], { device });
    const before = noGrad(() => fusedLinear(a, x));
    const again = noGrad(() => fusedLinear(a, x));
    again.forEach((y, i) => assertClose(y, before[i]!, { atol: 0 }));
    const opt = new optim.AdamW(a.flatMap((l) => l.parameters()), { lr: 0.1 });
    fusedLinear(a, x).reduce((s, t) => s.add(t.sum()), randn([], { device }).mul(0)).backward();
    opt.step();
    const after = noGrad(() => fusedLinear(a, x));
    const ref = noGrad(() => a.map((l) => l.forward(x)));
    after.forEach((y, i) => assertClose(y, ref[i]!, { atol: 1e-6, name: `after step ${i}` }));
    assert.ok(Math.abs(after[0]!.sum().item() - before[0]!.sum().item()) > 1e-4, 'the step changed the output');
  });

  it('layers that do not agree run one by one', () => {
    manualSeed(1);
    const mixed = [new nn.Linear(6, 3, { device }), new nn.Linear(6, 3, { device, bias: false })];
    const x = randn([2, 6], { device });
    const y = fusedLinear(mixed, x);
    y.forEach((t, i) => assertClose(t, mixed[i]!.forward(x), { atol: 0 }));
  });

  it('under autocast without gradients: the cached copy is in the half type and gives the bf16 results of the layers', () => {
    if (!getBackend(device).computeDTypes.includes('bfloat16')) return;
    const a = layers();
    const x = randn([4, 6], { device });
    const got = withAutocast('bfloat16', () => noGrad(() => [fusedLinear(a, x), fusedLinear(a, x)]));
    const want = withAutocast('bfloat16', () => noGrad(() => a.map((l) => l.forward(x))));
    for (const run of got) run.forEach((y, i) => {
      assert.equal(y.dtype, 'bfloat16');
      assertClose(y.to('float32'), want[i]!.to('float32'), { atol: 0, name: `output ${i}` });
    });
  });
});
