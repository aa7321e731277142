// Cuda storages: a dtype, a length, the device and the addon's handle (its finalizer hands the block back
// to the caching allocator when the JS object is collected). Int storages made from host data also keep
// their value range (and, when small, a host copy) so ids are range-checked without reading the device.
import type { Storage } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';
import { TesseraError } from '../../errors.js';
import type { Handle } from './addon.js';

/** What the host knows about an int storage's values. */
export interface IntValues {
  min: number;
  max: number;
  /** The values themselves, for storages up to HOST_COPY_LIMIT elements. */
  values?: ArrayLike<number>;
}

/** Int storages up to this many elements keep a host copy of their values. */
export const HOST_COPY_LIMIT = 1 << 20;

export class CudaStorage implements Storage {
  constructor(
    readonly dtype: DType,
    readonly length: number,
    readonly handle: Handle,
    readonly device: number,
    /** Cleared when the storage is written in place (copyInto), so it never goes stale. */
    public ints?: IntValues,
  ) {}
}

/** The handle of a storage of this device; another device's storage is an error naming the op. */
export function handleOf(s: Storage, op: string, device: number): Handle {
  if (!(s instanceof CudaStorage)) throw new TesseraError(`cuda ${op}: got a storage of another device`);
  if (s.device !== device) throw new TesseraError(`cuda ${op}: got a storage of cuda:${s.device} on cuda:${device}`);
  return s.handle;
}

/** The range of a storage filled with one value (no host copy). */
export function constantInts(value: number, dtype: DType): IntValues | undefined {
  if (dtype !== 'int32' && dtype !== 'int64' && dtype !== 'uint8' && dtype !== 'bool') return undefined;
  return { min: value, max: value };
}

/** Range and (small) host copy of int host data, or undefined for other dtypes and huge arrays. */
export function intValuesOf(data: ArrayLike<number | bigint>, dtype: DType): IntValues | undefined {
  if (dtype !== 'int32' && dtype !== 'int64' && dtype !== 'uint8' && dtype !== 'bool') return undefined;
  const n = data.length;
  if (n > 4 * HOST_COPY_LIMIT) return undefined;
  const values = n <= HOST_COPY_LIMIT ? new Float64Array(n) : undefined;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = Number(data[i]!);
    if (v < min) min = v;
    if (v > max) max = v;
    if (values) values[i] = v;
  }
  return { min, max, values };
}
