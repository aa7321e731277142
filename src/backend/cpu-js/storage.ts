// cpu-js storage: one typed array per tensor buffer. int64 lives in a Float64Array (exact up to 2^53,
// far past any id or count), half types as their raw 16-bit patterns.
import type { Storage } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';

export type CpuArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

export class CpuJsStorage implements Storage {
  constructor(readonly dtype: DType, readonly data: CpuArray) {}
  get length(): number {
    return this.data.length;
  }
}

/** A zeroed array of the cpu-js kind for a dtype. */
export function allocCpu(dtype: DType, n: number): CpuArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float16': case 'bfloat16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new Float64Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
  }
}
