// BERT beyond the fixtures: config defaults and checks, presets, input validation, the attention mask, the
// classification losses by problem type, QA position clamping, and dropout that is real in train mode only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryCrossEntropyWithLogits, crossEntropy, manualSeed, mseLoss, tensor, type Tensor } from '../../../src/index.js';
import {
  BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, BertModel, bertConfig, bertPreset, bertPresets,
} from '../../../src/models/bert/index.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { fixtureInputs, maxAbsDiff } from './fixture-parity.js';

/** A small config for models built from scratch. */
const SMALL = { vocab_size: 50, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 20 };

function ids(rows: number[][], device: string): Tensor {
  return tensor(rows, { dtype: 'int64', device });
}

test('bertConfig fills HF defaults, keeps unknown keys, builds label maps, and refuses bad values by key', () => {
  const c = bertConfig({});
  assert.equal(c.vocab_size, 30522);
  assert.equal(c.hidden_size, 768);
  assert.equal(c.hidden_dropout_prob, 0.1);
  assert.equal(c.layer_norm_eps, 1e-12);
  assert.equal(c.pad_token_id, 0);
  assert.deepEqual(c.id2label, { 0: 'LABEL_0', 1: 'LABEL_1' });
  assert.equal(bertConfig({ num_labels: 4 }).label2id.LABEL_3, 3);
  assert.equal(bertConfig({ transformers_version: '5.17.0' }).transformers_version, '5.17.0');
  assert.throws(() => bertConfig({ hidden_size: 30, num_attention_heads: 4 }), /hidden_size 30 is not a multiple of num_attention_heads 4/);
  assert.throws(() => bertConfig({ vocab_size: -3 }), /vocab_size must be a positive integer, got -3/);
  assert.throws(() => bertConfig({ hidden_act: 'swoosh' }), /hidden_act: unknown activation 'swoosh'/);
  assert.throws(() => bertConfig({ position_embedding_type: 'relative_key' }), /position_embedding_type 'relative_key' is not supported/);
  assert.throws(() => bertConfig({ problem_type: 'ranking' }), /problem_type must be null or one of/);
  assert.throws(() => bertConfig({ num_labels: 3, id2label: { 0: 'a', 1: 'b' } }), /num_labels 3 disagrees with the 2 entries of id2label/);
  assert.throws(() => bertPreset('bert-huge'), /unknown BERT preset 'bert-huge'/);
});

test('presets have the published sizes (parameter count of BertModel)', () => {
  const tiny = new BertModel(bertPreset('bert-tiny'), { device: 'cpu-js' });
  assert.equal(tiny.numParameters(), 4385920); // google/bert_uncased_L-2_H-128_A-2: 4.4M
  assert.equal(bertPreset('bert-large-uncased', { num_labels: 3 }).hidden_size, 1024);
  assert.ok(Object.keys(bertPresets).includes('bert-base-uncased'));
});

