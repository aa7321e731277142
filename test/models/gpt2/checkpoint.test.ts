// GPT-2 checkpoints in and out: files with or without the 'transformer.' prefix, old mask buffers, tied or
// missing lm_head; save -> load round trips; missing and misshapen tensors; input and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TesseraError, zeros, type Tensor } from '../../../src/index.js';
import { loadTensors, saveTensors } from '../../../src/io/tensors.js';
import { checkpointKeys } from '../../../src/models/pretrained.js';
import { GPT2LMHeadModel, GPT2Model, gpt2Config } from '../../../src/models/gpt2/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { ids, oddConfig, randomModel, tempDir } from './util.js';

const FIXTURE = fixturePath('gpt2-lm');

/** A checkpoint folder with the fixture's config and the given tensors. */
function folderWith(tensors: Map<string, Tensor>): string {
  const dir = tempDir();
  copyFileSync(join(FIXTURE, 'config.json'), join(dir, 'config.json'));
  saveTensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}

forEachDevice('GPT-2 checkpoints', (device) => {
  const reference = GPT2LMHeadModel.fromPretrained(FIXTURE, { device });
  const input = loadTensors(join(FIXTURE, 'inputs.safetensors'), device).get('input_ids')!;
  const refLogits = reference.forward(input).logits;

  test('a GPT2Model-style file (no prefix, mask buffers, no lm_head) loads into the LM model, head tied to wte', () => {
    const src = loadTensors(join(FIXTURE, 'model.safetensors'), device);
    const plain = new Map<string, Tensor>();
    for (const [k, t] of src) if (k !== 'lm_head.weight') plain.set(k.replace(/^transformer\./, ''), t);
    plain.set('h.0.attn.bias', zeros([1, 1, 64, 64], { device }));
    plain.set('h.1.attn.masked_bias', zeros([], { device }));
    const model = GPT2LMHeadModel.fromPretrained(folderWith(plain), { device });
    assert.equal(model.lm_head.weight, model.transformer.wte.weight);
    assertClose(model.forward(input).logits, refLogits, { atol: 0, name: 'logits' });
  });

  test('GPT2Model loads an LM file (prefix stripped) and gives the LM model last hidden state', () => {
    const base = GPT2Model.fromPretrained(FIXTURE, { device });
    const expected = loadTensors(join(FIXTURE, 'expected.safetensors'), device);
    assertClose(base.forward(input).lastHiddenState, expected.get('hidden_states.2')!, { atol: 1e-4 });
  });

  test('save -> load gives identical outputs and the key set transformers writes', () => {
    const dir = tempDir();
    reference.savePretrained(dir);
    assert.deepEqual(checkpointKeys(join(dir, 'model.safetensors')).sort(), checkpointKeys(join(FIXTURE, 'model.safetensors')).sort());
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['GPT2LMHeadModel']);
    assert.equal(config.n_embd, 32);
    // Conv1D weights stay (in, out) in the file
    const saved = loadTensors(join(dir, 'model.safetensors'), device);
    assert.deepEqual(saved.get('transformer.h.0.attn.c_attn.weight')!.shape, [32, 96]);
    assertClose(GPT2LMHeadModel.fromPretrained(dir, { device }).forward(input).logits, refLogits, { atol: 0, name: 'logits' });

    const baseDir = tempDir();
    GPT2Model.fromPretrained(FIXTURE, { device }).savePretrained(baseDir);
    assert.ok(checkpointKeys(join(baseDir, 'model.safetensors')).every((k) => !k.startsWith('transformer.') && k !== 'lm_head.weight'));
  });

  test('another config (untied head, n_inner, layer-index scaling) round-trips through a folder', () => {
    const config = oddConfig({ tie_word_embeddings: false });
    const model = randomModel(config, device, 7);
    assert.notEqual(model.lm_head.weight, model.transformer.wte.weight);
    const dir = tempDir();
    model.savePretrained(dir);
    const back = GPT2LMHeadModel.fromPretrained(dir, { device });
    const x = ids([[1, 5, 9, 36, 0], [2, 2, 3, 4, 5]], device);
    assertClose(back.forward(x).logits, model.forward(x).logits, { atol: 0 });
    assert.deepEqual(back.transformer.h.at(0).mlp.c_fc.weight.shape, [24, 40]);
  });

  test('a missing tensor fails naming it; a misshapen one names both shapes', () => {
    const src = loadTensors(join(FIXTURE, 'model.safetensors'), device);
    const missing = new Map(src);
    missing.delete('transformer.h.1.mlp.c_proj.weight');
    assert.throws(() => GPT2LMHeadModel.fromPretrained(folderWith(missing), { device }), /missing tensor transformer\.h\.1\.mlp\.c_proj\.weight/);
    const misshapen = new Map(src);
    misshapen.set('transformer.h.0.attn.c_attn.weight', zeros([96, 32], { device })); // an (out, in) layout
    assert.throws(() => GPT2LMHeadModel.fromPretrained(folderWith(misshapen), { device }),
      /tensor 'transformer\.h\.0\.attn\.c_attn\.weight' has shape \[96, 32\] but the model expects \[32, 96\]/);
  });

  test('token ids out of range and sequences longer than n_positions fail naming the value and the limit', () => {
    assert.throws(() => reference.forward(ids([[1, 2, 101]], device)), (e: Error) => e instanceof TesseraError && /token id 101 .*vocab_size 101/.test(e.message));
    assert.throws(() => reference.forward(ids([[-1]], device)), /token id -1/);
    const long = ids([Array.from({ length: 65 }, (_, i) => i % 101)], device);
    assert.throws(() => reference.forward(long), (e: Error) => e instanceof TesseraError && /length 65 is longer than n_positions 64/.test(e.message));
    assert.throws(() => reference.forward(ids([[1, 2]], device), { attentionMask: ids([[1, 1, 1]], device) }), /attention mask of shape \[1, 3\]/);
    assert.throws(() => reference.forward(ids([[1, 2]], device), { positionIds: ids([[0, 64]], device) }), /position_ids: position 64 is outside n_positions 64/);
  });
});

test('config.json errors name the file and the key', () => {
  const dir = tempDir();
  copyFileSync(join(FIXTURE, 'model.safetensors'), join(dir, 'model.safetensors'));
  const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, n_head: 5 }));
  assert.throws(() => GPT2LMHeadModel.fromPretrained(dir), /config\.json: n_embd 32 is not divisible by n_head 5/);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, n_layer: '2' }));
  assert.throws(() => GPT2LMHeadModel.fromPretrained(dir), /config\.json: 'n_layer' must be a positive integer, got "2"/);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, activation_function: 'gelu_wrong' }));
  assert.throws(() => GPT2LMHeadModel.fromPretrained(dir), /unknown activation 'gelu_wrong'/);
  assert.throws(() => GPT2LMHeadModel.fromPretrained(join(dir, 'nope')), /model folder .*nope' does not exist/);
  assert.throws(() => gpt2Config('gpt3' as never), /unknown GPT-2 preset 'gpt3'/);
});

test('presets: the character-level model has the size its comment states', () => {
  const c = gpt2Config('gpt2-char');
  const model = new GPT2LMHeadModel(c);
  assert.equal(model.numParameters(), 10_770_816); // 10.8M
  assert.equal(gpt2Config('gpt2-medium').n_layer, 24);
});
