// The encoder-decoder Transformer against transformers' MarianMTModel (fixture marian-mt): logits, encoder and
// decoder hidden states, self- and cross-attention maps and the loss within 1e-4 absolute; every listed
// gradient within 1e-4 relative (or 1e-6 absolute); with the backend's fused kernels and the composed fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setFusedOps, tensor, type Tensor } from '../../../src/index.js';
import { loadTensors } from '../../../src/io/tensors.js';
import { TransformerMTModel } from '../../../src/models/transformer/index.js';
import { assertClose, maxAbs, toleranceShare } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';

forEachDevice('TransformerMTModel matches transformers MarianMTModel (marian-mt)', (device) => {
  for (const fusedOps of [true, false]) test(`logits, every hidden state and attention map, loss and gradients (${fusedOps ? 'fused' : 'composed'} ops)`, (t) => {
    setFusedOps(fusedOps);
    t.after(() => setFusedOps(true));
    const model = TransformerMTModel.fromPretrained(fixturePath('marian-mt'), { device });
    const inputs = loadTensors(fixturePath('marian-mt', 'inputs.safetensors'), device);
    const expected = loadTensors(fixturePath('marian-mt', 'expected.safetensors'), device);
    const meta = JSON.parse(readFileSync(fixturePath('marian-mt', 'meta.json'), 'utf8')) as { labels: number[][] };
    const out = model.forward(inputs.get('input_ids')!, {
      attentionMask: inputs.get('attention_mask'),
      decoderInputIds: inputs.get('decoder_input_ids'),
      labels: tensor(meta.labels, { dtype: 'int64', device }),
      outputHiddenStates: true,
      outputAttentions: true,
    });

    const worst = { output: 0, grad: 0, gradShare: 0 };
    const compared = new Set<string>();
    const check = (name: string, actual: Tensor) => {
      const e = expected.get(name);
      assert.ok(e, `expected.safetensors has ${name}`);
      assertClose(actual, e, { atol: 1e-4, name });
      worst.output = Math.max(worst.output, maxAbs(actual, e));
      compared.add(name);
    };
    check('logits', out.logits);
    check('encoder_last_hidden_state', out.encoderLastHiddenState);
    const lists: [string, Tensor[] | undefined][] = [
      ['encoder_hidden_states', out.encoderHiddenStates], ['decoder_hidden_states', out.decoderHiddenStates],
      ['encoder_attentions', out.encoderAttentions], ['decoder_attentions', out.decoderAttentions], ['cross_attentions', out.crossAttentions],
    ];
    for (const [name, list] of lists) list!.forEach((x, i) => check(`${name}.${i}`, x));
    check('loss', out.loss!.reshape([1]));
    assert.deepEqual([...expected.keys()].filter((k) => !k.startsWith('grad.') && !compared.has(k)), [], 'every expected output compared');

    out.loss!.backward();
    const state = model.stateDict();
    let grads = 0;
    for (const [key, g] of expected) {
      if (!key.startsWith('grad.')) continue;
      const p = state.get(key.slice(5));
      assert.ok(p?.grad, `gradient of ${key.slice(5)}`);
      assertClose(p.grad, g, { atol: 1e-6, rtol: 1e-4, name: key });
      worst.grad = Math.max(worst.grad, maxAbs(p.grad, g));
      worst.gradShare = Math.max(worst.gradShare, toleranceShare(p.grad, g, 1e-6, 1e-4));
      grads++;
    }
    assert.equal(grads, 3);
    t.diagnostic(`${fusedOps ? 'fused' : 'composed'} ops, max |error|: outputs ${worst.output.toExponential(2)}, gradients ${worst.grad.toExponential(2)} (${(100 * worst.gradShare).toFixed(1)}% of the 1e-6 + 1e-4 |g| allowance)`);
  });
});
