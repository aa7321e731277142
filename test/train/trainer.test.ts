// The trainer: gradient accumulation equals one big batch, an exact resume (bit for bit on cpu-js), the stop
// on a NaN loss, evaluation, the time limit and the metrics log.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optim, tensor } from '../../src/index.js';
import { MetricsLog, NonFiniteLossError, Trainer, findLatestCheckpoint } from '../../src/train/index.js';
import { assertClose } from '../helpers/assert.js';
import { IndexedSource, batchRows, tinyLoss, tinyModel, tinySource, type TinyBatch, type TinyLM } from './tiny.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tessera-trainer-'));

describe('gradient accumulation', () => {
  it('k micro-batches of b rows update the model as one batch of k*b rows', async () => {
    const device = 'cpu-js';
    const B = 6, T = 5, k = 3, steps = 3;
    // one big batch per step
    const big = tinyModel(device, 7, 0);
    const bigTrainer = new Trainer<TinyLM, TinyBatch>({
      model: big,
      optimizer: new optim.SGD(big.parameters(), { lr: 0.5 }),
      loss: tinyLoss,
      data: new IndexedSource((i) => ({ ids: tensor(batchRows(i, B, T), { dtype: 'int64', device }), tokens: B * (T - 1) })),
      maxSteps: steps,
    });
    await bigTrainer.fit();
    // the same rows split into k micro-batches of B / k rows
    const small = tinyModel(device, 7, 0);
    const smallTrainer = new Trainer<TinyLM, TinyBatch>({
      model: small,
      optimizer: new optim.SGD(small.parameters(), { lr: 0.5 }),
      loss: tinyLoss,
      data: new IndexedSource((j) => {
        const rows = batchRows(Math.floor(j / k), B, T);
        const part = j % k;
        return { ids: tensor(rows.slice(part * (B / k), (part + 1) * (B / k)), { dtype: 'int64', device }), tokens: (B / k) * (T - 1) };
      }),
      maxSteps: steps,
      gradAccumSteps: k,
    });
    await smallTrainer.fit();
    for (const [name, p] of big.stateDict()) assertClose(small.stateDict().get(name)!, p, { atol: 1e-6, rtol: 1e-5, name });
    bigTrainer.losses.forEach((l, i) => assert.ok(Math.abs(l.loss - smallTrainer.losses[i]!.loss) < 1e-5, `loss of step ${l.step}`));
  });

  it('also with AdamW, clipping and a schedule', async () => {
    const device = 'cpu-js';
    const run = async (k: number) => {
      const m = tinyModel(device, 3, 0);
      const opt = new optim.AdamW(m.parameters(), { lr: 0.01 });
      const t = new Trainer<TinyLM, TinyBatch>({
        model: m,
        optimizer: opt,
        scheduler: new optim.LrScheduler(opt, optim.warmupCosine(2, 4)),
        loss: tinyLoss,
        data: new IndexedSource((j) => {
          const rows = batchRows(Math.floor(j / k), 4, 6);
          const part = j % k;
          return { ids: tensor(rows.slice(part * (4 / k), (part + 1) * (4 / k)), { dtype: 'int64', device }), tokens: (4 / k) * 5 };
        }),
        maxSteps: 4,
        gradAccumSteps: k,
        clipGradNorm: 0.5,
      });
      await t.fit();
      return m;
    };
    const a = await run(1), b = await run(2);
    for (const [name, p] of a.stateDict()) assertClose(b.stateDict().get(name)!, p, { atol: 1e-5, rtol: 1e-4, name });
  });
});