forEachDevice('BERT inputs and losses', (device) => {
  test('input ids outside the vocabulary, too long sequences and bad shapes fail with one clear line', () => {
    const m = new BertModel(SMALL, { device }).eval();
    assert.throws(() => m.forward({ inputIds: ids([[1, 50, 2]], device) }), /input_ids holds id 50, but vocab_size is 50 \(ids must be in \[0, 49\]\)/);
    assert.throws(() => m.forward({ inputIds: ids([[1, -2, 2]], device) }), /input_ids holds id -2/);
    assert.throws(() => m.forward({ inputIds: ids([Array.from({ length: 21 }, () => 1)], device) }), /input_ids has 21 positions, more than max_position_embeddings 20/);
    assert.throws(() => m.forward({ inputIds: ids([[1, 2]], device), tokenTypeIds: ids([[0, 2]], device) }), /token_type_ids holds id 2, but type_vocab_size is 2/);
    assert.throws(() => m.forward({ inputIds: ids([[1, 2]], device), attentionMask: ids([[1, 1, 0]], device) }), /attention_mask has shape \[1, 3\], but input_ids has \[1, 2\]/);
    assert.throws(() => m.forward({ inputIds: tensor([1, 2], { dtype: 'int64', device }) }), /input_ids has shape \[2\], expected \(batch, sequence\)/);
    assert.throws(() => m.forward({ inputIds: tensor([[1, 2]], { device }) }), /input_ids must hold integer ids/);
  });

  test('padding keys get zero attention and do not change the unpadded tokens', () => {
    manualSeed(1);
    const m = new BertModel(SMALL, { device }).eval();
    const short = m.forward({ inputIds: ids([[3, 4, 5]], device) }, { outputAttentions: true });
    const padded = m.forward({ inputIds: ids([[3, 4, 5, 0, 0]], device), attentionMask: ids([[1, 1, 1, 0, 0]], device) }, { outputAttentions: true });
    assert.ok(maxAbsDiff(padded.lastHiddenState.narrow(1, 0, 3), short.lastHiddenState) <= 1e-5);
    const probs = padded.attentions![0]!.toArray(); // (1, 2, 5, 5)
    for (let i = 0; i < probs.length; i++) if (i % 5 >= 3) assert.equal(probs[i], 0);
    // a row with every key padded attends uniformly, as transformers' finfo.min mask gives
    const allPad = m.forward({ inputIds: ids([[3, 4, 5]], device), attentionMask: ids([[0, 0, 0]], device) }, { outputAttentions: true });
    assert.ok(allPad.attentions![1]!.toArray().every((p) => Math.abs(p - 1 / 3) < 1e-6));
    // explicit defaults equal implicit ones
    const explicit = m.forward({ inputIds: ids([[3, 4, 5]], device), tokenTypeIds: ids([[0, 0, 0]], device), positionIds: ids([[0, 1, 2]], device) });
    assert.deepEqual(explicit.lastHiddenState.toArray(), short.lastHiddenState.toArray());
  });

  test('sequence classification losses by problem type: regression MSE, single-label CE, multi-label BCE', () => {
    manualSeed(2);
    const x = { inputIds: ids([[1, 2, 3], [4, 5, 6]], device) };
    const reg = new BertForSequenceClassification({ ...SMALL, num_labels: 1 }, { device }).eval();
    const r = reg.forward(x, { labels: tensor([0.5, -1], { device }) });
    assert.ok(Math.abs(r.loss!.item() - mseLoss(r.logits.reshape([-1]), tensor([0.5, -1], { device })).item()) < 1e-6);
    const multi = new BertForSequenceClassification({ ...SMALL, num_labels: 3 }, { device }).eval();
    const y = tensor([[1, 0, 1], [0, 0, 1]], { device });
    const mo = multi.forward(x, { labels: y });
    assert.ok(Math.abs(mo.loss!.item() - binaryCrossEntropyWithLogits(mo.logits, y).item()) < 1e-6);
    const so = multi.forward(x, { labels: ids([[2], [0]], device).reshape([2]) });
    assert.ok(Math.abs(so.loss!.item() - crossEntropy(so.logits, tensor([2, 0], { dtype: 'int64', device })).item()) < 1e-6);
    assert.throws(() => multi.forward(x, { labels: ids([[3], [0]], device).reshape([2]) }), /labels holds class 3, but there are 3 classes/);
    // config.problem_type wins over the dtype rule
    const forced = new BertForSequenceClassification({ ...SMALL, num_labels: 3, problem_type: 'multi_label_classification' }, { device }).eval();
    const fo = forced.forward(x, { labels: ids([[1, 0, 1], [0, 0, 1]], device) });
    assert.ok(Math.abs(fo.loss!.item() - binaryCrossEntropyWithLogits(fo.logits, y).item()) < 1e-6);
    const tok = new BertForTokenClassification({ ...SMALL, num_labels: 4 }, { device }).eval();
    assert.throws(() => tok.forward(x, { labels: ids([[1, 2], [0, 1]], device) }), /labels has shape \[2, 2\], expected \[2, 3\]/);
  });

  test('QA loss: positions clamped to [0, T], T ignored, (CE(start) + CE(end)) / 2', () => {
    manualSeed(3);
    const qa = new BertForQuestionAnswering(SMALL, { device }).eval();
    const x = { inputIds: ids([[1, 2, 3, 4], [5, 6, 7, 8]], device) };
    const out = qa.forward(x, { startPositions: ids([[9], [1]], device), endPositions: ids([[2], [-5]], device) });
    // start: 9 -> 4 = T (ignored), 1; end: 2, -5 -> 0
    const s = crossEntropy(out.startLogits.narrow(0, 1, 1), ids([[1]], device).reshape([1]));
    const e = crossEntropy(out.endLogits, tensor([2, 0], { dtype: 'int64', device }));
    assert.ok(Math.abs(out.loss!.item() - (s.item() + e.item()) / 2) < 1e-6);
    assert.throws(() => qa.forward(x, { startPositions: ids([[1], [2]], device).reshape([2]) }), /needs both start_positions and end_positions/);
  });

  test('dropout is active in train mode and off in eval mode', () => {
    manualSeed(4);
    const m = new BertForSequenceClassification({ ...SMALL, hidden_dropout_prob: 0.3, attention_probs_dropout_prob: 0.3 }, { device });
    const x = { inputIds: ids([[1, 2, 3, 4]], device) };
    m.train();
    const a = m.forward(x).logits.toArray(), b = m.forward(x).logits.toArray();
    assert.notDeepEqual(a, b);
    m.eval();
    assert.deepEqual(m.forward(x).logits.toArray(), m.forward(x).logits.toArray());
  });

  test('weights are initialised as HF does: N(0, initializer_range), zero biases, padding row zero', () => {
    manualSeed(5);
    const m = new BertModel({ ...SMALL, vocab_size: 400, hidden_size: 64, num_attention_heads: 4, initializer_range: 0.05 }, { device });
    const w = m.embeddings.wordEmbeddings.weight.toArray();
    let s = 0, s2 = 0;
    for (let i = 64; i < w.length; i++) {
      s += w[i]!;
      s2 += w[i]! * w[i]!;
    }
    const n = w.length - 64;
    assert.ok(Math.abs(Math.sqrt(s2 / n - (s / n) ** 2) - 0.05) < 0.003);
    assert.ok(w.slice(0, 64).every((v) => v === 0), 'padding row is zero');
    assert.ok(m.encoder.layer.at(0).attention.self.query.bias!.toArray().every((v) => v === 0), 'biases are zero');
  });

  test('the fixture inputs give the same outputs in one batch as row by row', () => {
    const m = BertForTokenClassification.fromPretrained(fixturePath('bert-tokcls'), { device }).eval();
    const inp = fixtureInputs('bert-tokcls', device);
    const full = m.forward({ inputIds: inp.get('input_ids')!, attentionMask: inp.get('attention_mask'), tokenTypeIds: inp.get('token_type_ids') }).logits;
    const row = m.forward({ inputIds: inp.get('input_ids')!.narrow(0, 1, 1).narrow(1, 0, 8), tokenTypeIds: inp.get('token_type_ids')!.narrow(0, 1, 1).narrow(1, 0, 8) }).logits;
    assert.ok(maxAbsDiff(full.narrow(0, 1, 1).narrow(1, 0, 8), row) <= 1e-5);
  });
});
