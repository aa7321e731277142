// BERT heads against transformers 5.17 (PyTorch, float32, eager attention), through the library API: every
// output of each fixture (logits, hidden_states.N, attentions.N, loss) within 1e-4 absolute and every listed
// gradient within 1e-4 relative (or 1e-6 absolute). The MLM-only and NSP-only heads read the pretraining fixture.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, setFusedOps, tensor, type Tensor } from '../../../src/index.js';
import {
  BertForMaskedLM, BertForNextSentencePrediction, BertForPreTraining, BertForQuestionAnswering,
  BertForSequenceClassification, BertForTokenClassification, type BertInputs,
} from '../../../src/models/bert/index.js';
import { collectOutputs } from '../../../src/models/run-outputs.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { assertGrads, assertOutputs, describeErrors, fixtureExpected, fixtureInputs, maxAbsDiff, metaLabelTensors } from './fixture-parity.js';

const OUT = { outputHiddenStates: true, outputAttentions: true } as const;

function inputsOf(name: string, device: string): BertInputs {
  const m = fixtureInputs(name, device);
  return { inputIds: m.get('input_ids')!, attentionMask: m.get('attention_mask'), tokenTypeIds: m.get('token_type_ids') };
}

type HeadOutput = { hiddenStates?: Tensor[]; attentions?: Tensor[]; loss?: Tensor };

/**
 * Checks a head's outputs (HF names: `main` plus hidden states, attentions and loss) and, after backward of its
 * loss, every gradient against the fixture; reports the errors as a test diagnostic.
 */
function checkAgainstFixture(t: TestContext, label: string, name: string, model: { stateDict(): Map<string, Tensor> }, main: Record<string, Tensor>, out: HeadOutput): void {
  const expected = fixtureExpected(name);
  const outputs = assertOutputs(collectOutputs(Object.entries(main), out), expected);
  out.loss!.backward();
  t.diagnostic(`${label}: ${describeErrors(outputs, assertGrads(model.stateDict(), expected))}`);
}

forEachDevice('BERT matches transformers', (device) => {
  test('BertForPreTraining (bert-pretraining): MLM + NSP logits, hidden states, attentions, loss, gradients', (t) => {
    const name = 'bert-pretraining';
    const model = BertForPreTraining.fromPretrained(fixturePath(name), { device }).eval();
    const labels = metaLabelTensors(name, device);
    const out = model.forward(inputsOf(name, device), { ...OUT, labels: labels.mlm_labels, nextSentenceLabel: labels.next_sentence_label });
    checkAgainstFixture(t, `${name} [${device}]`, name, model, { prediction_logits: out.predictionLogits, seq_relationship_logits: out.seqRelationshipLogits }, out);
  });

  test('BertForSequenceClassification (bert-seqcls)', (t) => {
    const name = 'bert-seqcls';
    const model = BertForSequenceClassification.fromPretrained(fixturePath(name), { device }).eval();
    assert.equal(model.numLabels, 3);
    const out = model.forward(inputsOf(name, device), { ...OUT, labels: metaLabelTensors(name, device).labels });
    checkAgainstFixture(t, `${name} [${device}]`, name, model, { logits: out.logits }, out);
  });

  test('BertForTokenClassification (bert-tokcls, -100 on padding)', (t) => {
    const name = 'bert-tokcls';
    const model = BertForTokenClassification.fromPretrained(fixturePath(name), { device }).eval();
    const out = model.forward(inputsOf(name, device), { ...OUT, labels: metaLabelTensors(name, device).labels });
    checkAgainstFixture(t, `${name} [${device}]`, name, model, { logits: out.logits }, out);
  });

  test('BertForQuestionAnswering (bert-qa): start/end logits, (CE(start) + CE(end)) / 2', (t) => {
    const name = 'bert-qa';
    const model = BertForQuestionAnswering.fromPretrained(fixturePath(name), { device }).eval();
    const l = metaLabelTensors(name, device);
    const out = model.forward(inputsOf(name, device), { ...OUT, startPositions: l.start_positions, endPositions: l.end_positions });
    checkAgainstFixture(t, `${name} [${device}]`, name, model, { start_logits: out.startLogits, end_logits: out.endLogits }, out);
  });

  test('the composed (unfused) ops give the same numbers: pretraining outputs, loss and gradients', (t) => {
    const name = 'bert-pretraining';
    setFusedOps(false);
    try {
      const model = BertForPreTraining.fromPretrained(fixturePath(name), { device }).eval();
      const labels = metaLabelTensors(name, device);
      const out = model.forward(inputsOf(name, device), { ...OUT, labels: labels.mlm_labels, nextSentenceLabel: labels.next_sentence_label });
      checkAgainstFixture(t, `${name} unfused [${device}]`, name, model, { prediction_logits: out.predictionLogits, seq_relationship_logits: out.seqRelationshipLogits }, out);
    } finally {
      setFusedOps(true);
    }
  });

  test('BertForMaskedLM and BertForNextSentencePrediction on the pretraining checkpoint give its two heads', () => {
    const name = 'bert-pretraining';
    const expected = fixtureExpected(name);
    const labels = metaLabelTensors(name, device);
    const mlm = BertForMaskedLM.fromPretrained(fixturePath(name), { device }).eval();
    const m = mlm.forward(inputsOf(name, device), { labels: labels.mlm_labels });
    assert.ok(maxAbsDiff(m.logits, expected.get('prediction_logits')!) <= 1e-4);
    const refMlm = crossEntropy(expected.get('prediction_logits')!.reshape([-1, 101]), labels.mlm_labels!.toDevice('cpu-js').reshape([-1]));
    assert.ok(Math.abs(m.loss!.item() - refMlm.item()) <= 1e-5, 'MLM loss = mean CE over the non -100 positions');
    const nsp = BertForNextSentencePrediction.fromPretrained(fixturePath(name), { device }).eval();
    const n = nsp.forward(inputsOf(name, device), { labels: labels.next_sentence_label });
    assert.ok(maxAbsDiff(n.logits, expected.get('seq_relationship_logits')!) <= 1e-4);
    const refNsp = crossEntropy(expected.get('seq_relationship_logits')!, tensor([0, 1], { dtype: 'int64', device: 'cpu-js' }));
    assert.ok(Math.abs(n.loss!.item() - refNsp.item()) <= 1e-5);
    // the pretraining loss is their sum
    assert.ok(Math.abs(m.loss!.item() + n.loss!.item() - expected.get('loss')!.item()) <= 1e-4);
  });
});