describe('exact resume', () => {
  // dropout, AdamW, a schedule, clipping and accumulation: every piece of state a resume must restore
  const build = (device: string, dir: string, maxSteps: number, seed: number) => {
    const model = tinyModel(device, seed, 0.2);
    const optimizer = new optim.AdamW(model.parameters(), { lr: 0.02, weightDecay: 0.1 });
    const trainer = new Trainer<TinyLM, TinyBatch>({
      model,
      optimizer,
      scheduler: new optim.LrScheduler(optimizer, optim.warmupCosine(3, 12, 0.1)),
      loss: tinyLoss,
      data: tinySource(device),
      evalData: () => [0, 1].map((i) => ({ ids: tensor(batchRows(100 + i, 3, 6), { dtype: 'int64', device }), tokens: 15 })),
      evalEvery: 4,
      maxSteps,
      gradAccumSteps: 2,
      clipGradNorm: 1,
      checkpointDir: join(dir, 'checkpoints'),
      checkpointEvery: 4,
      metricsPath: join(dir, 'metrics.jsonl'),
      config: { seed },
    });
    return Object.assign(trainer, { model });
  };

  it('continues with the same losses, bit for bit, as an uninterrupted run [cpu-js]', async () => {
    const device = 'cpu-js';
    const d1 = tmp(), d2 = tmp();
    try {
      const full = build(device, d1, 12, 5);
      await full.fit();
      // stop at step 6 (the checkpoint of step 4 and the final one of step 6 are written) ...
      const first = build(device, d2, 6, 5);
      const r1 = await first.fit();
      assert.equal(r1.step, 6);
      // ... resume into a model built from another seed: everything must come from the checkpoint
      const second = build(device, d2, 12, 99);
      assert.equal(second.resume(), true);
      assert.equal(second.step, 6);
      await second.fit();
      const expected = full.losses.filter((l) => l.step > 6);
      assert.deepEqual(second.losses, expected, 'losses after the resume');
      for (const [name, p] of full.model.stateDict()) {
        assert.deepEqual(Array.from(second.model.stateDict().get(name)!.toArray()), Array.from(p.toArray()), `parameter ${name}`);
      }
      // the metrics log reads as one run: same steps, same losses and validation losses (plus the evaluation
      // the first session made when it stopped at step 6)
      const strip = (path: string) =>
        MetricsLog.read(path)
          .filter((r) => r.kind === 'train' || (r.kind === 'eval' && r.step % 4 === 0) || (r.kind === 'eval' && r.step === 12))
          .map((r) => ({ kind: r.kind, step: r.step, loss: r.loss ?? null, val: r.val_loss ?? null }));
      assert.ok(MetricsLog.read(join(d2, 'metrics.jsonl')).some((r) => r.kind === 'eval' && r.step === 6));
      assert.deepEqual(strip(join(d2, 'metrics.jsonl')), strip(join(d1, 'metrics.jsonl')));
    } finally {
      rmSync(d1, { recursive: true, force: true });
      rmSync(d2, { recursive: true, force: true });
    }
  });

  it('returns false when there is no checkpoint to resume', () => {
    const d = tmp();
    try {
      assert.equal(build('cpu-js', d, 2, 1).resume(), false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('NaN and infinite losses', () => {
  it('stop training with a clear message naming the step, leaving the model as it was', async () => {
    const device = 'cpu-js';
    const d = tmp();
    try {
      const model = tinyModel(device, 2, 0);
      const t = new Trainer<TinyLM, TinyBatch>({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        loss: tinyLoss,
        data: tinySource(device, 4, 6, [5]), // batch 5 = micro-batch 2 of step 3
        maxSteps: 10,
        gradAccumSteps: 2,
        checkpointDir: join(d, 'ck'),
        checkpointEvery: 1,
        metricsPath: join(d, 'm.jsonl'),
      });
      await assert.rejects(
        t.fit(),
        (err: unknown) => {
          assert.ok(err instanceof NonFiniteLossError);
          assert.match(err.message, /^the loss is NaN at step 3 \(micro-batch 2 of 2\); the last checkpoint is .*step-00000002; training stopped/);
          return true;
        },
      );
      assert.equal(findLatestCheckpoint(join(d, 'ck'))!.state.step, 2);
      assert.equal(t.step, 2);
      const lines = MetricsLog.read(join(d, 'm.jsonl'));
      assert.deepEqual(lines.at(-1), { kind: 'error', step: 3, loss: null, message: 'non-finite loss' });
      for (const p of model.parameters()) assert.equal(p.grad, null);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('an infinite loss too', async () => {
    const model = tinyModel('cpu-js', 2, 0);
    const t = new Trainer<TinyLM, TinyBatch>({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: (m, b) => ({ loss: tinyLoss(m, b).loss.mul(Infinity) }),
      data: tinySource('cpu-js'),
      maxSteps: 3,
    });
    await assert.rejects(t.fit(), /^NonFiniteLossError: the loss is \+Infinity at step 1; training stopped/);
  });
});

describe('evaluation, time limit and stop', () => {
  it('evaluates every N steps and at the end, weighting batches by their tokens', async () => {
    const device = 'cpu-js';
    const d = tmp();
    try {
      const model = tinyModel(device, 4, 0);
      const evalBatches = () => [
        { ids: tensor(batchRows(50, 2, 6), { dtype: 'int64', device }), tokens: 10 },
        { ids: tensor(batchRows(51, 1, 4), { dtype: 'int64', device }), tokens: 3 },
      ];
      const t = new Trainer<TinyLM, TinyBatch>({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        loss: tinyLoss,
        data: tinySource(device),
        evalData: evalBatches,
        evalEvery: 2,
        maxSteps: 5,
        metricsPath: join(d, 'm.jsonl'),
      });
      const r = await t.fit();
      const evals = MetricsLog.read(join(d, 'm.jsonl')).filter((x) => x.kind === 'eval').map((x) => x.step);
      assert.deepEqual(evals, [2, 4, 5]);
      // the final value is the token-weighted mean of the two batches
      model.eval();
      const [a, b] = evalBatches().map((x) => tinyLoss(model, x).loss.item());
      assert.ok(Math.abs(r.valLoss! - (a! * 10 + b! * 3) / 13) < 1e-6);
      assert.equal(model.training, false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('stops at the time limit after a step, then saves', async () => {
    const d = tmp();
    try {
      const model = tinyModel('cpu-js', 4, 0);
      const t = new Trainer<TinyLM, TinyBatch>({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        loss: tinyLoss,
        data: tinySource('cpu-js'),
        maxSteps: 1000,
        timeLimitMs: 0,
        checkpointDir: join(d, 'ck'),
      });
      const r = await t.fit();
      assert.equal(r.reason, 'time-limit');
      assert.equal(r.step, 1);
      assert.equal(findLatestCheckpoint(join(d, 'ck'))!.state.step, 1);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('requestStop() ends the run after the current step', async () => {
    const model = tinyModel('cpu-js', 4, 0);
    const source = tinySource('cpu-js');
    const t: Trainer<TinyLM, TinyBatch> = new Trainer<TinyLM, TinyBatch>({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: (m, b) => {
        if (source.index === 3) t.requestStop();
        return tinyLoss(m, b);
      },
      data: source,
      maxSteps: 100,
    });
    const r = await t.fit();
    assert.equal(r.reason, 'stopped');
    assert.equal(r.step, 3);
  });

  it('rejects bad options with one line', () => {
    const model = tinyModel('cpu-js', 4, 0);
    const base = { model, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), loss: tinyLoss, data: tinySource('cpu-js'), maxSteps: 2 };
    assert.throws(() => new Trainer<TinyLM, TinyBatch>({ ...base, gradAccumSteps: 0 }), /gradAccumSteps must be a positive integer, got 0/);
    assert.throws(() => new Trainer<TinyLM, TinyBatch>({ ...base, evalEvery: 1.5 }), /evalEvery must be a positive integer, got 1.5/);
    assert.throws(() => new Trainer<TinyLM, TinyBatch>({ ...base, maxSteps: -1 }), /maxSteps must be a non-negative integer/);
  });

  it('the metrics log is JSON lines with loss, lr and tokens per second', async () => {
    const d = tmp();
    try {
      const model = tinyModel('cpu-js', 4, 0);
      const t = new Trainer<TinyLM, TinyBatch>({ model, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), loss: tinyLoss, data: tinySource('cpu-js'), maxSteps: 2, metricsPath: join(d, 'm.jsonl') });
      await t.fit();
      const lines = readFileSync(join(d, 'm.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 2);
      for (const l of lines) {
        assert.equal(l.kind, 'train');
        assert.equal(typeof l.loss, 'number');
        assert.equal(l.lr, 0.1);
        assert.ok((l.tokens_per_s as number) > 0);
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
