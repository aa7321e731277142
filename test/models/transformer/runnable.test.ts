// The Transformer behind the architecture registry's uniform interface (what `tessera run` drives): outputs
// under transformers' Seq2Seq names — exactly the fixture's set — with the same values; labels alone give the
// decoder inputs; the architecture is judged from tensor names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tensor } from '../../../src/index.js';
import { loadTensors } from '../../../src/io/tensors.js';
import { inferTransformerArchitecture, transformerArchitectures } from '../../../src/models/transformer/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';

forEachDevice('Transformer run adapters', (device) => {
  const inputs = loadTensors(fixturePath('marian-mt', 'inputs.safetensors'), device);
  const expected = loadTensors(fixturePath('marian-mt', 'expected.safetensors'), device);
  const labels = tensor((JSON.parse(readFileSync(fixturePath('marian-mt', 'meta.json'), 'utf8')) as { labels: number[][] }).labels, { dtype: 'int64', device });

  test('MarianMTModel: every output under its transformers name', () => {
    const runnable = transformerArchitectures.MarianMTModel!(fixturePath('marian-mt'), { device });
    const out = runnable.forward(Object.fromEntries(inputs), { outputHiddenStates: true, outputAttentions: true, labels: { labels } });
    assert.deepEqual([...out.keys()].sort(), [...expected.keys()].filter((k) => !k.startsWith('grad.')).sort());
    for (const [name, t] of out) assertClose(t, expected.get(name)!, { atol: 1e-4, name });
    // labels alone: decoder inputs shifted from them (the fixture's decoder inputs are exactly that)
    const { decoder_input_ids: _, ...noDecoder } = Object.fromEntries(inputs);
    void _;
    const fromLabels = runnable.forward(noDecoder, { labels: { labels } });
    assertClose(fromLabels.get('logits')!, expected.get('logits')!, { atol: 1e-4 });
    assert.throws(() => runnable.forward(noDecoder), /decoder_input_ids are needed/);
  });

  test('MarianModel: last_hidden_state and the encoder outputs', () => {
    const runnable = transformerArchitectures.MarianModel!(fixturePath('marian-mt'), { device });
    const out = runnable.forward(Object.fromEntries(inputs), { outputHiddenStates: true });
    assertClose(out.get('last_hidden_state')!, expected.get('decoder_hidden_states.2')!, { atol: 1e-4 });
    assertClose(out.get('encoder_hidden_states.1')!, expected.get('encoder_hidden_states.1')!, { atol: 1e-4 });
    assert.deepEqual(runnable.labelNames, []);
  });
});

test('the Marian class is judged from tensor names', () => {
  assert.equal(inferTransformerArchitecture(['model.shared.weight', 'final_logits_bias']), 'MarianMTModel');
  assert.equal(inferTransformerArchitecture(['shared.weight', 'encoder.layers.0.fc1.weight']), 'MarianModel');
});
