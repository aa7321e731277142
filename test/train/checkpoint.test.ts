// Checkpoints: a save interrupted at any stage (an exception or a SIGKILL) never leaves a broken latest
// checkpoint; damaged folders are skipped; old ones are pruned.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor } from '../../src/index.js';
import { findLatestCheckpoint, loadLatestCheckpoint, readCheckpointState, saveCheckpoint, type CheckpointContent } from '../../src/train/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tessera-ckpt-'));
const here = dirname(fileURLToPath(import.meta.url));

function content(step: number): CheckpointContent {
  return {
    state: { step, config: { name: 'test' }, optimizer: { step, lrs: [0.1] }, scheduler: { stepCount: step, baseLrs: [0.1] }, rng: { 'cpu-js': [1, 2, 3, step] }, data: { drawn: step }, totals: { tokens: step * 10 } },
    model: new Map([
      ['a.weight', tensor([[step, 1], [2, 3]], { device: 'cpu-js' })],
      ['a.bias', tensor([step], { device: 'cpu-js' })],
    ]),
    optimizer: new Map([['0.exp_avg', tensor([[0.5, step], [1, 2]], { device: 'cpu-js' })]]),
    extraFiles: { 'tokenizer.json': `{"step": ${step}}` },
  };
}

describe('checkpoint save and load', () => {
  it('round-trips tensors, state and extra files', () => {
    const d = tmp();
    try {
      const path = saveCheckpoint(d, content(3));
      assert.equal(path, join(d, 'step-00000003'));
      assert.equal(readFileSync(join(d, 'latest'), 'utf8'), 'step-00000003\n');
      const ck = loadLatestCheckpoint(d, 'cpu-js')!;
      assert.equal(ck.state.step, 3);
      assert.deepEqual(ck.state.rng, { 'cpu-js': [1, 2, 3, 3] });
      assert.deepEqual(ck.state.data, { drawn: 3 });
      assert.deepEqual(ck.model.get('a.weight')!.toList(), [[3, 1], [2, 3]]);
      assert.deepEqual(ck.optimizer.get('0.exp_avg')!.toList(), [[0.5, 3], [1, 2]]);
      assert.equal(readFileSync(join(path, 'tokenizer.json'), 'utf8'), '{"step": 3}');
      assert.deepEqual(Object.keys(ck.state.files).sort(), ['model.safetensors', 'optimizer.safetensors', 'tokenizer.json']);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('keeps the newest two complete checkpoints by default', () => {
    const d = tmp();
    try {
      for (const s of [1, 2, 3, 4]) saveCheckpoint(d, content(s));
      assert.deepEqual(readdirSync(d).sort(), ['latest', 'step-00000003', 'step-00000004']);
      saveCheckpoint(d, content(5), { keep: 1 });
      assert.deepEqual(readdirSync(d).sort(), ['latest', 'step-00000005']);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('saving the same step again replaces it', () => {
    const d = tmp();
    try {
      saveCheckpoint(d, content(2));
      const c = content(2);
      c.state.totals = { tokens: 999 };
      saveCheckpoint(d, c);
      assert.deepEqual(findLatestCheckpoint(d)!.state.totals, { tokens: 999 });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('returns null when a folder has no checkpoint', () => {
    const d = tmp();
    try {
      assert.equal(findLatestCheckpoint(d), null);
      assert.equal(findLatestCheckpoint(join(d, 'missing')), null);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('a save interrupted midway', () => {
  for (const stage of ['tensors-written', 'state-written', 'renamed', 'latest-written'] as const) {
    it(`by an exception after '${stage}' leaves a complete latest checkpoint`, () => {
      const d = tmp();
      try {
        saveCheckpoint(d, content(1));
        assert.throws(() =>
          saveCheckpoint(d, content(2), {
            onStage: (s) => {
              if (s === stage) throw new Error('crash');
            },
          }),
        );
        const found = findLatestCheckpoint(d)!;
        // until `latest` is rewritten it names the previous checkpoint, which is complete
        assert.equal(found.state.step, stage === 'latest-written' ? 2 : 1);
        assert.equal(loadLatestCheckpoint(d, 'cpu-js')!.model.get('a.bias')!.item(), found.state.step);
        // the next save cleans up what the crash left
        saveCheckpoint(d, content(3));
        assert.ok(readdirSync(d).every((e) => !e.startsWith('.')), readdirSync(d).join(', '));
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    });
  }

  for (const stage of ['tensors-written', 'state-written', 'renamed'] as const) {
    it(`by SIGKILL after '${stage}' leaves a complete latest checkpoint`, async () => {
      const d = tmp();
      try {
        const child = spawn(process.execPath, [join(here, 'kill-child.js'), d, stage], { stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ready')) {
              child.kill('SIGKILL');
              resolve();
            }
          });
          child.on('exit', (code) => reject(new Error(`the child exited (${code}) before reaching '${stage}'`)));
        });
        await new Promise((r) => child.on('close', r));
        const found = findLatestCheckpoint(d)!;
        assert.equal(found.state.step, 1);
        const ck = loadLatestCheckpoint(d, 'cpu-js')!;
        assert.equal(ck.model.get('w')!.toArray()[1], 1);
        if (stage === 'renamed') assert.ok(existsSync(join(d, 'step-00000002', 'state.json')), 'the new folder is complete but not yet named latest');
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    });
  }

  it('a damaged newest checkpoint is skipped for the previous one', () => {
    const d = tmp();
    try {
      saveCheckpoint(d, content(1));
      saveCheckpoint(d, content(2));
      const file = join(d, 'step-00000002', 'model.safetensors');
      writeFileSync(file, readFileSync(file).subarray(0, 20)); // a torn write
      assert.throws(() => readCheckpointState(join(d, 'step-00000002')), /model\.safetensors: 20 bytes, the checkpoint recorded \d+/);
      assert.equal(findLatestCheckpoint(d)!.state.step, 1);
      rmSync(join(d, 'step-00000001', 'state.json'));
      assert.equal(findLatestCheckpoint(d), null);
      assert.ok(existsSync(join(d, 'latest')));
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('a file changed in place fails its digest', () => {
    const d = tmp();
    try {
      const path = saveCheckpoint(d, content(1));
      const file = join(path, 'tokenizer.json');
      writeFileSync(file, '{"step": 9}');
      assert.throws(() => readCheckpointState(path), /tokenizer\.json: contents differ from the checkpoint's digest/);
      writeFileSync(join(path, 'state.json'), '{ not json');
      assert.throws(() => readCheckpointState(path), /state\.json: not valid JSON/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
