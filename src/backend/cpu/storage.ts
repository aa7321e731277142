// Native storages: a dtype, a length and the addon's handle, whose finalizer frees the memory when the JS
// object is collected; release() frees it at once.
import type { Storage } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';
import { TesseraError } from '../../errors.js';
import type { Handle } from './addon.js';

export class NativeStorage implements Storage {
  constructor(readonly dtype: DType, readonly length: number, readonly handle: Handle) {}
}

/** The handle of a storage of this backend; another device's storage is an error naming the op. */
export function handleOf(s: Storage, op: string): Handle {
  if (!(s instanceof NativeStorage)) throw new TesseraError(`cpu ${op}: got a storage of another device`);
  return s.handle;
}
