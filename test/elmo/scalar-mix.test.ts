// ScalarMix: gamma * sum_j softmax(w)_j h_j by hand, AllenNLP's masked layer norm, gradients reaching w and gamma,
// and a few Adam steps moving the mix towards a target layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../src/autograd/engine.js';
import { Adam } from '../../src/optim/adam.js';
import { manualSeed, randn } from '../../src/tensor/creation.js';
import { mseLoss } from '../../src/tensor/ops/fused.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Elmo, ElmoLanguageModel, ScalarMix } from '../../src/models/elmo/index.js';
import { assertClose } from '../helpers/assert.js';
import { forEachDevice } from '../helpers/devices.js';
import { SENTENCES, tinyConfig } from './util.js';

forEachDevice('ELMo scalar mix', (device) => {
  test('gamma * sum softmax(w)_j h_j, parameters scalar_parameters.{j} and gamma', () => {
    manualSeed(10);
    const mix = new ScalarMix(3, { initialScalarParameters: [0.5, -1, 2], device });
    noGrad(() => mix.gamma.assign_(Tensor.fromHost(Float32Array.of(1.5), [1], 'float32', device)));
    const layers = [0, 1, 2].map(() => randn([2, 3, 4], { device }));
    const e = [0.5, -1, 2].map(Math.exp);
    const z = e.reduce((a, b) => a + b);
    const expected = layers[0]!.mul(1.5 * e[0]! / z).add(layers[1]!.mul(1.5 * e[1]! / z)).add(layers[2]!.mul(1.5 * e[2]! / z));
    assertClose(noGrad(() => mix.forward(layers)), expected, { atol: 1e-6 });
    assert.deepEqual([...mix.stateDict().keys()], ['gamma', 'scalar_parameters.0', 'scalar_parameters.1', 'scalar_parameters.2']);
  });

  test('layer norm over all unmasked elements (AllenNLP), masked positions do not move the statistics', () => {
    manualSeed(11);
    const mix = new ScalarMix(2, { doLayerNorm: true, device });
    const a = randn([2, 3, 4], { device }), b = randn([2, 3, 4], { device });
    const mask = Tensor.fromHost(Uint8Array.of(1, 1, 0, 1, 0, 0), [2, 3], 'bool', device);
    const norm = (t: Tensor) => {
      const v = Array.from(t.toArray() as Float32Array).filter((_, i) => [1, 1, 0, 1, 0, 0][Math.floor(i / 4)] === 1);
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
      return t.sub(mean).div(Math.sqrt(variance + 1e-13));
    };
    assertClose(noGrad(() => mix.forward([a, b], mask)), norm(a).mul(0.5).add(norm(b).mul(0.5)), { atol: 1e-5 });
    const junk = b.add(Tensor.fromHost(Float32Array.from({ length: 24 }, (_, i) => ([1, 1, 0, 1, 0, 0][Math.floor(i / 4)] ? 0 : 50)), [2, 3, 4], 'float32', device));
    const valid = (t: Tensor) => t.reshape([6, 4]).indexSelect(0, Tensor.fromHost(Int32Array.of(0, 1, 3), [3], 'int32', device));
    assertClose(valid(noGrad(() => mix.forward([a, junk], mask))), valid(noGrad(() => mix.forward([a, b], mask))), { atol: 1e-5 });
  });

  test('learnable: w and gamma get gradients and Adam moves the mix towards a target layer', () => {
    manualSeed(12);
    const mix = new ScalarMix(3, { device });
    const layers = [0, 1, 2].map(() => randn([4, 5, 6], { device }));
    const target = layers[2]!.mul(2);
    const opt = new Adam(mix.parameters(), { lr: 0.1 });
    const first = mseLoss(mix.forward(layers), target);
    first.backward();
    for (const p of mix.parameters()) assert.ok(p.grad && Math.abs(p.grad.item()) > 0, 'every mix parameter has a gradient');
    opt.step();
    let last = first.item();
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      const loss = mseLoss(mix.forward(layers), target);
      loss.backward();
      opt.step();
      last = loss.item();
    }
    const w = Array.from(mix.weights().toArray() as Float32Array);
    assert.ok(last < first.item() / 5, `loss ${first.item()} -> ${last}`);
    assert.ok(w[2]! > 0.8, `weight of the target layer ${w[2]}`);
    assert.ok(mix.gamma.item() > 1.5, `gamma ${mix.gamma.item()}`);
  });

  test('Elmo: a frozen biLM, a trainable mix on its layers; layer 0 is the token encoding twice; boundaries removed', () => {
    manualSeed(13);
    const lm = new ElmoLanguageModel(tinyConfig(), { device });
    lm.eval();
    const elmo = new Elmo(lm, { numOutputRepresentations: 2, dropout: 0 });
    const out = elmo.forward(SENTENCES);
    assert.equal(out.elmoRepresentations.length, 2);
    assert.deepEqual(out.elmoRepresentations[0]!.shape, [4, 6, 12]);
    assert.deepEqual(out.lengths, [6, 6, 3, 1]);
    const l0 = out.layers[0]!;
    assertClose(l0.narrow(2, 0, 6), l0.narrow(2, 6, 6));
    assert.equal(out.layers[1]!.select(0, 3).narrow(0, 1, 5).abs().max().item(), 0);
    out.elmoRepresentations[0]!.sum().backward();
    assert.ok(elmo.scalarMixes[0]!.gamma.grad, 'the mix trains');
    assert.ok(lm.parameters().every((p) => p.grad === null), 'the biLM is frozen');
    assert.ok([...elmo.stateDict().keys()].includes('_elmo_lstm._elmo_lstm.forward_layer_1.state_projection.weight'));
    assert.ok([...elmo.stateDict().keys()].includes('scalar_mix_1.scalar_parameters.2'));
  });
});
