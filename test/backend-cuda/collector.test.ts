// The cuda backend's collector policy (src/backend/cuda/memory.ts) against a stand-in for the addon's
// counters: minor collections past the allocation threshold, a full one while live bytes exceed half the
// device, and no full collection after every minor one when the memory that stays is really live.
// Needs no GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceMemory } from '../../src/backend/cuda/memory.js';
import type { CudaAddon } from '../../src/backend/cuda/addon.js';

const GiB = 1024 ** 3;

/** The two calls DeviceMemory makes, over a counters array the test sets by hand. */
function fakeAddon(counters: Float64Array): CudaAddon {
  return {
    counters: () => counters,
    collected: () => { counters[0] = 0; },
    emptyCache: () => {},
  } as unknown as CudaAddon;
}

test('collector: full collections wait until the live bytes grow past what the last one left', () => {
  const saved = process.env.TESSERA_CUDA_GC_BYTES;
  delete process.env.TESSERA_CUDA_GC_BYTES;
  try {
    const counters = new Float64Array(4);
    const mem = new DeviceMemory(fakeAddon(counters), 0, 100 * GiB);
    assert.equal(mem.minorThreshold, 5 * GiB);
    counters[0] = 4 * GiB;
    mem.afterAlloc();
    assert.deepEqual(mem.stats, { minor: 0, major: 0, oomRetries: 0 }, 'below the threshold nothing runs');
    // 60 GiB stay live: the first minor collection is followed by a full one
    counters[0] = 6 * GiB;
    counters[1] = 60 * GiB;
    mem.afterAlloc();
    assert.deepEqual(mem.stats, { minor: 1, major: 1, oomRetries: 0 });
    assert.equal(mem.majorThreshold, 85 * GiB);
    // they are still live: later minor collections no longer bring a full one each
    for (let i = 0; i < 5; i++) {
      counters[0] = 6 * GiB;
      mem.afterAlloc();
    }
    assert.deepEqual(mem.stats, { minor: 6, major: 1, oomRetries: 0 });
    // grown by another quarter of the device: full again; once it is freed the floor is back at half
    counters[0] = 6 * GiB;
    counters[1] = 90 * GiB;
    mem.afterAlloc();
    assert.deepEqual(mem.stats, { minor: 7, major: 2, oomRetries: 0 });
    counters[1] = 10 * GiB;
    mem.collect(true);
    assert.equal(mem.majorThreshold, 50 * GiB);
  } finally {
    if (saved !== undefined) process.env.TESSERA_CUDA_GC_BYTES = saved;
  }
});
