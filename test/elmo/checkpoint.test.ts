// Model folders: config.json + model.safetensors + vocab.txt round trip (same tensors, same outputs), the
// documented tensor names, presets, and the errors for broken folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '../../src/autograd/engine.js';
import { checkpointKeys } from '../../src/models/pretrained.js';
import { manualSeed } from '../../src/tensor/creation.js';
import { ELMO_PRESETS, ElmoLanguageModel, ElmoVocabulary, elmoConfig, encodeBatch, loadElmo, saveElmo } from '../../src/models/elmo/index.js';
import { assertClose } from '../helpers/assert.js';
import { SENTENCES, tinyConfig } from './util.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-elmo-'));
}

test('save and load: same tensors, config, vocabulary and losses', () => {
  manualSeed(20);
  const vocab = ElmoVocabulary.fromSentences(SENTENCES);
  const config = tinyConfig({ vocab_size: vocab.size });
  const model = new ElmoLanguageModel(config);
  const dir = tmp();
  try {
    saveElmo(dir, model, vocab);
    const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(json.model_type, 'elmo');
    assert.deepEqual(json.architectures, ['ElmoLanguageModel']);
    assert.deepEqual(json.lstm, config.lstm);
    assert.equal(readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n')[3], 'bank');
    const keys = checkpointKeys(join(dir, 'model.safetensors')).sort();
    assert.deepEqual(keys.filter((k) => !k.startsWith('_token_embedder.')), [
      '_elmo_lstm.backward_layer_0.input_linearity.weight', '_elmo_lstm.backward_layer_0.state_linearity.bias',
      '_elmo_lstm.backward_layer_0.state_linearity.weight', '_elmo_lstm.backward_layer_0.state_projection.weight',
      '_elmo_lstm.backward_layer_1.input_linearity.weight', '_elmo_lstm.backward_layer_1.state_linearity.bias',
      '_elmo_lstm.backward_layer_1.state_linearity.weight', '_elmo_lstm.backward_layer_1.state_projection.weight',
      '_elmo_lstm.forward_layer_0.input_linearity.weight', '_elmo_lstm.forward_layer_0.state_linearity.bias',
      '_elmo_lstm.forward_layer_0.state_linearity.weight', '_elmo_lstm.forward_layer_0.state_projection.weight',
      '_elmo_lstm.forward_layer_1.input_linearity.weight', '_elmo_lstm.forward_layer_1.state_linearity.bias',
      '_elmo_lstm.forward_layer_1.state_linearity.weight', '_elmo_lstm.forward_layer_1.state_projection.weight',
      '_softmax_loss.softmax_b', '_softmax_loss.softmax_w',
    ]);
    const loaded = loadElmo(dir);
    assert.deepEqual(loaded.vocab.words, vocab.words);
    for (const [name, t] of model.stateDict()) assertClose(loaded.model.stateDict().get(name)!, t, { atol: 0, name });
    model.eval();
    const enc = encodeBatch(SENTENCES, vocab, 8);
    const a = noGrad(() => model.forward(enc.ids, enc.lengths, enc.wordIds));
    const b = noGrad(() => loaded.model.forward(enc.ids, enc.lengths, enc.wordIds));
    assertClose(b.forwardLoss, a.forwardLoss, { atol: 1e-6 });
    assertClose(b.backwardLoss, a.backwardLoss, { atol: 1e-6 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('broken folders fail naming the problem', () => {
  const vocab = ElmoVocabulary.fromSentences(SENTENCES);
  const model = new ElmoLanguageModel(tinyConfig({ vocab_size: vocab.size }));
  const dir = tmp();
  try {
    assert.throws(() => loadElmo(join(dir, 'nope')), /does not exist/);
    saveElmo(dir, model, vocab);
    writeFileSync(join(dir, 'vocab.txt'), '</S>\n<S>\n<unk>\nbank\n');
    assert.throws(() => loadElmo(dir), /4 words but config.json's vocab_size is 15/);
    writeFileSync(join(dir, 'vocab.txt'), 'bank\n');
    assert.throws(() => loadElmo(dir), /must start with <\/S>, <S>, <unk>/);
    rmSync(join(dir, 'vocab.txt'));
    assert.throws(() => loadElmo(dir), /has no vocab.txt/);
    assert.throws(() => saveElmo(dir, model, ElmoVocabulary.fromSentences([['a']])), /4 words but the model's softmax 15/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('presets: the original sizes and the small one; bad configs fail naming the key', () => {
  const original = elmoConfig('elmo-original');
  assert.deepEqual(original.char_cnn.filters, [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]]);
  assert.equal(original.char_cnn.n_highway, 2);
  assert.equal(original.lstm.dim, 4096);
  assert.equal(original.lstm.projection_dim, 512);
  assert.ok('elmo-small' in ELMO_PRESETS);
  assert.throws(() => elmoConfig('elmo-huge' as never), /unknown ELMo preset 'elmo-huge'/);
  assert.throws(() => elmoConfig('elmo-small', { vocab_size: 2 }), /'vocab_size' must be an integer >= 3/);
  assert.throws(() => elmoConfig(null, { lstm: { ...original.lstm, cell_clip: -1 } }), /'lstm.cell_clip' must be null or a positive number/);
  assert.throws(() => elmoConfig(null, { char_cnn: { ...original.char_cnn, max_characters_per_token: 5 } }), /width 7 is wider than max_characters_per_token 5/);
});
