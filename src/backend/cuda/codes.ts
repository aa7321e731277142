// The numbers and layout encoding the cuda addon shares with the cpu one (see ../native-codes.ts), and the
// host array kind each dtype travels in.
import type { DType, HostArray } from '../../tensor/dtype.js';

export { ACTIVATION_CODES, BINARY_CODES, COMPARE_OPS, DTYPE_CODES, encodeLayout, MAP_CODES, REDUCE_CODES } from '../native-codes.js';

/** The typed array a dtype's bytes come back in from toHost. */
export function hostArrayOf(buf: ArrayBuffer, dtype: DType): HostArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float16': case 'bfloat16': return new Uint16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint8': case 'bool': return new Uint8Array(buf);
  }
}

/** The host array holding `data` as the element bytes of `dtype` (converting as a typed-array set does). */
export function hostBytesFor(data: HostArray, dtype: DType): ArrayBufferView {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number | bigint>, Number);
    case 'float16': case 'bfloat16': return data instanceof Uint16Array ? data : Uint16Array.from(data as ArrayLike<number | bigint>, Number);
    case 'int32': return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number | bigint>, (v) => Math.trunc(Number(v)));
    case 'int64': {
      if (data instanceof BigInt64Array) return data;
      const out = new BigInt64Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = BigInt(Math.trunc(Number(data[i]!)));
      return out;
    }
    case 'uint8': return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number | bigint>, Number);
    case 'bool': {
      const out = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!) !== 0 ? 1 : 0;
      return out;
    }
  }
}
