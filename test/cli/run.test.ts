// `tessera run` on every BERT and ViT fixture folder: each output (logits or the head's names, hidden_states.N,
// attentions.N, loss from a labels JSON laid out as meta.json) within 1e-4 of PyTorch; the architecture from
// config.json, from the weights, or from --architecture; and the one-line errors for bad folders, files and options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { zeros } from '../../src/index.js';
import { loadTensors, saveTensors } from '../../src/io/tensors.js';
import { loadRunnable, resolveArchitecture, supportedArchitectures } from '../../src/models/auto.js';
import { BertForSequenceClassification } from '../../src/models/bert/index.js';
import { forEachDevice } from '../helpers/devices.js';
import { fixturePath } from '../helpers/fixtures.js';
import { assertOutputs, describeErrors, fixtureExpected, maxAbsDiff, metaLabels } from '../models/bert/fixture-parity.js';
import { tempDir } from '../helpers/tmp.js';

const FIXTURES = ['bert-pretraining', 'bert-seqcls', 'bert-tokcls', 'bert-qa', 'vit-cls'] as const;

function tmp(): string {
  return tempDir('tessera-run-');
}

/** Runs the CLI, capturing stderr and the command's "wrote ..." line; the test runner's own output passes through. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('wrote ')) {
      stdout += chunk;
      return true;
    }
    return out(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await runCli(argv), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** The fixture's labels as a --labels file: its meta.json `labels` (array or object) plus QA positions. */
function labelsFile(name: string, dir: string): string {
  const labels = metaLabels(name);
  const path = join(dir, `${name}-labels.json`);
  writeFileSync(path, JSON.stringify(Object.keys(labels).length === 1 && 'labels' in labels ? labels.labels : labels));
  return path;
}

