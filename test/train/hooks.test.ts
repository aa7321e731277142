// The trainer's onEvaluate and onCheckpoint hooks: called after each evaluation with its loss and after each save
// with the folder written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optim, tensor } from '../../src/index.js';
import { Trainer } from '../../src/train/index.js';
import { batchRows, tinyLoss, tinyModel, tinySource, type TinyBatch, type TinyLM } from './tiny.js';

describe('trainer hooks', () => {
  it('onEvaluate sees every evaluation and onCheckpoint every saved folder', async () => {
    const device = 'cpu-js';
    const d = mkdtempSync(join(tmpdir(), 'tessera-trainer-hooks-'));
    try {
      const model = tinyModel(device, 4, 0);
      const evals: { step: number; valLoss: number }[] = [];
      const saves: { step: number; path: string }[] = [];
      const t = new Trainer<TinyLM, TinyBatch>({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        loss: tinyLoss,
        data: tinySource(device),
        evalData: () => [{ ids: tensor(batchRows(50, 2, 6), { dtype: 'int64', device }), tokens: 10 }],
        evalEvery: 2,
        maxSteps: 5,
        checkpointDir: join(d, 'ck'),
        checkpointEvery: 3,
        onEvaluate: (info) => evals.push(info),
        onCheckpoint: (info) => {
          assert.ok(existsSync(info.path), 'the checkpoint is complete when the hook runs');
          saves.push(info);
        },
      });
      const r = await t.fit();
      assert.deepEqual(evals.map((e) => e.step), [2, 4, 5]);
      assert.equal(evals.at(-1)!.valLoss, r.valLoss);
      assert.deepEqual(saves.map((s) => s.step), [3, 5]);
      assert.equal(saves.at(-1)!.path, r.checkpoint);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
