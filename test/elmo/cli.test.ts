// `tessera elmo train | embed | perplexity`: a tiny end-to-end run (train, embed as JSON per layer / one layer /
// mixed, perplexity with the unigram baseline) and the one-line errors for missing folders, files and bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli as run, expectError } from '../cli/cli-helpers.js';
import { ElmoLanguageModel, ElmoVocabulary, saveElmo } from '../../src/models/elmo/index.js';
import { SENTENCES, tinyConfig } from './util.js';

const TEXT = ' = Banks = \n\n the river bank was steep . she went to the bank . \n a bank loan . the river was wide . \n';

test('train, embed and perplexity on a tiny corpus', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-elmo-cli-'));
  try {
    const data = join(dir, 'tiny.txt');
    writeFileSync(data, TEXT);
    const model = join(dir, 'model');
    const t = await run(['elmo', 'train', '--data', data, '--out', model, '--epochs', '1', '--batch-tokens', '64', '--device', 'cpu-js', '--dropout', '0']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stderr, /elmo: epoch 1 saved to/);
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt']) assert.ok(existsSync(join(model, f)), f);

    const all = await run(['elmo', 'embed', '--model', model, '--text', 'the river bank', '--device', 'cpu-js']);
    assert.equal(all.code, 0, all.stderr);
    const a = JSON.parse(all.stdout);
    assert.deepEqual(a.tokens, ['the', 'river', 'bank']);
    assert.equal(a.dim, 256);
    assert.equal(a.layers.length, 3);
    assert.equal(a.layers[2].length, 3);
    assert.equal(a.layers[2][0].length, 256);

    const one = JSON.parse((await run(['elmo', 'embed', '--model', model, '--text', 'the river bank', '--layer', '1', '--device', 'cpu-js'])).stdout);
    assert.deepEqual(one.vectors, a.layers[1]);
    const mixed = JSON.parse((await run(['elmo', 'embed', '--model', model, '--text', 'the river bank', '--mix-weights', '0,0,100', '--gamma', '2', '--device', 'cpu-js'])).stdout);
    assert.deepEqual(mixed.mix.weights, [0, 0, 1]);
    assert.ok(Math.abs(mixed.vectors[1][5] - 2 * a.layers[2][1][5]) < 1e-4);

    const p = await run(['elmo', 'perplexity', '--model', model, '--data', data, '--unigram-from', data, '--device', 'cpu-js']);
    assert.equal(p.code, 0, p.stderr);
    const r = JSON.parse(p.stdout);
    assert.equal(r.tokens, 29);
    assert.ok(r.forward > 1 && r.backward > 1 && r.unigram.forward > 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errors: missing model folder, missing data file, bad options', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-elmo-cli-'));
  try {
    const vocab = ElmoVocabulary.fromSentences(SENTENCES);
    const model = join(dir, 'model');
    saveElmo(model, new ElmoLanguageModel(tinyConfig({ vocab_size: vocab.size })), vocab);
    const data = join(dir, 'd.txt');
    writeFileSync(data, 'a b .\n');
    const missing = join(dir, 'missing');
    await expectError(['elmo', 'embed', '--model', missing, '--text', 'a'], /model folder not found: .*missing/);
    await expectError(['elmo', 'perplexity', '--model', missing, '--data', data], /model folder not found/);
    await expectError(['elmo', 'embed', '--model', data, '--text', 'a'], /is a file, not a model folder/);
    await expectError(['elmo', 'embed', '--model', dir, '--text', 'a'], /has no config.json/);
    await expectError(['elmo', 'perplexity', '--model', model, '--data', join(dir, 'nope.txt')], /data file not found: .*nope.txt/);
    await expectError(['elmo', 'train', '--data', join(dir, 'nope.txt'), '--out', join(dir, 'o')], /data file not found/);
    await expectError(['elmo', 'perplexity', '--model', model], /--data FILE is required/);
    await expectError(['elmo', 'embed', '--model', model], /--text "..." is required/);
    await expectError(['elmo', 'train', '--data', data], /--out DIR is required/);
    await expectError(['elmo', 'train', '--data', data, '--out', data], /is a file, not a folder/);
    await expectError(['elmo', 'train', '--data', data, '--out', join(dir, 'o'), '--preset', 'elmo-huge'], /--preset must be one of elmo-original, elmo-small/);
    await expectError(['elmo', 'train', '--data', data, '--out', join(dir, 'o'), '--epochs', 'many'], /--epochs must be a positive number/);
    await expectError(['elmo', 'train', '--data', data, '--out', join(dir, 'o'), '--batch-tokens', '1.5'], /--batch-tokens must be an integer >= 3/);
    await expectError(['elmo', 'train', '--data', data, '--out', join(dir, 'o'), '--dropout', '1.5'], /--dropout must be a non-negative number <= 0.99/);
    await expectError(['elmo', 'train', '--data', data, '--out', join(dir, 'o'), '--device', 'tpu'], /--device: 'tpu' is not available/);
    await expectError(['elmo', 'embed', '--model', model, '--text', 'a', '--layer', '3'], /--layer must be 'all' or an integer in \[0, 2\]/);
    await expectError(['elmo', 'embed', '--model', model, '--text', 'a', '--mix-weights', '1,,2'], /--mix-weights must be 3 comma-separated numbers/);
    await expectError(['elmo', 'embed', '--model', model, '--text', 'a', '--layer', '1', '--mix'], /choose one of --layer and --mix/);
    await expectError(['elmo', 'embed', '--model', model, '--text', '   '], /--text has no tokens/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
