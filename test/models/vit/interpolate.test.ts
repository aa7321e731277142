// Position-table interpolation against transformers: the vit-cls checkpoint (32x32 images) run by PyTorch on
// 48x40 (up, non-square), 24x24 (down) and 16x40 images with interpolate_pos_encoding=True
// (test/fixtures/vit-interpolate, made by its make.py): logits, hidden states, attentions, loss within 1e-4
// absolute; gradients of the position table (through the bicubic resize), [CLS] and patch projection within
// 1e-4 relative or 1e-6 absolute.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { tensor, type Tensor } from '../../../src/index.js';
import { loadTensors } from '../../../src/io/tensors.js';
import { ViTForImageClassification } from '../../../src/models/vit/index.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { assertGrads, assertOutputs, describeErrors } from '../bert/fixture-parity.js';

const meta = JSON.parse(readFileSync(fixturePath('vit-interpolate', 'meta.json'), 'utf8')) as { labels: number[]; cases: Record<string, unknown> };

forEachDevice('ViT interpolate_pos_encoding matches transformers', (device) => {
  for (const size of Object.keys(meta.cases)) {
    test(`${size} images on the 32x32 checkpoint`, (t) => {
      const expected = loadTensors(fixturePath('vit-interpolate', `${size}.safetensors`), device);
      const model = ViTForImageClassification.fromPretrained(fixturePath('vit-cls'), { device }).eval();
      const out = model.forward({ pixelValues: expected.get('pixel_values')! }, {
        interpolatePosEncoding: true, outputHiddenStates: true, outputAttentions: true, labels: tensor(meta.labels, { dtype: 'int64', device }),
      });
      const named = new Map<string, Tensor>([['logits', out.logits], ['loss', out.loss!.reshape([1])], ['pixel_values', expected.get('pixel_values')!]]);
      out.hiddenStates!.forEach((h, i) => named.set(`hidden_states.${i}`, h));
      out.attentions!.forEach((a, i) => named.set(`attentions.${i}`, a));
      const outputs = assertOutputs(named, expected);
      out.loss!.backward();
      t.diagnostic(`vit-interpolate ${size} [${device}]: ${describeErrors(outputs, assertGrads(model.stateDict(), expected))}`);
    });
  }
});
