// GPT-2 behind the architecture registry's uniform interface (what `tessera run` drives): outputs under the
// fixture's names — exactly the expected set — with the same values, and the architecture judged from names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTensors } from '../../../src/io/tensors.js';
import { gpt2Architectures, inferGPT2Architecture } from '../../../src/models/gpt2/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';

forEachDevice('GPT-2 run adapters', (device) => {
  test('GPT2LMHeadModel: logits, hidden_states.N, attentions.N and loss as transformers names them', () => {
    const runnable = gpt2Architectures.GPT2LMHeadModel!(fixturePath('gpt2-lm'), { device });
    const inputs = loadTensors(fixturePath('gpt2-lm', 'inputs.safetensors'), device);
    const expected = loadTensors(fixturePath('gpt2-lm', 'expected.safetensors'), device);
    const out = runnable.forward(Object.fromEntries(inputs), { outputHiddenStates: true, outputAttentions: true, labels: { labels: inputs.get('input_ids')! } });
    assert.deepEqual([...out.keys()].sort(), [...expected.keys()].filter((k) => !k.startsWith('grad.')).sort());
    for (const [name, t] of out) assertClose(t, expected.get(name)!, { atol: 1e-4, name });
    assert.deepEqual([...runnable.forward({ input_ids: inputs.get('input_ids')! }).keys()], ['logits']);
  });

  test('GPT2Model: last_hidden_state', () => {
    const runnable = gpt2Architectures.GPT2Model!(fixturePath('gpt2-lm'), { device });
    const inputs = loadTensors(fixturePath('gpt2-lm', 'inputs.safetensors'), device);
    const expected = loadTensors(fixturePath('gpt2-lm', 'expected.safetensors'), device);
    const out = runnable.forward(Object.fromEntries(inputs));
    assertClose(out.get('last_hidden_state')!, expected.get('hidden_states.2')!, { atol: 1e-4 });
    assert.deepEqual(runnable.labelNames, []);
  });
});

test('the GPT-2 class is judged from tensor names', () => {
  assert.equal(inferGPT2Architecture(['transformer.wte.weight', 'lm_head.weight']), 'GPT2LMHeadModel');
  assert.equal(inferGPT2Architecture(['wte.weight', 'h.0.attn.bias']), 'GPT2Model');
});
