// Range checks of integer tensors (token ids, class labels) that do not stall an asynchronous device: where
// the backend knows an id tensor's values on the host (they were uploaded from it), the check reads those;
// where it does not, the device's own kernels check the ids and report at the next read. Synchronous
// backends (cpu-js, cpu) read the values, which costs nothing but the copy.
import type { Tensor } from './tensor.js';

/** A value outside the allowed range and its flat (row-major) position in the tensor. */
export interface BadInt {
  value: number;
  index: number;
}

function firstBad(values: ArrayLike<number>, lo: number, hi: number, allowed: number | undefined): BadInt | null {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= lo && v < hi) && v !== allowed) return { value: v, index: i };
  }
  return null;
}

/**
 * The first value of t outside [lo, hi) (other than `allowed`, e.g. an ignore index), null when every value
 * is in range, or undefined when only the device could tell (then its kernels check).
 */
export function findOutOfRange(t: Tensor, lo: number, hi: number, allowed?: number): BadInt | null | undefined {
  if (t.size === 0) return null;
  const be = t.backend;
  if (be.knownInts) {
    const known = be.knownInts(t.storage);
    if (!known) return undefined;
    if (known.min >= lo && known.max < hi) return null;
    // the storage's values are a superset of the view's: all good there means all good here
    if (known.values && firstBad(known.values, lo, hi, allowed) === null) return null;
  }
  return firstBad(t.toArray(), lo, hi, allowed);
}
