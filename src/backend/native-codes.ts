// What the native addons (cpu: native/src, cuda: native/cuda) share with their TypeScript sides: the numbers
// of dtypes and ops (native/src/op_codes.h and native/cuda/op_codes.h list them in this order), the
// Float64Array encoding of a layout, and where the package's built addons live.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Activation, BinaryOp, Layout, MapOp, ReduceOp } from './backend.js';
import type { DType } from '../tensor/dtype.js';

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

/** The package root: the nearest folder above this file holding Tessera's package.json. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tessera') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    dir = resolve(dir, '..');
  }
  return null;
}

/** Where a built addon is expected: the path in `envVar` if set, else build/native/<file> in the package. */
export function builtAddonPath(file: string, envVar: string): string | null {
  const override = process.env[envVar];
  if (override) return resolve(override);
  const root = packageRoot();
  return root ? join(root, 'build', 'native', file) : null;
}