async function expectError(argv: string[], pattern: RegExp): Promise<void> {
  const r = await run(argv);
  assert.equal(r.code, 1, `exit code for ${argv.join(' ')}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
}

forEachDevice('tessera run matches transformers', (device) => {
  for (const name of FIXTURES) {
    test(`${name}: every output, hidden state, attention map and the loss`, async (t) => {
      const dir = tmp();
      const outFile = join(dir, 'out.safetensors');
      const r = await run(['run', '--model', fixturePath(name), '--inputs', fixturePath(name, 'inputs.safetensors'), '--out', outFile,
        '--hidden-states', '--attentions', '--labels', labelsFile(name, dir), '--device', device]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^wrote \d+ tensors to /);
      const errors = assertOutputs(loadTensors(outFile), fixtureExpected(name));
      t.diagnostic(`tessera run ${name} [${device}]: ${describeErrors(errors)}`);
    });
  }

  test('without flags only the main outputs are written; the file is read back with HF names', async () => {
    const dir = tmp();
    const outFile = join(dir, 'sub', 'qa.safetensors');
    const r = await run(['run', '--model', fixturePath('bert-qa'), '--inputs', fixturePath('bert-qa', 'inputs.safetensors'), '--out', outFile, '--device', device]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...loadTensors(outFile).keys()].sort(), ['end_logits', 'start_logits']);
  });

  test('--architecture picks another head for the same weights', async () => {
    const dir = tmp();
    const outFile = join(dir, 'mlm.safetensors');
    const r = await run(['run', '--model', fixturePath('bert-pretraining'), '--inputs', fixturePath('bert-pretraining', 'inputs.safetensors'), '--out', outFile,
      '--architecture', 'BertForMaskedLM', '--device', device]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(maxAbsDiff(loadTensors(outFile).get('logits')!, fixtureExpected('bert-pretraining').get('prediction_logits')!) <= 1e-4);
  });

  test('base models write last_hidden_state, and pooler_output only when the checkpoint has a pooler', async () => {
    const dir = tmp();
    for (const [name, arch, pooled] of [['bert-qa', 'BertModel', false], ['bert-seqcls', 'BertModel', true], ['vit-cls', 'ViTModel', false]] as const) {
      const outFile = join(dir, `${name}.safetensors`);
      const r = await run(['run', '--model', fixturePath(name), '--inputs', fixturePath(name, 'inputs.safetensors'), '--out', outFile, '--architecture', arch, '--hidden-states', '--device', device]);
      assert.equal(r.code, 0, r.stderr);
      const got = loadTensors(outFile);
      assert.equal(got.has('pooler_output'), pooled, `${name}: pooler_output`);
      assert.ok(maxAbsDiff(got.get('hidden_states.2')!, fixtureExpected(name).get('hidden_states.2')!) <= 1e-4);
      if (arch === 'BertModel') assert.ok(maxAbsDiff(got.get('last_hidden_state')!, fixtureExpected(name).get('hidden_states.2')!) <= 1e-4);
    }
  });
});

test('the architecture comes from config.json architectures, else from model_type and the tensor names', () => {
  assert.equal(resolveArchitecture(fixturePath('bert-pretraining')), 'BertForPreTraining');
  assert.equal(resolveArchitecture(fixturePath('bert-seqcls')), 'BertForSequenceClassification');
  assert.equal(resolveArchitecture(fixturePath('bert-tokcls')), 'BertForTokenClassification');
  assert.equal(resolveArchitecture(fixturePath('bert-qa')), 'BertForQuestionAnswering');
  assert.equal(resolveArchitecture(fixturePath('vit-cls')), 'ViTForImageClassification');
  const dir = tmp();
  BertForSequenceClassification.fromPretrained(fixturePath('bert-seqcls')).savePretrained(dir);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures: ['BertForTokenClassification'] }));
  assert.equal(resolveArchitecture(dir), 'BertForTokenClassification');
  assert.equal(loadRunnable(dir).architecture, 'BertForTokenClassification');
  for (const a of ['BertModel', 'BertForPreTraining', 'BertForMaskedLM', 'BertForNextSentencePrediction', 'BertForSequenceClassification',
    'BertForTokenClassification', 'BertForQuestionAnswering', 'ViTModel', 'ViTForImageClassification']) assert.ok(supportedArchitectures().includes(a), a);
});

test('tessera run errors are one clear line', async () => {
  const dir = tmp();
  const out = join(dir, 'o.safetensors');
  const qa = fixturePath('bert-qa');
  const qaInputs = fixturePath('bert-qa', 'inputs.safetensors');
  await expectError(['run', '--model', join(dir, 'nowhere'), '--inputs', qaInputs, '--out', out], /^tessera: --model: folder not found: .*nowhere/);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  await expectError(['run', '--model', empty, '--inputs', qaInputs, '--out', out], /^tessera: model folder '.*empty' has no config.json/);
  await expectError(['run', '--model', qa, '--inputs', join(dir, 'missing.safetensors'), '--out', out], /^tessera: --inputs: file not found: .*missing\.safetensors/);
  const garbage = join(dir, 'garbage.safetensors');
  writeFileSync(garbage, 'this is not a safetensors file at all');
  await expectError(['run', '--model', qa, '--inputs', garbage, '--out', out], /^tessera: .*garbage\.safetensors/);
  const unknown = join(dir, 'unknown');
  mkdirSync(unknown);
  writeFileSync(join(unknown, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertForMultipleChoice'] }));
  copyFileSync(fixturePath('bert-qa', 'model.safetensors'), join(unknown, 'model.safetensors'));
  await expectError(['run', '--model', unknown, '--inputs', qaInputs, '--out', out], /^tessera: unknown architecture 'BertForMultipleChoice' for .* \(supported: .*BertForQuestionAnswering/);
  writeFileSync(join(unknown, 'config.json'), JSON.stringify({ model_type: 'llama' }));
  await expectError(['run', '--model', unknown, '--inputs', qaInputs, '--out', out], /^tessera: .*config.json names no architecture and model_type "llama"/);
  const onlyMask = join(dir, 'mask.safetensors');
  saveTensors(onlyMask, new Map([['attention_mask', loadTensors(qaInputs).get('attention_mask')!]]));
  await expectError(['run', '--model', qa, '--inputs', onlyMask, '--out', out], /^tessera: --inputs: .*mask\.safetensors has no 'input_ids', which BertForQuestionAnswering requires \(it takes input_ids, attention_mask, token_type_ids, position_ids\)/);
  const extra = join(dir, 'extra.safetensors');
  saveTensors(extra, new Map([...loadTensors(qaInputs), ['pixel_values', zeros([1])]]));
  await expectError(['run', '--model', qa, '--inputs', extra, '--out', out], /^tessera: --inputs: .* has 'pixel_values', which BertForQuestionAnswering does not take/);
  await expectError(['run', '--model', qa, '--inputs', qaInputs, '--out', out, '--labels', join(dir, 'none.json')], /^tessera: --labels: file not found/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"start_positions": [3, 4,');
  await expectError(['run', '--model', qa, '--inputs', qaInputs, '--out', out, '--labels', bad], /^tessera: .*bad\.json/);
  writeFileSync(bad, '{"labels": [3, 4]}');
  await expectError(['run', '--model', qa, '--inputs', qaInputs, '--out', out, '--labels', bad], /^tessera: --labels: .*bad\.json has 'labels', which BertForQuestionAnswering does not take \(it takes start_positions, end_positions\)/);
  writeFileSync(bad, '{"start_positions": [[3], [4, 5]], "end_positions": [1, 2]}');
  await expectError(['run', '--model', qa, '--inputs', qaInputs, '--out', out, '--labels', bad], /^tessera: --labels: .*'start_positions' is ragged/);
  writeFileSync(bad, '[1, 9]');
  await expectError(['run', '--model', fixturePath('bert-seqcls'), '--inputs', qaInputs, '--out', out, '--labels', bad], /^tessera: labels holds class 9, but there are 3 classes/);
  await expectError(['run', '--model', qa, '--inputs', qaInputs, '--out', out, '--device', 'tpu'], /^tessera: --device: 'tpu' is not available|malformed device 'tpu'/);
  await expectError(['run', '--model', fixturePath('vit-cls'), '--inputs', qaInputs, '--out', out], /^tessera: --inputs: .* has no 'pixel_values', which ViTForImageClassification requires/);
  const r = await run(['run', '--model', qa, '--inputs', qaInputs]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /required option '--out <file>' not specified/);
});
