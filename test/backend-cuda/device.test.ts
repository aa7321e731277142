// What only a real GPU shows: ops enqueue without waiting (only reads synchronise), the caching allocator
// reuses blocks, unreachable tensors give their memory back during a synchronous loop, and errors name
// the op and the sizes (out of memory) or the kernel (a failed launch). Skips where no GPU is present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, randn, tensor, zeros, TesseraError } from '../../src/index.js';
import { cudaDeviceInfo, cudaEmptyCache, cudaMemoryStats, cudaProfile, CudaBackend } from '../../src/backend/cuda/index.js';
import { skipCuda } from './util.js';

const opts = { skip: skipCuda };

test('ops enqueue without a host synchronisation; reading a value synchronises once', opts, () => {
  const x = randn([256, 256], { device: 'cuda' });
  x.sum().item();
  const before = cudaMemoryStats().synchronizations;
  let y = x;
  for (let i = 0; i < 300; i++) y = y.mul(0.999).add(x).tanh().matmul(x).div(256);
  assert.equal(cudaMemoryStats().synchronizations, before, 'no op waited for the device');
  y.sum().item();
  assert.equal(cudaMemoryStats().synchronizations, before + 1);
});

test('the caching allocator hands freed blocks out again', opts, () => {
  const be = getBackend('cuda');
  const s0 = cudaMemoryStats();
  for (let i = 0; i < 50; i++) be.release!(be.zeros('float32', 1 << 20));
  const s1 = cudaMemoryStats();
  assert.ok(s1.cacheHits - s0.cacheHits >= 49, `cache hits ${s1.cacheHits - s0.cacheHits}`);
  assert.ok(s1.mallocs - s0.mallocs <= 1, `cudaMalloc calls ${s1.mallocs - s0.mallocs}`);
  const s = be.zeros('float32', 16);
  be.release!(s);
  assert.throws(() => be.toHost(s, { shape: [16], strides: [1], offset: 0 }), /storage was released and cannot be used/);
});

test('unreachable tensors give their device memory back inside a synchronous loop', opts, () => {
  const total = cudaDeviceInfo().totalMemory;
  const chunk = 4 * 1024 ** 3; // 4 GiB each; three device memories' worth in all
  const n = Math.ceil((3 * total) / chunk);
  for (let i = 0; i < n; i++) zeros([chunk / 4], { device: 'cuda' }).add(1);
  const stats = cudaMemoryStats();
  assert.ok(stats.inUse < total, `in use ${stats.inUse}`);
  assert.ok(stats.minorCollections + stats.majorCollections > 0);
  cudaEmptyCache();
});

test('out of device memory names the op and the bytes asked for', opts, () => {
  const be = getBackend('cuda') as CudaBackend;
  const huge = 2 ** 41; // 8 TiB of float32
  assert.throws(() => be.zeros('float32', huge), (e: Error) =>
    e instanceof TesseraError && /^cuda out of memory in zeros: could not allocate 8796093022208 bytes \(8388608\.0 MiB\) on cuda:0/.test(e.message));
  // the device is still usable
  assert.deepEqual(tensor([1, 2], { device: 'cuda' }).mul(2).toList(), [2, 4]);
});

test('a failed kernel launch names the kernel and the op', opts, () => {
  const be = getBackend('cuda') as CudaBackend;
  assert.throws(() => be.addon.diagnosticLaunchFailure(be.index),
    (e: Error) => e instanceof TesseraError && /^CUDA error launching kernel diagnostic_kernel \(op diagnosticLaunchFailure\): cudaError\w+: /.test(e.message));
  assert.deepEqual(tensor([3], { device: 'cuda' }).add(1).toList(), [4]);
});

test('the per-op profile counts calls and GPU time', opts, () => {
  cudaProfile(true);
  const x = randn([512, 512], { device: 'cuda' });
  for (let i = 0; i < 5; i++) x.matmul(x).sum().item();
  const rows = cudaProfile(false);
  const mm = rows.find((r) => r.op.startsWith('matmul float32 1x512x512x512'));
  assert.ok(mm && mm.calls === 5 && mm.ms > 0, JSON.stringify(rows));
});

test('ids from the host are read back without a device round trip', opts, () => {
  const ids = tensor([1, 5, 2], { dtype: 'int64', device: 'cuda' });
  const before = cudaMemoryStats().synchronizations;
  assert.deepEqual(Array.from(ids.toArray()), [1, 5, 2]);
  assert.equal(cudaMemoryStats().synchronizations, before);
});
