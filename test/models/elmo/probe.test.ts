// The context probe's mechanics (not a trained model's accuracy): parsing labelled sentences, the token layer at
// chance exactly, identical contexts found as nearest neighbours in the contextual layers, the report's shape,
// and `tessera elmo probe` with its one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../../src/backend/all.js';
import { FormatError } from '../../../src/errors.js';
import { manualSeed } from '../../../src/tensor/creation.js';
import { DEFAULT_PROBE_TSV, ElmoLanguageModel, ElmoVocabulary, parseProbeTsv, runProbe, saveElmo } from '../../../src/models/elmo/index.js';
import { tinyConfig } from '../../elmo/util.js';
import { cli as run, expectError } from '../../cli/cli-helpers.js';

// two contexts per sense, each written twice: a contextual layer's nearest neighbour is the identical copy
const TSV = [
  'bank\triver\tthe river bank was steep',
  'bank\triver\tthe river bank was steep',
  'bank\triver\tthey sat on the bank of the stream',
  'bank\triver\tthey sat on the bank of the stream',
  'bank\tmoney\tshe went to the bank to pay',
  'bank\tmoney\tshe went to the bank to pay',
  'play\ttheatre\tthe play opened in june',
  'play\ttheatre\tthe play opened in june',
  'play\tsport\twe play football on sunday',
  'play\tsport\twe play football on sunday',
].join('\n');

test('parseProbeTsv: items, the target token, and one-line errors', () => {
  const items = parseProbeTsv(TSV);
  assert.equal(items.length, 10);
  assert.deepEqual(items[2], { word: 'bank', sense: 'river', tokens: ['they', 'sat', 'on', 'the', 'bank', 'of', 'the', 'stream'], index: 4 });
  assert.throws(() => parseProbeTsv('bank\triver', 'f.tsv'), (e: Error) => e instanceof FormatError && /f\.tsv: line 1 must be word<TAB>sense<TAB>sentence/.test(e.message));
  assert.throws(() => parseProbeTsv('bank\triver\tno such word here\nbank\tmoney\tthe bank', 'f.tsv'), /line 1: the sentence has no token 'bank'/);
  assert.throws(() => parseProbeTsv('bank\triver\tthe bank\nbank\triver\ta bank', 'f.tsv'), /'bank' has one sense only \(river\)/);
  const builtIn = parseProbeTsv(DEFAULT_PROBE_TSV);
  const words = new Set(builtIn.map((it) => it.word));
  assert.ok(words.size >= 5 && builtIn.length >= 10 * words.size, `${words.size} words, ${builtIn.length} sentences`);
});

test('runProbe: token layer at chance, identical contexts nearest in the contextual layers', () => {
  manualSeed(3);
  const model = new ElmoLanguageModel(tinyConfig(), { device: 'cpu-js' });
  model.eval();
  const items = parseProbeTsv(TSV);
  for (const center of [true, false]) {
    const r = runProbe(model, items, { center, examples: 2, neighbours: 2 });
    assert.equal(r.occurrences, 10);
    assert.equal(r.words, 2);
    // bank: 6 occurrences, 1 same-sense other of 5 for money, 3 of 5 for river; play: 1 of 3 each
    const chance = (4 * (3 / 5) + 2 * (1 / 5) + 4 * (1 / 3)) / 10;
    assert.ok(Math.abs(r.chance - chance) < 1e-12);
    assert.deepEqual(r.layers.map((l) => l.layer), ['token', 'lstm1', 'lstm2', 'mix']);
    const token = r.layers[0]!;
    assert.ok(Math.abs(token.accuracy - chance) < 1e-9, `the context-free layer sits at chance: ${token.accuracy}`);
    for (const l of r.layers.slice(1)) {
      assert.equal(l.accuracy, 1, `${l.layer}: every occurrence has its identical copy nearest`);
      assert.deepEqual(Object.keys(l.perWord), ['bank', 'play']);
    }
    assert.equal(r.examples.length, 2);
    assert.equal(r.examples[0]!.sentence, 'the river [bank] was steep');
    assert.equal(r.examples[0]!.neighbours[0]!.sentence, 'the river [bank] was steep');
    assert.ok(r.examples[0]!.neighbours[0]!.cosine > 0.9999);
  }
  assert.equal(model.training, false);
});

test('tessera elmo probe: table, JSON and one-line errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-elmo-probe-'));
  try {
    manualSeed(4);
    const config = tinyConfig();
    const words = ['</S>', '<S>', '<unk>', ...Array.from({ length: config.vocab_size - 3 }, (_, i) => `w${i}`)];
    saveElmo(join(dir, 'model'), new ElmoLanguageModel(config, { device: 'cpu-js' }), new ElmoVocabulary(words));
    const tsv = join(dir, 'probe.tsv');
    writeFileSync(tsv, TSV);
    const table = await run(['elmo', 'probe', '--model', join(dir, 'model'), '--sentences', tsv, '--device', 'cpu-js', '--examples', '1']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^10 occurrences of 2 words; same-sense nearest neighbour \(cosine, centred vectors\), chance 41\.3%/);
    assert.match(table.stdout, /\nlstm1 +100\.0%/);
    assert.match(table.stdout, /\nbank \(river\): the river \[bank\] was steep\n/);
    const json = await run(['elmo', 'probe', '--model', join(dir, 'model'), '--sentences', tsv, '--device', 'cpu-js', '--json', '--raw']);
    const report = JSON.parse(json.stdout) as { centered: boolean; layers: { layer: string }[] };
    assert.equal(report.centered, false);
    assert.equal(report.layers.length, 4);
    await expectError(['elmo', 'probe', '--sentences', tsv], /^tessera: --model DIR is required/);
    await expectError(['elmo', 'probe', '--model', join(dir, 'nope')], /^tessera: model folder not found: .*nope/);
    await expectError(['elmo', 'probe', '--model', join(dir, 'model'), '--sentences', join(dir, 'missing.tsv')], /^tessera: --sentences: file not found: .*missing\.tsv/);
    writeFileSync(join(dir, 'bad.tsv'), 'bank river the bank\n');
    await expectError(['elmo', 'probe', '--model', join(dir, 'model'), '--sentences', join(dir, 'bad.tsv')], /^tessera: .*bad\.tsv: line 1 must be word<TAB>sense<TAB>sentence/);
    await expectError(['elmo', 'probe', '--model', join(dir, 'model'), '--examples', 'x'], /^tessera: --examples must be an integer >= 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
