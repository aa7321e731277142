// Registers the 'cuda' device ('cuda', 'cuda:N'). The addon loads on first use; on a machine without it,
// without a driver or without a GPU, getBackend('cuda') throws "cuda is unavailable: <why>" and every
// other device keeps working. Also the cuda controls: TF32, memory statistics, cache, device info.
import { getBackend, registerBackend } from '../registry.js';
import { cudaDeviceCount, cudaUnavailableReason, loadCudaAddon } from './addon.js';
import { CudaBackend, cudaSettings } from './backend.js';
import { collectorFunction } from './memory.js';

export { CudaBackend, cudaSettings, FUSED_ATTENTION_MAX_HEAD_DIM } from './backend.js';
export { CudaStorage } from './storage.js';
export { cudaAddonPath, cudaDeviceCount, cudaUnavailableReason } from './addon.js';

// one backend per device index: 'cuda' and 'cuda:0' must resolve to the same instance in whichever order they are asked for
const instances = new Map<number, CudaBackend>();
registerBackend('cuda', (index) => {
  let be = instances.get(index);
  if (!be) {
    be = new CudaBackend(loadCudaAddon(index), index);
    instances.set(index, be);
  }
  return be;
});

function cudaBackend(device: string): CudaBackend {
  return getBackend(device) as CudaBackend;
}

/** True when a cuda device can be used here. */
export function isCudaAvailable(): boolean {
  return cudaDeviceCount() > 0;
}

/**
 * Lets float32 matmuls and the fused attention forward on cuda use TF32 tensor cores (as
 * torch.backends.cuda.matmul.allow_tf32): much faster, with products rounded to 10 mantissa bits. Off by
 * default (TESSERA_CUDA_TF32=1 turns it on).
 */
export function setAllowTF32(allow: boolean): void {
  cudaSettings.allowTF32 = allow;
}

export function getAllowTF32(): boolean {
  return cudaSettings.allowTF32;
}

/** The device's name, memory, multiprocessors and compute capability. */
export function cudaDeviceInfo(device = 'cuda') {
  const be = cudaBackend(device);
  return be.addon.deviceInfo(be.index);
}

export interface CudaMemoryStats {
  /** Bytes held by live storages. */
  inUse: number;
  /** Bytes the caching allocator keeps for reuse. */
  cached: number;
  /** Most bytes ever held by live storages. */
  peak: number;
  /** cudaMalloc calls so far (the rest came from the cache). */
  mallocs: number;
  cacheHits: number;
  /** Times the host waited for the device (reads, synchronize). */
  synchronizations: number;
  /** Collections the backend ran to get device memory back. */
  minorCollections: number;
  majorCollections: number;
  oomRetries: number;
}

export function cudaMemoryStats(device = 'cuda'): CudaMemoryStats {
  const be = cudaBackend(device);
  const s = be.addon.memoryStats(be.index);
  return { ...s, minorCollections: be.memory.stats.minor, majorCollections: be.memory.stats.major, oomRetries: be.memory.stats.oomRetries };
}

/** Collects unreachable tensors now and returns every cached block to the driver. */
export function cudaEmptyCache(device = 'cuda'): void {
  const be = cudaBackend(device);
  be.memory.collect(true);
  be.addon.emptyCache(be.index);
}

/** Waits for every kernel enqueued on the device. */
export function cudaSynchronize(device = 'cuda'): void {
  cudaBackend(device).synchronize();
}

export interface CudaProfileRow {
  op: string;
  calls: number;
  /** GPU milliseconds between the events around the op's kernels on the stream (host gaps excluded). */
  ms: number;
}

/**
 * Per-op GPU time: cudaProfile(true) starts recording (CUDA events around every op, as TESSERA_CUDA_PROFILE=1
 * does from the start); cudaProfile() returns the totals since the last call, largest first, and keeps
 * recording; cudaProfile(false) returns them and stops. Synchronises.
 */
export function cudaProfile(on?: boolean, device = 'cuda'): CudaProfileRow[] {
  const be = cudaBackend(device);
  be.synchronize();
  return be.addon.profile(on).map(([op, calls, ms]) => ({ op, calls, ms })).sort((a, b) => b.ms - a.ms);
}

/** Runs V8's full collection (device storages of unreachable tensors go back to the cache). */
export function collectGarbage(): void {
  collectorFunction()?.();
}

