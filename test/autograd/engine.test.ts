// Autograd mechanics: accumulation, shared inputs, noGrad, detach, retained and freed graphs, retainGrad,
// higher-order gradients, and the errors a user can cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryCrossEntropyWithLogits, enableGrad, isGradEnabled, noGrad, Tensor, tensor } from '../../src/index.js';
import { assertClose } from '../helpers/assert.js';
import { forEachDevice } from '../helpers/devices.js';
import { nn } from '../../src/index.js';

forEachDevice('autograd engine', (device) => {
  test('gradients accumulate across backward calls and through shared inputs', () => {
    const x = tensor([1, 2, 3], { device, requiresGrad: true });
    const y = x.mul(x).add(x).sum(); // d/dx = 2x + 1
    y.backward();
    assert.deepEqual(Array.from(x.grad!.toArray()), [3, 5, 7]);
    x.mul(2).sum().backward();
    assert.deepEqual(Array.from(x.grad!.toArray()), [5, 7, 9]);
  });

  test('noGrad records nothing; enableGrad inside noGrad records again; detach cuts the graph', () => {
    const x = tensor([1, 2], { device, requiresGrad: true });
    const y = noGrad(() => x.mul(3));
    assert.equal(y.requiresGrad, false);
    assert.equal(isGradEnabled(), true);
    const z = noGrad(() => enableGrad(() => x.mul(3)));
    assert.equal(z.requiresGrad, true);
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.throws(() => d.sum().backward(), /does not require grad/);
  });

  test('retainGraph, freed graphs, retainGrad, non-scalar outputs', () => {
    const x = tensor([1, 2], { device, requiresGrad: true });
    const h = x.exp().retainGrad();
    const y = h.sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    assertClose(x.grad!, [2 * Math.E, 2 * Math.E ** 2], { atol: 1e-5 });
    assert.deepEqual(Array.from(h.grad!.toArray()), [2, 2]);
    assert.throws(() => y.backward(), /a second time/);
    const v = x.mul(2);
    assert.throws(() => v.backward(), /non-scalar output of shape \[2\]/);
    v.backward(tensor([1, 10], { device }));
  });

  test('createGraph gives second derivatives', () => {
    const x = tensor([0.5, 2], { device, requiresGrad: true });
    x.pow(3).sum().backward(undefined, { createGraph: true });
    const g = x.grad!; // 3x^2, itself differentiable
    assertClose(g, [0.75, 12], { atol: 1e-6 });
    assert.equal(g.requiresGrad, true);
    x.grad = null;
    g.sum().backward(); // d/dx sum(3x^2) = 6x
    assertClose(x.grad!, [3, 12], { atol: 1e-5 });
  });

  test('BCE with logits equals the textbook formula; sinusoidal tables in both layouts', () => {
    const l = binaryCrossEntropyWithLogits(tensor([2, -1], { device }), tensor([1, 0], { device }));
    const ref = (-Math.log(1 / (1 + Math.exp(-2))) - Math.log(1 - 1 / (1 + Math.exp(1)))) / 2;
    assertClose(l.reshape([1]), [ref], { atol: 1e-6 });
    const inter = nn.sinusoidalTable(3, 4, 'interleaved', device).toArray();
    // position 2: [sin 2, cos 2, sin(2/100), cos(2/100)]
    assertClose(inter.slice(8), [Math.sin(2), Math.cos(2), Math.sin(0.02), Math.cos(0.02)], { atol: 1e-6 });
    const halves = nn.sinusoidalTable(3, 4, 'halves', device).toArray();
    assertClose(halves.slice(8), [Math.sin(2), Math.sin(0.02), Math.cos(2), Math.cos(0.02)], { atol: 1e-6 });
  });
});

forEachDevice('slice gradients', (device) => {
  test('narrow/select gradients: disjoint, overlapping, mixed with dense ones, and under createGraph', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]], { device, requiresGrad: true });
    // disjoint rows, an overlapping window, and a dense use of the whole tensor
    const y = x.select(0, 0).sum().add(x.select(0, 3).mul(2).sum()).add(x.narrow(0, 1, 2).mul(3).sum()).add(x.narrow(0, 2, 2).sum()).add(x.mul(10).sum());
    y.backward();
    assert.deepEqual(x.grad!.toList(), [[11, 11, 11], [13, 13, 13], [14, 14, 14], [13, 13, 13]]);
    // a step-by-step recurrence over rows (the case the lazy slice buffer exists for)
    const z = tensor(Array.from({ length: 200 }, (_, i) => i % 7), { device, requiresGrad: true, shape: [200, 1] });
    let acc = tensor([0], { device });
    for (let t = 0; t < 200; t++) acc = acc.mul(0.5).add(z.select(0, t));
    acc.sum().backward();
    const g = z.grad!.toArray();
    assertClose([g[199]!, g[198]!, g[0]!], [1, 0.5, 0.5 ** 199], { atol: 1e-12 });
    const w = tensor([1, 2, 3], { device, requiresGrad: true });
    w.narrow(0, 1, 2).square().sum().backward(undefined, { createGraph: true });
    assert.deepEqual(Array.from(w.grad!.toArray()), [0, 4, 6]);
    assert.equal(w.grad!.requiresGrad, true);
  });
});

forEachDevice('slice gradients in place', (device) => {
  test('slice gradients already side by side in one storage become the whole gradient without a copy', () => {
    const x = tensor(Array.from({ length: 12 }, (_, i) => i), { device, shape: [2, 6], requiresGrad: true });
    const y = x.mul(1).retainGrad();
    const parts = [0, 2, 4].map((s) => y.narrow(1, s, 2));
    const G = tensor(Array.from({ length: 12 }, (_, i) => 100 + i), { device, shape: [2, 6] });
    // an op whose backward writes its inputs' gradients into one buffer, as the fused q/k/v attention does
    const out = Tensor.record(parts[0]!.detach().sum(), 'sideBySide', parts, () => [0, 2, 4].map((s) => G.narrow(1, s, 2)));
    out.backward();
    assert.equal(y.grad!.storage, G.storage);
    assert.deepEqual(x.grad!.toList(), G.toList());
    // the same parts out of order or with a gap are copied as before
    const z = x.mul(1).retainGrad();
    const zp = [0, 2].map((s) => z.narrow(1, s, 2));
    Tensor.record(zp[0]!.detach().sum(), 'gap', zp, () => [0, 2].map((s) => G.narrow(1, s, 2))).backward();
    assert.notEqual(z.grad!.storage, G.storage);
    assert.deepEqual(z.grad!.toList(), [[100, 101, 102, 103, 0, 0], [106, 107, 108, 109, 0, 0]]);
  });
});
