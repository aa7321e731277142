// GPT-2 trains: dropout is active in train() and off in eval(), and a few AdamW steps on a tiny config lower
// the loss; labels of -100 are ignored by the loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optim, crossEntropy } from '../../../src/index.js';
import { causalLmLoss } from '../../../src/models/gpt2/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { ids, oddConfig, randomModel } from './util.js';

forEachDevice('GPT-2 training', (device) => {
  test('dropout is real in train mode and off in eval mode', () => {
    const m = randomModel(oddConfig({ resid_pdrop: 0.3, embd_pdrop: 0.3, attn_pdrop: 0.3 }), device, 2);
    const x = ids([[1, 2, 3, 4, 5, 6]], device);
    const e1 = m.forward(x).logits.toArray(), e2 = m.forward(x).logits.toArray();
    assert.deepEqual(e1, e2);
    m.train();
    const t1 = m.forward(x).logits.toArray();
    assert.notDeepEqual(t1, e1);
  });

  test('AdamW steps lower the next-token loss', () => {
    const m = randomModel(oddConfig(), device, 4);
    m.train();
    const x = ids([[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]], device);
    const opt = new optim.AdamW(m.parameters(), { lr: 3e-3, weightDecay: 0 });
    const first = m.forward(x, { labels: x }).loss!.item();
    let last = first;
    for (let i = 0; i < 15; i++) {
      opt.zeroGrad();
      const loss = m.forward(x, { labels: x }).loss!;
      loss.backward();
      opt.step();
      last = loss.item();
    }
    assert.ok(last < first * 0.7, `loss ${first} -> ${last}`);
  });

  test('the loss shifts labels inside and ignores -100', () => {
    const m = randomModel(oddConfig(), device, 5);
    const x = ids([[1, 2, 3, 4]], device);
    const labels = ids([[-100, 2, -100, 4]], device);
    const logits = m.forward(x).logits; // (1, 4, V): position t predicts label t + 1
    const V = logits.dim(2);
    const expected = crossEntropy(logits.narrow(1, 0, 3).reshape([3, V]), ids([[2, -100, 4]], device).reshape([3]));
    assertClose(causalLmLoss(logits, labels), expected, { atol: 1e-6 });
    assertClose(m.forward(x, { labels }).loss!, expected, { atol: 1e-6 });
  });
});
