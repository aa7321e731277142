// `tessera start` (npm start): the bundled tinyshakespeare, a short run with the default data, the time budget
// checks; and the shared option helpers (--device, numbers, files, --config).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tinyShakespearePath } from '../../src/cli/commands/start.js';
import { bestDevice, checkDir, checkFile, parseIntOption, parseNumberOption, resolveDevice } from '../../src/cli/options.js';
import { cli, expectError, tmp } from './cli-helpers.js';

describe('start', () => {
  it('bundles tinyshakespeare (1,115,394 bytes)', () => {
    const path = tinyShakespearePath();
    assert.equal(statSync(path).size, 1_115_394);
    assert.ok(readFileSync(path, 'utf8').startsWith('First Citizen:'));
  });

  it('trains on it, saves, plots and samples (a tiny model for the test)', async () => {
    const out = join(tmp(), 'run');
    try {
      const r = await cli(['start', '--out', out, '--max-steps', '4', '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--eval-batches', '1', '--sample-tokens', '30', '--device', 'cpu-js']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^training a character-level GPT on .*data\/tinyshakespeare\/input\.txt: .* vocabulary 64, 1,003,854 training and 111,540 validation tokens, on cpu-js$/m);
      assert.match(r.stdout, /^done: 4 steps/m);
      assert.match(r.stdout, /validation loss \d\.\d{4} \(the whole validation split: 104,565 predictions\)/);
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(run.lr, 3e-3);
      assert.equal(run.minutes, null); // --max-steps given: no time budget
      assert.ok(statSync(join(out, 'loss.png')).size > 1000);
    } finally {
      rmSync(join(out, '..'), { recursive: true, force: true });
    }
  });

  it('rejects a budget too short to train and bad values', async () => {
    await expectError(['start', '--minutes', '0.3', '--device', 'cpu-js'], /--minutes 0\.3 leaves no time to train/);
    await expectError(['start', '--minutes', 'soon'], /--minutes must be a number \(got 'soon'\)/);
    await expectError(['start', '--threads', '0'], /--threads must be at least 1 \(got 0\)/);
    await expectError(['start', '--data', '/nonexistent/tessera.txt'], /--data: file not found: \/nonexistent\/tessera\.txt/);
  });
});

describe('option helpers', () => {
  it('parse numbers with one-line errors naming the flag', () => {
    assert.equal(parseIntOption('12', '--n'), 12);
    assert.equal(parseIntOption(7, '--n', { min: 1 }), 7);
    assert.throws(() => parseIntOption('1.5', '--n'), /^TesseraError: --n must be an integer \(got '1\.5'\)$/);
    assert.throws(() => parseIntOption('9', '--n', { max: 8 }), /--n must be at most 8 \(got 9\)/);
    assert.equal(parseNumberOption('1e-3', '--lr', { above: 0 }), 0.001);
    assert.throws(() => parseNumberOption('0', '--lr', { above: 0 }), /--lr must be greater than 0 \(got 0\)/);
    assert.throws(() => parseNumberOption('', '--lr'), /--lr must be a number/);
  });

  it('check files and folders', () => {
    const d = tmp();
    try {
      assert.equal(checkDir(d, '--x'), d);
      assert.throws(() => checkFile(d, '--x'), /--x: .* is not a file/);
      assert.throws(() => checkDir(join(d, 'no'), '--x'), /--x: folder not found/);
      assert.throws(() => checkFile(undefined, '--x'), /--x is required/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('resolve the device: the best present by default, a clear line for one that is not', () => {
    assert.ok(['cuda', 'cpu', 'cpu-js'].includes(bestDevice()));
    assert.equal(resolveDevice(undefined), bestDevice());
    assert.equal(resolveDevice('cpu-js'), 'cpu-js');
    assert.throws(() => resolveDevice('quantum'), /--device: 'quantum' is not available on this machine/);
  });
});
