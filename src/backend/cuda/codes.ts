// The numbers the cuda addon uses for dtypes and op names (native/cuda/op_codes.h lists the ops in this
// order; dtypes match native/cuda/common.cuh), the Float64Array encoding of a layout, and the host
// array kind each dtype travels in.
import type { Activation, BinaryOp, Layout, MapOp, ReduceOp } from '../backend.js';
import type { DType, HostArray } from '../../tensor/dtype.js';

export const DTYPE_CODES: Record<DType, number> = {
  float32: 0, float16: 1, bfloat16: 2, int32: 3, int64: 4, uint8: 5, bool: 6,
};

const MAP_OPS: readonly MapOp[] = [
  'neg', 'exp', 'log', 'sqrt', 'rsqrt', 'abs', 'tanh', 'sigmoid', 'relu', 'gelu', 'geluTanh', 'erf', 'sin', 'cos',
  'square', 'reciprocal', 'sign', 'floor', 'ceil', 'round', 'logicalNot', 'addScalar', 'mulScalar', 'powScalar',
  'rsubScalar', 'clamp',
];
const BINARY_OPS: readonly BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or',
  'reluGrad', 'geluGrad', 'geluTanhGrad',
];
const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'prod', 'argmax', 'argmin'];

export const MAP_CODES = new Map<MapOp, number>(MAP_OPS.map((op, i) => [op, i]));
export const BINARY_CODES = new Map<BinaryOp, number>(BINARY_OPS.map((op, i) => [op, i]));
export const REDUCE_CODES = new Map<ReduceOp, number>(REDUCE_OPS.map((op, i) => [op, i]));
export const ACTIVATION_CODES: Record<Activation, number> = { none: 0, relu: 1, gelu: 2, geluTanh: 3 };

/** Binary ops whose result is bool. */
export const COMPARE_OPS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or']);

/** [nd, offset, ...shape, ...strides]: one typed array the addon reads without per-element calls. */
export function encodeLayout(l: Layout): Float64Array {
  const nd = l.shape.length;
  const out = new Float64Array(2 + 2 * nd);
  out[0] = nd;
  out[1] = l.offset;
  for (let i = 0; i < nd; i++) {
    out[2 + i] = l.shape[i]!;
    out[2 + nd + i] = l.strides[i]!;
  }
  return out;
}

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
