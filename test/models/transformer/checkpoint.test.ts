// Marian checkpoints in and out: save -> load round trips with the key set transformers writes, MarianModel
// from an MT file, computed tensors (position tables, final_logits_bias) absent from older files, missing and
// misshapen tensors, the position-table layout a config selects, and input and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nn, TesseraError, zeros, type Tensor } from '../../../src/index.js';
import { loadTensors, saveTensors } from '../../../src/io/tensors.js';
import { checkpointKeys } from '../../../src/models/pretrained.js';
import { TransformerMTModel, TransformerModel, transformerConfig } from '../../../src/models/transformer/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { ids, randomModel, smallConfig, tempDir } from './util.js';

const FIXTURE = fixturePath('marian-mt');

function folderWith(tensors: Map<string, Tensor>, config?: object): string {
  const dir = tempDir();
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  else copyFileSync(join(FIXTURE, 'config.json'), join(dir, 'config.json'));
  saveTensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}

forEachDevice('Transformer checkpoints', (device) => {
  const reference = TransformerMTModel.fromPretrained(FIXTURE, { device });
  const inputs = loadTensors(join(FIXTURE, 'inputs.safetensors'), device);
  const run = (m: TransformerMTModel) => m.forward(inputs.get('input_ids')!, { attentionMask: inputs.get('attention_mask'), decoderInputIds: inputs.get('decoder_input_ids') }).logits;
  const refLogits = run(reference);

  test('save -> load gives identical outputs and the key set transformers writes', () => {
    const dir = tempDir();
    reference.savePretrained(dir);
    assert.deepEqual(checkpointKeys(join(dir, 'model.safetensors')).sort(), checkpointKeys(join(FIXTURE, 'model.safetensors')).sort());
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['MarianMTModel']);
    assert.equal(config.position_embedding_layout, undefined, 'a transformers config stays without the Tessera key');
    assertClose(run(TransformerMTModel.fromPretrained(dir, { device })), refLogits, { atol: 0, name: 'logits' });
  });

  test('the shared embedding is one tensor: encoder, decoder and output projection', () => {
    const m = reference.model;
    assert.equal(m.encoder.embed_tokens, m.shared);
    assert.equal(m.decoder.embed_tokens, m.shared);
    assert.equal(reference.lm_head.weight, m.shared!.weight);
    assert.equal(reference.namedParameters().filter(([, p]) => p === m.shared!.weight).length, 1);
  });

  test('MarianModel loads an MT file (prefix stripped) and writes names without it', () => {
    const base = TransformerModel.fromPretrained(FIXTURE, { device });
    const out = base.forward(inputs.get('input_ids')!, { attentionMask: inputs.get('attention_mask'), decoderInputIds: inputs.get('decoder_input_ids') });
    assertClose(reference.logits(out.lastHiddenState), refLogits, { atol: 0 });
    const dir = tempDir();
    base.savePretrained(dir);
    const keys = checkpointKeys(join(dir, 'model.safetensors'));
    assert.ok(keys.includes('shared.weight') && keys.includes('encoder.embed_positions.weight'));
    assert.ok(keys.every((k) => !k.startsWith('model.') && k !== 'lm_head.weight'));
    // and the MT model reads that base file back (head tied, bias zero)
    assertClose(run(TransformerMTModel.fromPretrained(dir, { device })), refLogits, { atol: 0 });
  });

  test('position tables and final_logits_bias may be absent: they are computed from the config', () => {
    const src = loadTensors(join(FIXTURE, 'model.safetensors'), device);
    const older = new Map([...src].filter(([k]) => !k.includes('embed_positions') && k !== 'final_logits_bias' && k !== 'lm_head.weight' && !k.includes('embed_tokens')));
    assertClose(run(TransformerMTModel.fromPretrained(folderWith(older), { device })), refLogits, { atol: 0 });
  });

  test('a missing tensor fails naming it; a misshapen one names both shapes', () => {
    const src = loadTensors(join(FIXTURE, 'model.safetensors'), device);
    const missing = new Map(src);
    missing.delete('model.decoder.layers.1.encoder_attn.v_proj.bias');
    assert.throws(() => TransformerMTModel.fromPretrained(folderWith(missing), { device }), /missing tensor model\.decoder\.layers\.1\.encoder_attn\.v_proj\.bias/);
    const misshapen = new Map(src);
    misshapen.set('model.encoder.layers.0.fc1.weight', zeros([32, 128], { device }));
    assert.throws(() => TransformerMTModel.fromPretrained(folderWith(misshapen), { device }),
      /tensor 'model\.encoder\.layers\.0\.fc1\.weight' has shape \[32, 128\] but the model expects \[128, 32\]/);
  });

  test('untied, unshared embeddings (decoder_vocab_size) round-trip', () => {
    const config = smallConfig({ share_encoder_decoder_embeddings: false, tie_word_embeddings: false, decoder_vocab_size: 17 });
    const m = randomModel(config, device, 3);
    assert.equal(m.model.shared, null);
    assert.deepEqual(m.model.decoder.embed_tokens.weight.shape, [17, 20]);
    const dir = tempDir();
    m.savePretrained(dir);
    assert.ok(!checkpointKeys(join(dir, 'model.safetensors')).includes('model.shared.weight'));
    const back = TransformerMTModel.fromPretrained(dir, { device });
    const x = ids([[3, 28, 4, 1]], device), y = ids([[0, 16, 2]], device);
    assertClose(back.forward(x, { decoderInputIds: y }).logits, m.forward(x, { decoderInputIds: y }).logits, { atol: 0 });
    assert.deepEqual(back.forward(x, { decoderInputIds: y }).logits.shape, [1, 3, 17]);
  });

  test('input ids out of range and sequences longer than max_position_embeddings fail naming the value and the limit', () => {
    const x = inputs.get('input_ids')!, y = inputs.get('decoder_input_ids')!;
    assert.throws(() => reference.forward(ids([[5, 101]], device), { decoderInputIds: y.narrow(0, 0, 1) }),
      (e: Error) => e instanceof TesseraError && /input_ids: token id 101 .*vocab_size 101/.test(e.message));
    assert.throws(() => reference.forward(x, { decoderInputIds: ids([[0, 400], [0, 1]], device) }), /decoder_input_ids: token id 400/);
    const long = ids([Array.from({ length: 65 }, (_, i) => 2 + (i % 90))], device);
    assert.throws(() => reference.forward(long, { decoderInputIds: ids([[0]], device) }), /input_ids: sequence length 65 is longer than max_position_embeddings 64/);
    assert.throws(() => reference.forward(ids([[5]], device), { decoderInputIds: long }), /decoder_input_ids: sequence length 65 is longer than max_position_embeddings 64/);
    assert.throws(() => reference.forward(x, {}), /decoder_input_ids are needed/);
  });
});

