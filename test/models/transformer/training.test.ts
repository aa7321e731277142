// Training the encoder-decoder Transformer: labels alone give decoder inputs shifted right behind the start
// token (transformers' shift_tokens_right), -100 labels are ignored, dropout acts only in train mode, the
// padding row gets no gradient through the lookup, and a few AdamW steps lower the loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, optim } from '../../../src/index.js';
import { shiftTokensRight } from '../../../src/models/transformer/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { ids, randomModel, smallConfig } from './util.js';

forEachDevice('Transformer training', (device) => {
  test('shiftTokensRight puts the start token first and turns -100 into pad', () => {
    assert.deepEqual(shiftTokensRight(ids([[5, 6, 7], [8, -100, -100]], device), 0, 2).toList(), [[2, 5, 6], [2, 8, 0]]);
  });

  test('labels alone: decoder inputs are the shifted labels; the loss ignores -100', () => {
    const m = randomModel(smallConfig(), device, 2);
    const src = ids([[3, 9, 27, 4, 1], [5, 6, 1, 0, 0]], device);
    const mask = ids([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], device);
    const labels = ids([[7, 8, 9, 1], [10, 1, -100, -100]], device);
    const a = m.forward(src, { attentionMask: mask, labels });
    const b = m.forward(src, { attentionMask: mask, decoderInputIds: ids([[0, 7, 8, 9], [0, 10, 1, 0]], device) });
    assertClose(a.logits, b.logits, { atol: 0 });
    const V = b.logits.dim(2);
    const kept = crossEntropy(b.logits.narrow(0, 0, 1).reshape([4, V]).narrow(0, 0, 4), ids([[7, 8, 9, 1]], device).reshape([4]), { reduction: 'sum' })
      .add(crossEntropy(b.logits.narrow(0, 1, 1).reshape([4, V]).narrow(0, 0, 2), ids([[10, 1]], device).reshape([2]), { reduction: 'sum' }));
    assertClose(a.loss!, kept.div(6), { atol: 1e-6, name: 'loss' });
  });

  test('dropout acts in train mode only; the pad row of the embeddings gets no gradient through the lookup', () => {
    const m = randomModel(smallConfig({ dropout: 0.3, attention_dropout: 0.2, activation_dropout: 0.1 }), device, 3);
    const src = ids([[3, 9, 27, 4, 1]], device), tgt = ids([[0, 5, 6]], device);
    const e1 = m.forward(src, { decoderInputIds: tgt }).logits.toArray();
    assert.deepEqual(m.forward(src, { decoderInputIds: tgt }).logits.toArray(), e1);
    m.train();
    assert.notDeepEqual(m.forward(src, { decoderInputIds: tgt }).logits.toArray(), e1);
    // untied head: the pad row (the start token here) is looked up but, as torch's padding_idx, learns nothing
    const noLm = randomModel(smallConfig({ tie_word_embeddings: false }), device, 3);
    noLm.forward(src, { decoderInputIds: tgt, labels: ids([[5, 6, 7]], device) }).loss!.backward();
    const g = noLm.model.shared!.weight.grad!.narrow(0, 0, 1).abs().sum().item();
    assert.equal(g, 0);
  });

  test('decoder padding: real target tokens as alone; fully hidden rows attend uniformly, as in transformers', () => {
    const m = randomModel(smallConfig(), device, 5);
    const src = ids([[3, 9, 27, 4, 1]], device);
    const alone = m.forward(src, { decoderInputIds: ids([[0, 5, 6]], device) }).logits;
    const right = m.forward(src, { decoderInputIds: ids([[0, 5, 6, 0]], device), decoderAttentionMask: ids([[1, 1, 1, 0]], device) }).logits;
    assertClose(right.narrow(1, 0, 3), alone, { atol: 1e-5 });
    const left = m.forward(src, { decoderInputIds: ids([[0, 0, 5, 6]], device), decoderAttentionMask: ids([[0, 1, 1, 1]], device), outputAttentions: true });
    const probs = left.decoderAttentions![0]!.toArray(); // (1, H, 4, 4): query 0 sees only padding
    for (let h = 0; h < smallConfig().decoder_attention_heads; h++) for (let k = 0; k < 4; k++) assert.ok(Math.abs(probs[h * 16 + k]! - 0.25) < 1e-6);
  });

  test('AdamW steps lower the loss', () => {
    const m = randomModel(smallConfig({ init_std: 0.02 }), device, 4);
    m.train();
    const src = ids([[3, 9, 27, 4, 1], [5, 6, 7, 1, 0]], device), mask = ids([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]], device);
    const labels = ids([[4, 27, 9, 3, 1], [7, 6, 5, 1, -100]], device);
    const opt = new optim.AdamW(m.parameters(), { lr: 1e-2, weightDecay: 0 });
    const first = m.forward(src, { attentionMask: mask, labels }).loss!.item();
    let last = first;
    for (let i = 0; i < 12; i++) {
      opt.zeroGrad();
      const loss = m.forward(src, { attentionMask: mask, labels }).loss!;
      loss.backward();
      opt.step();
      last = loss.item();
    }
    assert.ok(last < first * 0.6, `loss ${first} -> ${last}`);
  });
});
