// Registers the native 'cpu' device. The addon loads on first use; when it is missing the factory throws a
// TesseraError saying why (after one warning) and cpu-js serves. Also the thread-pool and ISA controls.
import { registerBackend } from '../registry.js';
import { loadAddon, nativeAvailable } from './addon.js';
import { NativeCpuBackend } from './backend.js';

export { NativeCpuBackend } from './backend.js';
export { NativeStorage } from './storage.js';
export { nativeAvailable, addonPath } from './addon.js';

registerBackend('cpu', () => new NativeCpuBackend(loadAddon()));

/** Threads the native cpu backend uses (TESSERA_NUM_THREADS at start, else the core count). */
export function getNumThreads(): number {
  return loadAddon().getNumThreads();
}

/** Sets the native thread pool's size (>= 1). */
export function setNumThreads(n: number): void {
  loadAddon().setNumThreads(n);
}

/** Forces a kernel instruction set ('avx512', 'avx2', 'generic') at or below what the CPU has (tests, benchmarks). */
export function setNativeIsa(isa: 'avx512' | 'avx2' | 'generic'): void {
  loadAddon().setIsa(isa);
}

/** What the native backend runs on: chosen ISA, GEMM micro-kernel, threads, CPU features. */
export function nativeInfo() {
  return loadAddon().info();
}

/**
 * Measures the FP32 FMA peak of one core: clock (dependent adds), FMA units (from an FMA throughput loop)
 * and lanes of the active ISA; peak = ghz * fmaUnits * lanes * 2. With `threads` > 1 the FMA loop runs on
 * that many threads at once and the result is per core at that all-core clock.
 */
export function measureFmaPeak(threads = 1) {
  return loadAddon().peak(threads);
}

/** Bytes of native storage alive now. */
export function nativeLiveBytes(): number {
  return nativeAvailable() ? loadAddon().liveBytes() : 0;
}

/** Bytes of freed native blocks kept for reuse (capped by TESSERA_CPU_CACHE_MB, default 1024). */
export function nativeCachedBytes(): number {
  return nativeAvailable() ? loadAddon().cachedBytes() : 0;
}

/** Returns the native block cache to the system. */
export function emptyNativeCache(): void {
  if (nativeAvailable()) loadAddon().emptyCache();
}
