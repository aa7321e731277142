// BERT checkpoint folders: save -> load round trips give identical outputs and the key set transformers wrote;
// missing and misshapen tensors fail by name (and both shapes); the `bert.` prefix, legacy gamma/beta names,
// old position_ids buffers, tied and untied MLM decoders, and new task heads on a base checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arange, type Tensor } from '../../../src/index.js';
import { loadTensors, saveTensors } from '../../../src/io/tensors.js';
import { checkpointKeys } from '../../../src/models/pretrained.js';
import {
  BertForMaskedLM, BertForNextSentencePrediction, BertForPreTraining, BertForQuestionAnswering,
  BertForSequenceClassification, BertForTokenClassification, BertModel, type BertInputs, type BertModelClass, type BertPreTrainedModel,
} from '../../../src/models/bert/index.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { fixtureExpected, fixtureInputs, maxAbsDiff } from './fixture-parity.js';
import { tempDir } from '../../helpers/tmp.js';

function tmp(): string {
  return tempDir('tessera-bert-');
}

function inputsOf(name: string, device: string): BertInputs {
  const m = fixtureInputs(name, device);
  return { inputIds: m.get('input_ids')!, attentionMask: m.get('attention_mask'), tokenTypeIds: m.get('token_type_ids') };
}

/** Every float output of a forward, flattened into one list for exact comparison. */
function outputsOf(model: BertPreTrainedModel, inputs: BertInputs): Tensor[] {
  const out = (model as unknown as { forward(i: BertInputs, o: object): Record<string, Tensor | Tensor[] | undefined> }).forward(inputs, { outputHiddenStates: true, outputAttentions: true });
  return Object.values(out).flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
}

/** A folder with the fixture's config.json and a rewritten model.safetensors. */
function rewritten(name: string, edit: (w: Map<string, Tensor>) => Map<string, Tensor>): string {
  const dir = tmp();
  copyFileSync(fixturePath(name, 'config.json'), join(dir, 'config.json'));
  saveTensors(join(dir, 'model.safetensors'), edit(loadTensors(fixturePath(name, 'model.safetensors'))));
  return dir;
}

const CLASSES: [string, BertModelClass<BertPreTrainedModel>][] = [
  ['bert-pretraining', BertForPreTraining],
  ['bert-seqcls', BertForSequenceClassification],
  ['bert-tokcls', BertForTokenClassification],
  ['bert-qa', BertForQuestionAnswering],
];

