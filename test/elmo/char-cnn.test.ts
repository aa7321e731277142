// The character CNN token encoder: output shapes, one encoding per distinct token, the highway gate's starting
// bias, and gradients checked against finite differences (w.r.t. the embedded characters and a filter weight).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { noGrad } from '../../src/autograd/engine.js';
import { manualSeed, randn } from '../../src/tensor/creation.js';
import { tensor } from '../../src/tensor/tensor.js';
import { ElmoCharacterEncoder, Highway, batchToIds } from '../../src/models/elmo/index.js';
import { assertClose } from '../helpers/assert.js';
import { forEachDevice } from '../helpers/devices.js';
import { SENTENCES, tinyConfig } from './util.js';

forEachDevice('ELMo character CNN', (device) => {
  test('shapes: (B, T, chars) ids -> (B, T, projection_dim), parameters named as AllenNLP', () => {
    manualSeed(1);
    const config = tinyConfig();
    const enc = new ElmoCharacterEncoder(config, { device });
    const { ids } = batchToIds(SENTENCES, { maxChars: 8, device });
    assert.deepEqual(enc.forward(ids).shape, [4, 6, 6]);
    assert.deepEqual(enc.encodeIds(ids.reshape([24, 8])).shape, [24, 6]);
    const names = [...enc.stateDict().keys()];
    assert.deepEqual(names, [
      '_char_embedding_weights',
      'char_conv_0.weight', 'char_conv_0.bias', 'char_conv_1.weight', 'char_conv_1.bias', 'char_conv_2.weight', 'char_conv_2.bias',
      '_highways._layers.0.weight', '_highways._layers.0.bias', '_projection.weight', '_projection.bias',
    ]);
    const shapes = Object.fromEntries([...enc.stateDict()].map(([k, t]) => [k, t.shape]));
    assert.deepEqual(shapes['_char_embedding_weights'], [262, 4]);
    assert.deepEqual(shapes['char_conv_2.weight'], [4, 4, 3]);
    assert.deepEqual(shapes['_highways._layers.0.weight'], [24, 12]);
    assert.deepEqual(shapes['_projection.weight'], [6, 12]);
    assert.deepEqual(Array.from(enc.charEmbeddingWeights.narrow(0, 0, 1).toArray()), [0, 0, 0, 0]);
  });

  test('each distinct token is encoded once, identically to encoding it alone', () => {
    manualSeed(2);
    const enc = new ElmoCharacterEncoder(tinyConfig(), { device });
    const { ids } = batchToIds(SENTENCES, { maxChars: 8, device });
    const batched = noGrad(() => enc.forward(ids));
    const alone = noGrad(() => enc.encodeIds(batchToIds([['bank']], { maxChars: 8, device }).ids.reshape([1, 8])));
    // "bank" at (0, 2), (1, 4), (2, 1)
    for (const [b, t] of [[0, 2], [1, 4], [2, 1]] as const) assertClose(batched.select(0, b).select(0, t), alone.select(0, 0), { atol: 1e-6 });
  });

  test('highway gates start with bias 1 (carry) and 0 on the nonlinear half', () => {
    const h = new Highway(3, 2, { device });
    assert.deepEqual(Array.from(h.layers.at(1).bias!.narrow(0, 3, 3).toArray()), [1, 1, 1]);
  });

  test('gradcheck: embedded characters -> token encoding (tanh CNN, highway, projection)', () => {
    manualSeed(3);
    const enc = new ElmoCharacterEncoder(tinyConfig({ char_cnn: { ...tinyConfig().char_cnn, activation: 'tanh' } }), { device });
    const x = randn([3, 8, 4], { device });
    const weights = randn([3, 6], { device });
    const r = gradcheck((xs) => enc.forwardEmbedded(xs).mul(weights).sum(), [x], { eps: 1e-3, atol: 2e-3, rtol: 2e-2, maxEntries: 96 });
    assert.ok(r.ok, r.message);
  });

  test('finite differences: a filter weight and the character embedding, through the relu CNN from character ids', () => {
    manualSeed(4);
    const enc = new ElmoCharacterEncoder(tinyConfig(), { device });
    const { ids } = batchToIds([['bank', 'river'], ['loan']], { maxChars: 8, device });
    const weights = randn([2, 2, 6], { device });
    const loss = () => enc.forward(ids).mul(weights).sum();
    loss().backward();
    for (const param of [enc.convs[1]!.weight, enc.charEmbeddingWeights]) {
      const analytic = param.grad!.toArray() as Float32Array;
      const base = Float32Array.from(param.toArray() as Float32Array);
      // entries that matter: for the embedding, the row of 'b' (98 + 1)
      const entries = param === enc.charEmbeddingWeights ? [99 * 4, 99 * 4 + 1, 99 * 4 + 2, 99 * 4 + 3] : [0, 5, 11, 17, 23, 31];
      for (const i of entries) {
        const at = (delta: number) => {
          const v = Float32Array.from(base);
          v[i] = v[i]! + delta;
          noGrad(() => param.assign_(tensor(v, { shape: param.shape, device })));
          return noGrad(() => loss().item());
        };
        const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
        assert.ok(Math.abs(numeric - analytic[i]!) <= 3e-3 + 3e-2 * Math.abs(numeric), `entry ${i}: autograd ${analytic[i]} vs ${numeric}`);
      }
      noGrad(() => param.assign_(tensor(base, { shape: param.shape, device })));
    }
  });
});
