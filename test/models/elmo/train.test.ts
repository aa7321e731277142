// ELMo training on the Trainer: an interrupted run resumed from its checkpoint ends with the same weights as an
// uninterrupted one (cpu-js, sampled softmax, so the sampler's state travels too); the loss falls; the CLI's
// --softmax / --num-samples / --resume checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../../src/backend/all.js';
import { manualSeed } from '../../../src/tensor/creation.js';
import { ElmoLanguageModel, ElmoVocabulary, trainElmo } from '../../../src/models/elmo/index.js';
import { findLatestCheckpoint } from '../../../src/train/index.js';
import { tinyConfig } from '../../elmo/util.js';
import { expectError } from '../../cli/cli-helpers.js';

const CORPUS: string[][] = [
  'the river bank was steep and wet .', 'she went to the bank to pay .', 'a bank loan was paid .', 'the river was wide .',
  'they sat on the bank of the river .', 'the bank was closed .', 'rain fell on the river .', 'she paid the loan .',
].map((s) => s.split(' '));

function fresh() {
  manualSeed(11);
  const vocab = ElmoVocabulary.fromSentences(CORPUS, { maxSize: 20 });
  const config = tinyConfig({ vocab_size: vocab.size, softmax: 'sampled', n_negative_samples_batch: 5 });
  return { model: new ElmoLanguageModel(config, { device: 'cpu-js' }), vocab };
}

test('an interrupted run resumed from its checkpoint equals an uninterrupted one, bit for bit [cpu-js]', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-elmo-train-'));
  try {
    const opts = { epochs: 3, maxTokens: 22, maxLength: 10, lr: 5e-3, warmupSteps: 2, seed: 5 };
    const a = fresh();
    const losses: number[] = [];
    const ra = await trainElmo(a.model, a.vocab, CORPUS, { ...opts, checkpointDir: join(dir, 'a'), logEvery: 1, onLog: (p) => losses.push(p.loss) });
    assert.ok(ra.steps >= 6, `${ra.steps} steps`);
    assert.ok(losses.at(-1)! < losses[0]!, `the loss falls: ${losses[0]} -> ${losses.at(-1)}`);

    const b = fresh();
    const rb = await trainElmo(b.model, b.vocab, CORPUS, { ...opts, checkpointDir: join(dir, 'b'), shouldStop: (step) => step === 3 });
    assert.equal(rb.steps, 3);
    assert.equal(findLatestCheckpoint(join(dir, 'b'))!.state.step, 3);
    const c = fresh();
    const rc = await trainElmo(c.model, c.vocab, CORPUS, { ...opts, checkpointDir: join(dir, 'b'), resume: true });
    assert.equal(rc.steps, ra.steps);
    const want = a.model.stateDict();
    for (const [name, t] of c.model.stateDict()) assert.deepEqual(Array.from(t.toArray()), Array.from(want.get(name)!.toArray()), name);
    assert.equal(c.model.sampler!.state, a.model.sampler!.state);
    // resuming the finished run with more epochs trains on (at the final learning rate)
    const more = await trainElmo(c.model, c.vocab, CORPUS, { ...opts, epochs: 4, checkpointDir: join(dir, 'b'), resume: true });
    assert.equal(more.steps, (ra.steps / 3) * 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trainElmo and tessera elmo train reject bad options with one line', async () => {
  const { model, vocab } = fresh();
  await assert.rejects(trainElmo(model, vocab, CORPUS, { resume: true }), /resume needs a checkpointDir/);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-elmo-train-cli-'));
  try {
    const data = join(dir, 'tiny.txt');
    writeFileSync(data, CORPUS.map((s) => s.join(' ')).join('\n'));
    const base = ['elmo', 'train', '--data', data, '--out', join(dir, 'm'), '--device', 'cpu-js'];
    await expectError([...base, '--softmax', 'hierarchical'], /^tessera: --softmax must be 'full' or 'sampled' \(got 'hierarchical'\)/);
    await expectError([...base, '--num-samples', '8'], /^tessera: --num-samples needs --softmax sampled/);
    await expectError([...base, '--softmax', 'sampled', '--num-samples', '0'], /^tessera: --num-samples must be an integer >= 1/);
    await expectError([...base, '--resume'], /^tessera: --resume: .*m has no vocab\.txt/);
    await expectError([...base, '--checkpoint-every', '-1'], /^tessera: --checkpoint-every must be an integer >= 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
