// GPT-2 attention masks: padded keys change nothing for real tokens (right or left padding, positions from the
// mask), and a query whose every key is hidden attends uniformly over all keys, as transformers' finfo.min mask
// makes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../../src/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { ids, oddConfig, randomModel } from './util.js';

forEachDevice('GPT-2 attention masks', (device) => {
  const m = randomModel(oddConfig(), device, 12);
  const real = [5, 9, 2, 30];
  const alone = noGrad(() => m.forward(ids([real], device)).logits); // (1, 4, V)

  test('right padding: real tokens see the same keys', () => {
    const out = noGrad(() => m.forward(ids([[...real, 0, 0]], device), { attentionMask: ids([[1, 1, 1, 1, 0, 0]], device) }).logits);
    assertClose(out.narrow(1, 0, 4), alone, { atol: 1e-5 });
  });

  test('left padding with positions from the mask: real tokens as alone; fully hidden rows attend uniformly', () => {
    const out = noGrad(() => m.forward(ids([[0, 0, ...real]], device), {
      attentionMask: ids([[0, 0, 1, 1, 1, 1]], device), positionIds: ids([[1, 1, 0, 1, 2, 3]], device), outputAttentions: true,
    }));
    assertClose(out.logits.narrow(1, 2, 4), alone, { atol: 1e-5 });
    const probs = out.attentions![0]!.toArray(); // (1, H, 6, 6)
    const H = m.config.n_head;
    for (let h = 0; h < H; h++) {
      for (const q of [0, 1]) for (let k = 0; k < 6; k++) assert.ok(Math.abs(probs[(h * 6 + q) * 6 + k]! - 1 / 6) < 1e-6, `head ${h} query ${q} key ${k}`);
      for (let q = 2; q < 6; q++) for (let k = 0; k < 6; k++) if (k < 2 || k > q) assert.equal(probs[(h * 6 + q) * 6 + k], 0);
    }
  });
});
