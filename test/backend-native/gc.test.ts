// Memory of native storages in synchronous loops: storages dropped without release() are freed by the
// garbage collector while the loop runs (no await, no event-loop turn), so resident memory stays bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nativeLiveBytes } from '../../src/backend/cpu/index.js';
import { full, nn, optim } from '../../src/index.js';
import { cpu, describeNative } from './helpers.js';

const MB = 1 << 20;

/** Runs step() `iterations` times synchronously; returns the peak growth of RSS and of live native bytes. */
function peakGrowth(iterations: number, step: (i: number) => void): { rss: number; live: number } {
  const rss0 = process.memoryUsage.rss(), live0 = nativeLiveBytes();
  let rss = 0, live = 0;
  for (let i = 0; i < iterations; i++) {
    step(i);
    if (i % 8 === 0) {
      rss = Math.max(rss, process.memoryUsage.rss() - rss0);
      live = Math.max(live, nativeLiveBytes() - live0);
    }
  }
  return { rss, live };
}

describeNative('native storages in synchronous loops', () => {
  test('3 GB of 8 MB storages dropped in a synchronous loop keep RSS growth under 1 GB', () => {
    const be = cpu();
    let sink = 0;
    const g = peakGrowth(384, (i) => {
      const s = be.full('float32', 2 * MB, i);  // 8 MB, never released: only the GC frees it
      sink += s.length;
    });
    assert.equal(sink, 384 * 2 * MB);
    assert.ok(g.live < 1024 * MB, `live native bytes grew by ${(g.live / MB).toFixed(0)} MB`);
    assert.ok(g.rss < 1024 * MB, `RSS grew by ${(g.rss / MB).toFixed(0)} MB`);
  });

  test('a synchronous training loop (forward, backward, optimizer step) keeps memory bounded', () => {
    // each step makes about ten 8 MB activations and gradients: over 3 GB in the loop
    const model = new nn.Linear(64, 64, { device: 'cpu' });
    const opt = new optim.SGD(model.parameters(), { lr: 1e-6 });
    const x = full([32768, 64], 0.01, { device: 'cpu' });
    const g = peakGrowth(40, () => {
      const loss = model.forward(x).relu().square().mean();
      loss.backward();
      opt.step();
      opt.zeroGrad();
    });
    assert.ok(g.live < 1024 * MB, `live native bytes grew by ${(g.live / MB).toFixed(0)} MB`);
    assert.ok(g.rss < 1024 * MB, `RSS grew by ${(g.rss / MB).toFixed(0)} MB`);
  });
});