forEachDevice('BERT checkpoints', (device) => {
  for (const [name, cls] of CLASSES) {
    test(`${cls.architecture}: save -> load gives identical outputs and the fixture's key set`, () => {
      const model = (cls as unknown as { fromPretrained(d: string, o: object): BertPreTrainedModel }).fromPretrained(fixturePath(name), { device }).eval();
      const dir = tmp();
      model.savePretrained(dir);
      assert.deepEqual(checkpointKeys(join(dir, 'model.safetensors')).sort(), checkpointKeys(fixturePath(name, 'model.safetensors')).sort());
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(config.architectures, [cls.architecture]);
      assert.equal(config.model_type, 'bert');
      const again = (cls as unknown as { fromPretrained(d: string, o: object): BertPreTrainedModel }).fromPretrained(dir, { device }).eval();
      assert.deepEqual(again.config, { ...model.config, architectures: [cls.architecture] });
      const a = outputsOf(model, inputsOf(name, device)), b = outputsOf(again, inputsOf(name, device));
      assert.equal(a.length, b.length);
      a.forEach((t, i) => assert.deepEqual(b[i]!.toArray(), t.toArray(), `output ${i} identical`));
    });
  }

  test('BertForMaskedLM and BertForNextSentencePrediction save only their own heads, and round trip', () => {
    const src = fixturePath('bert-pretraining');
    const mlm = BertForMaskedLM.fromPretrained(src, { device }).eval();
    const dir = tmp();
    mlm.savePretrained(dir);
    const keys = checkpointKeys(join(dir, 'model.safetensors'));
    assert.ok(keys.includes('cls.predictions.decoder.weight') && keys.includes('cls.predictions.bias') && keys.includes('cls.predictions.decoder.bias'));
    assert.ok(!keys.some((k) => k.startsWith('bert.pooler.') || k.startsWith('cls.seq_relationship.')));
    assert.deepEqual(BertForMaskedLM.fromPretrained(dir, { device }).eval().forward(inputsOf('bert-pretraining', device)).logits.toArray(), mlm.forward(inputsOf('bert-pretraining', device)).logits.toArray());
    const nsp = BertForNextSentencePrediction.fromPretrained(src, { device }).eval();
    const dir2 = tmp();
    nsp.savePretrained(dir2);
    const keys2 = checkpointKeys(join(dir2, 'model.safetensors'));
    assert.ok(keys2.includes('bert.pooler.dense.weight') && keys2.includes('cls.seq_relationship.weight'));
    assert.ok(!keys2.some((k) => k.startsWith('cls.predictions.')));
  });

  test('a missing tensor fails naming it', () => {
    const dir = rewritten('bert-seqcls', (w) => {
      w.delete('bert.encoder.layer.1.attention.self.key.weight');
      return w;
    });
    assert.throws(() => BertForSequenceClassification.fromPretrained(dir, { device }), /missing tensor bert\.encoder\.layer\.1\.attention\.self\.key\.weight/);
  });

  test('a misshapen tensor fails naming it and both shapes', () => {
    const dir = rewritten('bert-seqcls', (w) => {
      w.set('classifier.weight', w.get('classifier.weight')!.narrow(0, 0, 2));
      return w;
    });
    assert.throws(() => BertForSequenceClassification.fromPretrained(dir, { device }), /'classifier\.weight' has shape \[2, 32\] but the model expects \[3, 32\]/);
  });

  test('checkpoints without the bert. prefix, with gamma/beta names and with old position_ids buffers load the same', () => {
    const dir = rewritten('bert-seqcls', (w) => {
      const out = new Map<string, Tensor>();
      for (const [k, t] of w) out.set(k.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'), t);
      out.set('embeddings.position_ids', arange(0, 64).unsqueeze(0));
      return out;
    });
    const a = BertForSequenceClassification.fromPretrained(fixturePath('bert-seqcls'), { device }).eval();
    const b = BertForSequenceClassification.fromPretrained(dir, { device }).eval();
    assert.deepEqual(b.forward(inputsOf('bert-seqcls', device)).logits.toArray(), a.forward(inputsOf('bert-seqcls', device)).logits.toArray());
  });

  test('BertModel loads a head checkpoint (prefix stripped), with a pooler only when the file has one', () => {
    const base = BertModel.fromPretrained(fixturePath('bert-seqcls'), { device }).eval();
    const out = base.forward(inputsOf('bert-seqcls', device));
    assert.ok(maxAbsDiff(out.lastHiddenState, fixtureExpected('bert-seqcls').get('hidden_states.2')!) <= 1e-4);
    assert.ok(base.pooler && out.poolerOutput);
    const qa = BertModel.fromPretrained(fixturePath('bert-qa'), { device }).eval(); // built without a pooler, as the file has none
    assert.equal(qa.pooler, null);
    assert.ok(maxAbsDiff(qa.forward(inputsOf('bert-qa', device)).lastHiddenState, fixtureExpected('bert-qa').get('hidden_states.2')!) <= 1e-4);
    assert.throws(() => new BertModel(base.config, { device }).loadStateDict(qa.stateDict()), /missing pooler\.dense\.weight, pooler\.dense\.bias/);
  });

  test('a new task head on a checkpoint without it: refused by default, fresh with newHead', () => {
    assert.throws(() => BertForSequenceClassification.fromPretrained(fixturePath('bert-pretraining'), { device }), /missing tensors classifier\.weight, classifier\.bias/);
    const m = BertForSequenceClassification.fromPretrained(fixturePath('bert-pretraining'), { device, newHead: true }).eval();
    const ref = BertForPreTraining.fromPretrained(fixturePath('bert-pretraining'), { device }).eval();
    assert.deepEqual(m.bert.embeddings.wordEmbeddings.weight.toArray(), ref.bert.embeddings.wordEmbeddings.weight.toArray());
    assert.equal(m.forward(inputsOf('bert-pretraining', device)).logits.shape.join(), '2,2');
    // base-model tensors are still required
    const dir = rewritten('bert-pretraining', (w) => {
      w.delete('bert.pooler.dense.bias');
      return w;
    });
    assert.throws(() => BertForSequenceClassification.fromPretrained(dir, { device, newHead: true }), /missing tensor bert\.pooler\.dense\.bias/);
  });

  test('the MLM decoder is the word-embedding matrix when tied, its own (loaded) matrix when not', () => {
    const tied = BertForPreTraining.fromPretrained(fixturePath('bert-pretraining'), { device });
    assert.equal(tied.cls.predictions!.decoder.weight, tied.bert.embeddings.wordEmbeddings.weight);
    assert.equal(tied.cls.predictions!.decoder.bias, tied.cls.predictions!.bias);
    const dir = rewritten('bert-pretraining', (w) => {
      w.set('cls.predictions.decoder.weight', w.get('cls.predictions.decoder.weight')!.mul(2));
      return w;
    });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, tie_word_embeddings: false }));
    const untied = BertForPreTraining.fromPretrained(dir, { device });
    assert.notEqual(untied.cls.predictions!.decoder.weight, untied.bert.embeddings.wordEmbeddings.weight);
    const w = untied.bert.embeddings.wordEmbeddings.weight, d = untied.cls.predictions!.decoder.weight;
    assert.ok(maxAbsDiff(d, w.mul(2)) === 0);
    // with tying, the word embeddings win over a stray decoder copy (as transformers ties after loading)
    const stray = rewritten('bert-pretraining', (m) => {
      m.set('cls.predictions.decoder.weight', m.get('cls.predictions.decoder.weight')!.mul(2));
      return m;
    });
    const tiedAgain = BertForPreTraining.fromPretrained(stray, { device });
    assert.deepEqual(tiedAgain.cls.predictions!.decoder.weight.toArray(), tied.bert.embeddings.wordEmbeddings.weight.toArray());
  });
});
