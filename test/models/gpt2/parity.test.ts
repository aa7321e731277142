// GPT2LMHeadModel against transformers (fixture gpt2-lm): logits, every hidden state, every attention map and
// the loss within 1e-4 absolute; every listed gradient within 1e-4 relative (or 1e-6 absolute); with the
// backend's fused kernels and with the composed fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFusedOps, type Tensor } from '../../../src/index.js';
import { loadTensors } from '../../../src/io/tensors.js';
import { GPT2LMHeadModel } from '../../../src/models/gpt2/index.js';
import { assertClose, maxAbs, toleranceShare } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';

forEachDevice('GPT2LMHeadModel matches transformers (gpt2-lm)', (device) => {
  for (const fusedOps of [true, false]) test(`logits, hidden states, attentions, loss and gradients (${fusedOps ? 'fused' : 'composed'} ops)`, (t) => {
    setFusedOps(fusedOps);
    t.after(() => setFusedOps(true));
    const model = GPT2LMHeadModel.fromPretrained(fixturePath('gpt2-lm'), { device });
    const inputs = loadTensors(fixturePath('gpt2-lm', 'inputs.safetensors'), device);
    const expected = loadTensors(fixturePath('gpt2-lm', 'expected.safetensors'), device);
    const ids = inputs.get('input_ids')!;
    const out = model.forward(ids, { labels: ids, outputHiddenStates: true, outputAttentions: true });

    const worst = { output: 0, grad: 0, gradShare: 0 };
    const check = (name: string, actual: Tensor) => {
      const e = expected.get(name);
      assert.ok(e, `expected.safetensors has ${name}`);
      assertClose(actual, e, { atol: 1e-4, name });
      worst.output = Math.max(worst.output, maxAbs(actual, e));
    };
    check('logits', out.logits);
    assert.equal(out.hiddenStates!.length, model.config.n_layer + 1);
    out.hiddenStates!.forEach((h, i) => check(`hidden_states.${i}`, h));
    assert.equal(out.attentions!.length, model.config.n_layer);
    out.attentions!.forEach((a, i) => check(`attentions.${i}`, a));
    check('loss', out.loss!.reshape([1]));
    // every expected output was compared
    const outputs = [...expected.keys()].filter((k) => !k.startsWith('grad.'));
    assert.equal(outputs.length, 1 + out.hiddenStates!.length + out.attentions!.length + 1);

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
    assert.equal(grads, 4);
    t.diagnostic(`${fusedOps ? 'fused' : 'composed'} ops, max |error|: outputs ${worst.output.toExponential(2)}, gradients ${worst.grad.toExponential(2)} (${(100 * worst.gradShare).toFixed(1)}% of the 1e-6 + 1e-4 |g| allowance)`);
  });
});
