// The numbers the native addon uses for dtypes and op names (native/src/op_codes.h and storage.h list
// them in the same order), and the Float64Array encoding of a layout.
import type { BinaryOp, Layout, MapOp, ReduceOp } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';

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
export const ACTIVATION_CODES = { none: 0, relu: 1, gelu: 2, geluTanh: 3 } as const;

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
