// torch.nn.LSTM(24, 32, num_layers=2, bidirectional, batch_first, proj_size=16) parity: outputs, h_n, c_n,
// loss = sum(output * R) and every gradient, plain and with variable lengths, within 1e-5 absolute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nn, type Tensor } from '../../src/index.js';
import { loadTensors } from '../../src/io/tensors.js';
import { assertClose } from '../helpers/assert.js';
import { forEachDevice } from '../helpers/devices.js';
import { fixturePath } from '../helpers/fixtures.js';

const ATOL = 1e-5;

forEachDevice('LSTM matches torch.nn.LSTM', (device) => {
  const weights = loadTensors(fixturePath('lstm', 'model.safetensors'), device);
  const inputs = loadTensors(fixturePath('lstm', 'inputs.safetensors'), device);
  const expected = loadTensors(fixturePath('lstm', 'expected.safetensors'), device);
  const make = () => {
    const lstm = new nn.LSTM(24, 32, { numLayers: 2, bidirectional: true, projSize: 16, device });
    lstm.loadStateDict(weights);
    return lstm;
  };

  test('full-length batch: output, h_n, c_n, loss and every gradient', () => {
    const lstm = make();
    const x = inputs.get('input')!.detach().requiresGrad_(true);
    const r = lstm.forward(x);
    assertClose(r.output, expected.get('output')!, { atol: ATOL, name: 'output' });
    assertClose(r.hN, expected.get('h_n')!, { atol: ATOL, name: 'h_n' });
    assertClose(r.cN, expected.get('c_n')!, { atol: ATOL, name: 'c_n' });
    const loss = r.output.mul(inputs.get('R')!).sum();
    assertClose(loss.reshape([1]), expected.get('loss')!, { atol: 1e-4, name: 'loss' });
    loss.backward();
    assertClose(x.grad!, expected.get('grad.input')!, { atol: ATOL, name: 'grad.input' });
    const params = new Map<string, Tensor>(lstm.namedParameters());
    let checked = 0;
    for (const [key, g] of expected) {
      if (!key.startsWith('grad.') || key === 'grad.input') continue;
      const p = params.get(key.slice(5));
      assert.ok(p, `parameter ${key.slice(5)} exists`);
      assertClose(p.grad!, g, { atol: ATOL, name: key });
      checked++;
    }
    assert.equal(checked, 20);
  });

  test('variable lengths (packed): padded steps give 0, h_n/c_n at each last valid step, input gradient', () => {
    const lstm = make();
    const x = inputs.get('input')!.detach().requiresGrad_(true);
    const r = lstm.forward(x, { lengths: inputs.get('lengths')! });
    assertClose(r.output, expected.get('masked.output')!, { atol: ATOL, name: 'masked.output' });
    assertClose(r.hN, expected.get('masked.h_n')!, { atol: ATOL, name: 'masked.h_n' });
    assertClose(r.cN, expected.get('masked.c_n')!, { atol: ATOL, name: 'masked.c_n' });
    const loss = r.output.mul(inputs.get('R')!).sum();
    assertClose(loss.reshape([1]), expected.get('masked.loss')!, { atol: 1e-4, name: 'masked.loss' });
    loss.backward();
    assertClose(x.grad!, expected.get('masked.grad.input')!, { atol: ATOL, name: 'masked.grad.input' });
  });
});
