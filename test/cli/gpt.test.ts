// `tessera gpt train` end to end on a small text (run folder, checkpoint, metrics, plot, exported model,
// sample), --resume, --config, `tessera gpt generate`, and the one-line errors of both commands.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsLog } from '../../src/train/index.js';
import { decodePng } from '../plot/png.js';
import { badModelFolders, cli, expectError, tmp } from './cli-helpers.js';

const SHAKESPEARE = readFileSync(new URL('../../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8');
const TINY = ['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--eval-every', '10', '--eval-batches', '2', '--sample-tokens', '40', '--device', 'cpu-js', '--seed', '7'];

describe('gpt train and generate', () => {
  let root = '';
  let data = '';
  before(() => {
    root = tmp();
    data = join(root, 'text.txt');
    writeFileSync(data, SHAKESPEARE.slice(0, 20_000));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('trains, saves a checkpoint, the metrics, the loss plot, the model, and prints a sample', async () => {
    const out = join(root, 'run');
    const r = await cli(['gpt', 'train', '--data', data, '--out', out, '--max-steps', '20', '--checkpoint-every', '10', ...TINY]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^training a character-level GPT on .*text\.txt: [\d,]+ parameters, vocabulary \d+/m);
    assert.match(r.stdout, /^done: 20 steps \(max-steps\)/m);
    assert.match(r.stdout, /validation loss \d\.\d{4} \(the whole validation split: [\d,]+ predictions\)/);
    assert.match(r.stdout, /\nsample:\n/);
    assert.match(r.stderr, /^step 10\/20 \| loss \d\.\d{4} \| val \d\.\d{4} \| lr /m); // plain lines when not a terminal
    for (const f of ['run.json', 'tokenizer.json', 'metrics.jsonl', 'loss.svg', 'loss.png', 'sample.txt', 'summary.json', 'model/config.json', 'model/model.safetensors', 'model/tokenizer.json', 'checkpoints/latest']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    assert.equal(readFileSync(join(out, 'checkpoints', 'latest'), 'utf8').trim(), 'step-00000020');
    const png = decodePng(readFileSync(join(out, 'loss.png')));
    assert.ok(png.width > 500 && png.height > 300);
    const metrics = MetricsLog.read(join(out, 'metrics.jsonl'));
    assert.equal(metrics.filter((m) => m.kind === 'train').length, 20);
    assert.deepEqual(metrics.filter((m) => m.kind === 'eval').map((m) => m.step), [10, 20]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { steps: number; valLoss: number };
    assert.equal(summary.steps, 20);
    assert.ok(summary.valLoss > 0 && summary.valLoss < 5);
  });

  it('--resume continues a run to more steps', async () => {
    const out = join(root, 'run');
    const r = await cli(['gpt', 'train', '--out', out, '--resume', '--max-steps', '30', '--device', 'cpu-js']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^resuming .*run at step 20$/m);
    assert.match(r.stdout, /^done: 30 steps/m);
    const train = MetricsLog.read(join(out, 'metrics.jsonl')).filter((m) => m.kind === 'train').map((m) => m.step);
    assert.deepEqual(train, Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('generate writes the prompt and a continuation, the same for the same seed', async () => {
    const model = join(root, 'run', 'model');
    const a = await cli(['gpt', 'generate', '--model', model, '--prompt', 'ROMEO:', '--max-new-tokens', '50', '--seed', '3', '--device', 'cpu-js']);
    const b = await cli(['gpt', 'generate', '--model', join(root, 'run'), '--prompt', 'ROMEO:', '--max-new-tokens', '50', '--seed', '3', '--device', 'cpu-js']);
    assert.equal(a.code, 0, a.stderr);
    assert.ok(a.stdout.startsWith('ROMEO:'));
    assert.equal(a.stdout.length, 'ROMEO:'.length + 50 + 1); // longer than the context of 16: the window slides
    assert.equal(a.stdout, b.stdout);
    const g = await cli(['gpt', 'generate', '--model', model, '--prompt', 'ab', '--max-new-tokens', '5', '--greedy', '--device', 'cpu-js']);
    assert.equal(g.code, 0, g.stderr);
  });

  it('--config sets options and the command line wins', async () => {
    const out = join(root, 'cfg');
    const cfg = join(root, 'train.json');
    writeFileSync(cfg, JSON.stringify({ data, out, max_steps: 4, 'n-embd': 8, nHead: 2, n_layer: 1, block_size: 8, batch_size: 2, eval_every: 2, eval_batches: 1, sample_tokens: 0, device: 'cpu-js' }));
    const r = await cli(['gpt', 'train', '--config', cfg, '--max-steps', '3']);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(run.maxSteps, 3);
    assert.equal(run.nEmbd, 8);
    assert.equal(run.blockSize, 8);
  });

  describe('errors: one line, no stack trace', () => {
    it('bad or missing files', async () => {
      await expectError(['gpt', 'train', '--max-steps', '2'], /--data is required/);
      await expectError(['gpt', 'train', '--data', join(root, 'missing.txt')], /--data: file not found: .*missing\.txt/);
      await expectError(['gpt', 'train', '--data', root], /--data: .* is not a file/);
      writeFileSync(join(root, 'empty.txt'), '');
      await expectError(['gpt', 'train', '--data', join(root, 'empty.txt'), '--out', join(root, 'e'), ...TINY], /empty\.txt: the text file is empty/);
      writeFileSync(join(root, 'bin.txt'), Buffer.from([0xff, 0xfe, 0x00, 0x81]));
      await expectError(['gpt', 'train', '--data', join(root, 'bin.txt'), '--out', join(root, 'e'), ...TINY], /bin\.txt: not UTF-8 text/);
      writeFileSync(join(root, 'short.txt'), 'abc\n');
      await expectError(['gpt', 'train', '--data', join(root, 'short.txt'), '--out', join(root, 'e'), '--max-steps', '2', ...TINY], /the training split has 3 tokens, fewer than one window of 16/);
    });

    it('bad option values', async () => {
      const base = ['gpt', 'train', '--data', data, '--out', join(root, 'bad')];
      await expectError([...base, '--lr', 'fast'], /--lr must be a number \(got 'fast'\)/);
      await expectError([...base, '--max-steps', '0'], /--max-steps must be at least 1 \(got 0\)/);
      await expectError([...base, '--n-embd', '30', '--n-head', '4'], /--n-embd 30 is not divisible by --n-head 4/);
      await expectError([...base, '--dropout', '1.5'], /--dropout must be at most 0\.99 \(got 1\.5\)/);
      await expectError([...base, '--min-lr', '0.1', '--lr', '0.01'], /--min-lr 0\.1 is above --lr 0\.01/);
      await expectError([...base, '--device', 'tpu'], /--device: 'tpu' is not available on this machine \(available: .*cpu-js/);
      await expectError([...base, '--seed', 'x'], /--seed must be an integer \(got 'x'\)/);
      await expectError([...base, '--minutes', '0.2'], /--minutes 0\.2 leaves no time to train/);
      await expectError([...base, '--bogus'], /unknown option '--bogus'/);
      await expectError([...base, '--init', join(root, 'nope')], /--init: folder not found/);
      await expectError(['gpt', 'train', '--resume', '--out', join(root, 'never')], /--resume: .*never has no run\.json \(not a run folder\)/);
    });

    it('bad --config files', async () => {
      await expectError(['gpt', 'train', '--config', join(root, 'none.json')], /--config: file not found: .*none\.json/);
      writeFileSync(join(root, 'broken.json'), '{ "max_steps": 3,');
      await expectError(['gpt', 'train', '--config', join(root, 'broken.json')], /--config: .*broken\.json/);
      writeFileSync(join(root, 'list.json'), '[1, 2]');
      await expectError(['gpt', 'train', '--config', join(root, 'list.json')], /--config: .*list\.json must hold a JSON object of option values/);
      writeFileSync(join(root, 'unknown.json'), '{ "learning_rate": 3 }');
      await expectError(['gpt', 'train', '--config', join(root, 'unknown.json')], /--config: .*unknown\.json: unknown option 'learning_rate' for 'train' \(options: data, out, init, /);
      writeFileSync(join(root, 'typed.json'), '{ "resume": 3 }');
      await expectError(['gpt', 'train', '--config', join(root, 'typed.json')], /'resume' must be true or false/);
    });

    it('generate', async () => {
      const { empty, malformed } = badModelFolders(join(root, 'bad-models'));
      await expectError(['gpt', 'generate'], /--model is required/);
      await expectError(['gpt', 'generate', '--model', join(root, 'absent')], /--model: folder not found: .*absent/);
      await expectError(['gpt', 'generate', '--model', empty], /--model: .*empty has no config\.json \(not a model folder or a training run\)/);
      await expectError(['gpt', 'generate', '--model', malformed, '--device', 'cpu-js'], /config\.json/);
      const model = join(root, 'run', 'model');
      await expectError(['gpt', 'generate', '--model', model, '--top-p', '2'], /--top-p must be at most 1 \(got 2\)/);
      await expectError(['gpt', 'generate', '--model', model, '--greedy', '--temperature', '0.5'], /--greedy takes no --temperature, --top-k or --top-p/);
      await expectError(['gpt', 'generate', '--model', model, '--max-new-tokens', '-3'], /--max-new-tokens must be at least 1 \(got -3\)/);
      await expectError(['gpt', 'generate', '--model', model, '--prompt', '\u2603\u2603', '--device', 'cpu-js'], /--prompt: none of its characters are in the tokenizer/);
      mkdirSync(join(root, 'no-tok'), { recursive: true });
      for (const f of ['config.json', 'model.safetensors']) writeFileSync(join(root, 'no-tok', f), readFileSync(join(model, f)));
      await expectError(['gpt', 'generate', '--model', join(root, 'no-tok'), '--device', 'cpu-js'], /no tokenizer in .*no-tok/);
    });
  });

  it('--help works on every command', async () => {
    for (const argv of [['--help'], ['gpt', '--help'], ['gpt', 'train', '--help'], ['gpt', 'generate', '--help'], ['start', '--help'], ['bert', 'fill-mask', '--help'], ['vit', 'classify', '--help'], ['transformer', 'translate', '--help'], ['attention', '--help']]) {
      const r = await cli(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.stdout, /^Usage: tessera/, argv.join(' '));
    }
  });
});
