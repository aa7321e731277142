// When the cuda device gets its memory back. A device storage is freed when its JS object is collected,
// and V8 does not see device memory, so the backend drives the collector itself: after each op it reads
// the allocator's counters (a shared Float64Array, no call) and, past a threshold of new allocations, runs
// a minor collection (cheap; frees the temporaries of the last few ops), and a full one when the live
// bytes exceed half the device (and, after a full one that left them there, a quarter of the device more
// than it left, so legitimately live memory does not turn every minor collection into a full one). An
// out-of-memory error triggers a full collection and one retry.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CudaAddon } from './addon.js';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

let gcFn: GcFunction | null | undefined;

/** V8's collector as a function (exposed for this process on first use), or null where V8 refuses. */
export function collectorFunction(): GcFunction | null {
  if (gcFn === undefined) {
    try {
      const g = (globalThis as { gc?: GcFunction }).gc;
      if (typeof g === 'function') gcFn = g;
      else {
        setFlagsFromString('--expose-gc');
        gcFn = runInNewContext('gc') as GcFunction;
      }
    } catch {
      gcFn = null;
    }
  }
  return gcFn;
}

export interface CollectorStats {
  minor: number;
  major: number;
  oomRetries: number;
}

export class DeviceMemory {
  private readonly counters: Float64Array;
  /** New bytes handed out between minor collections. */
  readonly minorThreshold: number;
  /** Live bytes above which a full collection runs (never below half the device). */
  majorThreshold: number;
  private readonly majorFloor: number;
  private readonly majorStep: number;
  readonly stats: CollectorStats = { minor: 0, major: 0, oomRetries: 0 };

  constructor(private readonly addon: CudaAddon, private readonly device: number, totalMemory: number) {
    this.counters = addon.counters(device);
    const envMinor = Number(process.env.TESSERA_CUDA_GC_BYTES);
    this.minorThreshold = envMinor > 0 ? envMinor : Math.max(1 << 30, totalMemory * 0.05);
    this.majorFloor = this.majorThreshold = totalMemory * 0.5;
    this.majorStep = totalMemory * 0.25;
  }

  /** Call after an op allocated: collects when enough new device memory was handed out. */
  afterAlloc(): void {
    if (this.counters[0]! > this.minorThreshold) this.collect(false);
  }

  /** Runs the collector (minor, or major when `full` or when live bytes stay high) and restarts the count. */
  collect(full: boolean): void {
    const gc = collectorFunction();
    this.addon.collected(this.device);
    if (!gc) return;
    if (!full) {
      gc({ type: 'minor' });
      this.stats.minor++;
      if (this.counters[1]! <= this.majorThreshold) return;
    }
    gc();
    this.stats.major++;
    // what a full collection could not free is live: the next one waits until the live bytes grow by a step
    this.majorThreshold = Math.max(this.majorFloor, this.counters[1]! + this.majorStep);
  }

  /** Runs fn; on a cuda out-of-memory error collects everything collectable and tries once more. */
  retryOnOom<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('cuda out of memory')) throw err;
      this.stats.oomRetries++;
      this.collect(true);
      this.addon.emptyCache(this.device);
      return fn();
    }
  }
}