test('position tables: the paper\'s interleaved layout in presets, Marian\'s halves for transformers files', () => {
  const paper = new TransformerMTModel(smallConfig());
  assertClose(paper.model.encoder.embed_positions.weight, nn.sinusoidalTable(24, 20, 'interleaved'), { atol: 0 });
  assertClose(paper.model.decoder.embed_positions.weight, nn.sinusoidalTable(24, 20, 'interleaved'), { atol: 0 });
  const marian = new TransformerMTModel(smallConfig({ position_embedding_layout: null }));
  assertClose(marian.model.encoder.embed_positions.weight, nn.sinusoidalTable(24, 20, 'halves'), { atol: 0 });
  const fixture = loadTensors(join(FIXTURE, 'model.safetensors'));
  assertClose(fixture.get('model.encoder.embed_positions.weight')!, nn.sinusoidalTable(64, 32, 'halves'), { atol: 1e-6 });
  // a saved preset model keeps its layout in config.json
  const dir = tempDir();
  paper.savePretrained(dir);
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).position_embedding_layout, 'interleaved');
});

test('config errors name the file and the key; presets have the sizes their comments state', () => {
  const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
  const weights = loadTensors(join(FIXTURE, 'model.safetensors'));
  assert.throws(() => TransformerMTModel.fromPretrained(folderWith(weights, { ...config, decoder_attention_heads: 5 })), /config\.json: d_model 32 is not divisible by decoder_attention_heads 5/);
  assert.throws(() => TransformerMTModel.fromPretrained(folderWith(weights, { ...config, position_embedding_layout: 'spiral' })), /'position_embedding_layout' must be 'interleaved' or 'halves'/);
  assert.throws(() => TransformerMTModel.fromPretrained(folderWith(weights, { ...config, activation_function: 'mish' })), /unknown activation 'mish'/);
  assert.throws(() => transformerConfig('transformer-huge' as never), /unknown Transformer preset/);
  // parameter counts from the config alone (building 214M parameters is not a unit test)
  const count = (c: ReturnType<typeof transformerConfig>) => {
    const C = c.d_model, attn = 4 * (C * C + C), ln = 2 * C;
    const enc = attn + ln + C * c.encoder_ffn_dim + c.encoder_ffn_dim + c.encoder_ffn_dim * C + C + ln;
    const dec = 2 * attn + 2 * ln + C * c.decoder_ffn_dim + c.decoder_ffn_dim + c.decoder_ffn_dim * C + C + ln;
    return c.vocab_size * C + c.encoder_layers * enc + c.decoder_layers * dec;
  };
  assert.equal(Math.round(count(transformerConfig('transformer-base')) / 1e6), 63);
  assert.equal(Math.round(count(transformerConfig('transformer-big')) / 1e6), 214);
  const small = smallConfig();
  assert.equal(new TransformerMTModel(small).numParameters(), count(small));
});
