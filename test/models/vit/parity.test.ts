// ViTForImageClassification against transformers 5.17 (PyTorch, float32, eager attention), through the library
// API: logits, every hidden state, every attention map and the loss within 1e-4 absolute; the gradients of the
// patch projection, [CLS] token, position table and classifier within 1e-4 relative (or 1e-6 absolute).
import { test } from 'node:test';
import { ViTForImageClassification } from '../../../src/models/vit/index.js';
import { setFusedOps, type Tensor } from '../../../src/index.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { assertGrads, assertOutputs, describeErrors, fixtureExpected, fixtureInputs, metaLabelTensors } from '../bert/fixture-parity.js';

forEachDevice('ViT matches transformers', (device) => {
  for (const fused of [true, false]) {
    test(`ViTForImageClassification (vit-cls): logits, hidden states, attentions, loss, gradients${fused ? '' : ' (composed, unfused ops)'}`, (t) => {
      setFusedOps(fused);
      try {
        check(t, fused);
      } finally {
        setFusedOps(true);
      }
    });
  }

  function check(t: { diagnostic(s: string): void }, fused: boolean): void {
    const name = 'vit-cls';
    const model = ViTForImageClassification.fromPretrained(fixturePath(name), { device }).eval();
    const pixelValues = fixtureInputs(name, device).get('pixel_values')!;
    const out = model.forward({ pixelValues }, { outputHiddenStates: true, outputAttentions: true, labels: metaLabelTensors(name, device).labels });
    const named = new Map<string, Tensor>([['logits', out.logits], ['loss', out.loss!.reshape([1])]]);
    out.hiddenStates!.forEach((h, i) => named.set(`hidden_states.${i}`, h));
    out.attentions!.forEach((a, i) => named.set(`attentions.${i}`, a));
    const expected = fixtureExpected(name);
    const outputs = assertOutputs(named, expected);
    out.loss!.backward();
    t.diagnostic(`${name}${fused ? '' : ' unfused'} [${device}]: ${describeErrors(outputs, assertGrads(model.stateDict(), expected))}`);
  }
});
