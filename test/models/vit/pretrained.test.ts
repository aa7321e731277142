// ViT checkpoint folders: save -> load round trips give identical outputs and the key set transformers 5
// wrote; transformers-4 names (encoder.layer.N.attention.attention.query ...) and prefix-less base checkpoints
// load; missing and misshapen tensors fail by name (and both shapes); a new classifier on a base checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../../src/index.js';
import { loadTensors, saveTensors } from '../../../src/io/tensors.js';
import { checkpointKeys } from '../../../src/models/pretrained.js';
import { ViTForImageClassification, ViTModel, vitCurrentName } from '../../../src/models/vit/index.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { fixtureExpected, fixtureInputs, maxAbsDiff } from '../bert/fixture-parity.js';
import { tempDir } from '../../helpers/tmp.js';

function tmp(): string {
  return tempDir('tessera-vit-');
}

function rewritten(edit: (w: Map<string, Tensor>) => Map<string, Tensor>): string {
  const dir = tmp();
  copyFileSync(fixturePath('vit-cls', 'config.json'), join(dir, 'config.json'));
  saveTensors(join(dir, 'model.safetensors'), edit(loadTensors(fixturePath('vit-cls', 'model.safetensors'))));
  return dir;
}

/** transformers-4 names for a transformers-5 key (the inverse of vitCurrentName, for building old checkpoints). */
function legacyName(name: string): string {
  return name
    .replace(/layers\.(\d+)\.attention\.q_proj\./, 'encoder.layer.$1.attention.attention.query.')
    .replace(/layers\.(\d+)\.attention\.k_proj\./, 'encoder.layer.$1.attention.attention.key.')
    .replace(/layers\.(\d+)\.attention\.v_proj\./, 'encoder.layer.$1.attention.attention.value.')
    .replace(/layers\.(\d+)\.attention\.o_proj\./, 'encoder.layer.$1.attention.output.dense.')
    .replace(/layers\.(\d+)\.mlp\.fc1\./, 'encoder.layer.$1.intermediate.dense.')
    .replace(/layers\.(\d+)\.mlp\.fc2\./, 'encoder.layer.$1.output.dense.')
    .replace(/layers\.(\d+)\.layernorm_/, 'encoder.layer.$1.layernorm_');
}

test('vitCurrentName maps every transformers-4 layer name and leaves others alone', () => {
  assert.equal(vitCurrentName('vit.encoder.layer.11.attention.attention.query.weight'), 'vit.layers.11.attention.q_proj.weight');
  assert.equal(vitCurrentName('encoder.layer.0.attention.output.dense.bias'), 'layers.0.attention.o_proj.bias');
  assert.equal(vitCurrentName('vit.encoder.layer.3.intermediate.dense.weight'), 'vit.layers.3.mlp.fc1.weight');
  assert.equal(vitCurrentName('vit.encoder.layer.3.output.dense.weight'), 'vit.layers.3.mlp.fc2.weight');
  assert.equal(vitCurrentName('vit.encoder.layer.3.layernorm_before.weight'), 'vit.layers.3.layernorm_before.weight');
  assert.equal(vitCurrentName('vit.embeddings.cls_token'), 'vit.embeddings.cls_token');
});

forEachDevice('ViT checkpoints', (device) => {
  const pixels = () => ({ pixelValues: fixtureInputs('vit-cls', device).get('pixel_values')! });

  test('save -> load gives identical outputs and the fixture key set; config names the architecture', () => {
    const model = ViTForImageClassification.fromPretrained(fixturePath('vit-cls'), { device }).eval();
    const dir = tmp();
    model.savePretrained(dir);
    assert.deepEqual(checkpointKeys(join(dir, 'model.safetensors')).sort(), checkpointKeys(fixturePath('vit-cls', 'model.safetensors')).sort());
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config.architectures, ['ViTForImageClassification']);
    assert.equal(config.model_type, 'vit');
    const again = ViTForImageClassification.fromPretrained(dir, { device }).eval();
    const a = model.forward(pixels(), { outputHiddenStates: true, outputAttentions: true });
    const b = again.forward(pixels(), { outputHiddenStates: true, outputAttentions: true });
    assert.deepEqual(b.logits.toArray(), a.logits.toArray());
    a.hiddenStates!.forEach((h, i) => assert.deepEqual(b.hiddenStates![i]!.toArray(), h.toArray()));
    a.attentions!.forEach((h, i) => assert.deepEqual(b.attentions![i]!.toArray(), h.toArray()));
  });

  test('a transformers-4 checkpoint (old layer names, no vit. prefix on a base model) loads the same', () => {
    const dir = rewritten((w) => new Map([...w].map(([k, t]) => [legacyName(k), t])));
    assert.ok(checkpointKeys(join(dir, 'model.safetensors')).includes('vit.encoder.layer.1.attention.attention.query.weight'));
    const a = ViTForImageClassification.fromPretrained(fixturePath('vit-cls'), { device }).eval();
    const b = ViTForImageClassification.fromPretrained(dir, { device }).eval();
    assert.deepEqual(b.forward(pixels()).logits.toArray(), a.forward(pixels()).logits.toArray());
    const base = rewritten((w) => new Map([...w].filter(([k]) => k.startsWith('vit.')).map(([k, t]) => [legacyName(k).replace(/^vit\./, ''), t])));
    const baseModel = ViTModel.fromPretrained(base, { device }).eval(); // built without a pooler, as the file has none
    assert.equal(baseModel.pooler, null);
    assert.ok(maxAbsDiff(baseModel.forward(pixels(), { outputHiddenStates: true }).hiddenStates![2]!, fixtureExpected('vit-cls').get('hidden_states.2')!) <= 1e-4);
    const head = ViTForImageClassification.fromPretrained(base, { device, newHead: true }).eval();
    const out = head.forward(pixels(), { outputHiddenStates: true });
    assert.ok(maxAbsDiff(out.hiddenStates![2]!, fixtureExpected('vit-cls').get('hidden_states.2')!) <= 1e-4);
    assert.throws(() => ViTForImageClassification.fromPretrained(base, { device }), /missing tensors classifier\.weight, classifier\.bias/);
  });

  test('a missing tensor fails naming it; a misshapen one naming it and both shapes', () => {
    const missing = rewritten((w) => {
      w.delete('vit.layers.1.mlp.fc2.bias');
      return w;
    });
    assert.throws(() => ViTForImageClassification.fromPretrained(missing, { device }), /missing tensor vit\.layers\.1\.mlp\.fc2\.bias/);
    const misshapen = rewritten((w) => {
      w.set('vit.embeddings.position_embeddings', w.get('vit.embeddings.position_embeddings')!.narrow(1, 0, 10));
      return w;
    });
    assert.throws(() => ViTForImageClassification.fromPretrained(misshapen, { device }), /'vit\.embeddings\.position_embeddings' has shape \[1, 10, 32\] but the model expects \[1, 17, 32\]/);
  });
});
