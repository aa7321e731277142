// Elementwise ops with broadcasting and dtype promotion, and their backward rules.
import { isContiguous, type BinaryOp, type MapOp } from '../../backend/backend.js';
import { TesseraError } from '../../errors.js';
import { isFloat, promoteTypes, type DType } from '../dtype.js';
import { broadcastLayout, broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';

/** Casts to a dtype the backend computes in (half types compute in float32 where the backend lacks them). */
function computeDtype(t: Tensor, dtype: DType): DType {
  return t.backend.computeDTypes.includes(dtype) ? dtype : 'float32';
}

/** A scalar as a 0-d tensor of dtype on t's device. */
export function scalarLike(t: Tensor, value: number, dtype: DType = t.dtype): Tensor {
  return Tensor.fromStorage(t.backend.full(dtype, 1, value), [], t.backend);
}

/** Runs a backend binary op on a and b broadcast to one shape, in their promoted dtype. No autograd. */
export function rawBinary(op: BinaryOp, a: Tensor, b: Tensor, forceDtype?: DType): Tensor {
  a.sameDevice(b, op);
  const shape = broadcastShapes(a.layout.shape, b.layout.shape, op);
  let dtype = forceDtype ?? promoteTypes(a.dtype, b.dtype);
  const cd = computeDtype(a, dtype);
  if (cd === 'float32' && dtype === 'float32' && mixedOperands(op, a, b, shape)) {
    // a half operand with a float32 one: the backend reads both as they are (no cast pass)
    return Tensor.fromStorage(a.backend.binary(op, a.storage, a.layout, b.storage, b.layout), shape, a.backend);
  }
  const A = a.dtype === cd ? a : a.detach().to(cd);
  const B = b.dtype === cd ? b : b.detach().to(cd);
  const storage = a.backend.binary(op, A.storage, broadcastLayout(A.layout, shape, op), B.storage, broadcastLayout(B.layout, shape, op));
  let out = Tensor.fromStorage(storage, shape, a.backend);
  if (cd !== dtype && out.dtype === cd) out = out.to(dtype);
  return out;
}

/** Whether the backend takes a and b with their own dtypes: one float32, one half, both contiguous at `shape`. */
function mixedOperands(op: BinaryOp, a: Tensor, b: Tensor, shape: readonly number[]): boolean {
  if (a.dtype === b.dtype || !a.backend.mixedFloatBinary?.includes(op)) return false;
  const half = a.dtype === 'float32' ? b.dtype : b.dtype === 'float32' ? a.dtype : null;
  if (half !== 'bfloat16' && half !== 'float16') return false;
  const fits = (t: Tensor) => t.ndim === shape.length && t.shape.every((d, i) => d === shape[i]) && isContiguous(t.layout);
  return fits(a) && fits(b);
}

function rawMap(op: MapOp, x: Tensor, args?: readonly number[]): Tensor {
  const cd = computeDtype(x, x.dtype);
  const X = x.dtype === cd ? x : x.detach().to(cd);
  let out = Tensor.fromStorage(x.backend.map(op, X.storage, X.layout, args), x.shape, x.backend);
  if (cd !== x.dtype && isFloat(out.dtype)) out = out.to(x.dtype);
  return out;
}

/** Gives ints a float dtype for ops whose result is fractional (division, exp, ...), as PyTorch does. */
function floatOf(t: Tensor): Tensor {
  return isFloat(t.dtype) ? t : t.to('float32');
}

function asTensor(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b !== 'number') return b;
  const dtype: DType = isFloat(a.dtype) ? a.dtype : Number.isInteger(b) ? a.dtype === 'bool' ? 'int64' : a.dtype : 'float32';
  return scalarLike(a, b, dtype);
}

export function add(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === 'number' && (isFloat(a.dtype) || Number.isInteger(b))) {
    const out = rawMap('addScalar', a, [b]);
    return Tensor.record(out, 'add', [a], (g) => [g]);
  }
  const bt = asTensor(a, b);
  const out = rawBinary('add', a, bt);
  return Tensor.record(out, 'add', [a, bt], (g) => [sumTo(g, a.shape), sumTo(g, bt.shape)]);
}

export function sub(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === 'number') return add(a, -b);
  const out = rawBinary('sub', a, b);
  return Tensor.record(out, 'sub', [a, b], (g) => [sumTo(g, a.shape), sumTo(g.neg(), b.shape)]);
}

export function mul(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === 'number' && (isFloat(a.dtype) || Number.isInteger(b))) {
    const out = rawMap('mulScalar', a, [b]);
    return Tensor.record(out, 'mul', [a], (g) => [g.mul(b)]);
  }
  const bt = asTensor(a, b);
  const out = rawBinary('mul', a, bt);
  return Tensor.record(out, 'mul', [a, bt], (g) => [
    a.requiresGrad ? sumTo(g.mul(bt), a.shape) : null,
    bt.requiresGrad ? sumTo(g.mul(a), bt.shape) : null,
  ]);
}

export function div(a: Tensor, b: Tensor | number): Tensor {
  const af = floatOf(a);
  if (typeof b === 'number') return mul(af, 1 / b);
  const bf = floatOf(b);
  const out = rawBinary('div', af, bf);
  return Tensor.record(out, 'div', [af, bf], (g) => [
    af.requiresGrad ? sumTo(g.div(bf), af.shape) : null,
    bf.requiresGrad ? sumTo(g.mul(out).div(bf).neg(), bf.shape) : null,
  ]);
}

/** x - a for a scalar a reversed: a - x. */
export function rsub(x: Tensor, a: number): Tensor {
  const out = rawMap('rsubScalar', x, [a]);
  return Tensor.record(out, 'rsub', [x], (g) => [g.neg()]);
}

export function pow(a: Tensor, b: Tensor | number): Tensor {
  const af = floatOf(a);
  if (typeof b === 'number') {
    const out = rawMap('powScalar', af, [b]);
    return Tensor.record(out, 'pow', [af], (g) => [b === 2 ? g.mul(af).mul(2) : g.mul(af.pow(b - 1)).mul(b)]);
  }
  const bf = floatOf(b);
  const out = rawBinary('pow', af, bf);
  return Tensor.record(out, 'pow', [af, bf], (g) => [
    af.requiresGrad ? sumTo(g.mul(bf).mul(af.pow(bf.sub(1))), af.shape) : null,
    bf.requiresGrad ? sumTo(g.mul(out).mul(af.log()), bf.shape) : null,
  ]);
}

/** Elementwise max/min; ties split the gradient evenly, as torch.maximum does. */
function extremum(a: Tensor, b: Tensor | number, op: 'maximum' | 'minimum'): Tensor {
  const bt = asTensor(a, b);
  const out = rawBinary(op, a, bt);
  return Tensor.record(out, op, [a, bt], (g) => {
    const win = rawBinary(op === 'maximum' ? 'gt' : 'lt', a, bt).to(g.dtype);
    const tie = rawBinary('eq', a, bt).to(g.dtype).mul(0.5);
    const wa = win.add(tie);
    return [sumTo(g.mul(wa), a.shape), sumTo(g.mul(rsub(wa, 1)), bt.shape)];
  });
}

export const maximum = (a: Tensor, b: Tensor | number) => extremum(a, b, 'maximum');
export const minimum = (a: Tensor, b: Tensor | number) => extremum(a, b, 'minimum');

const FLOAT_RESULT = new Set<MapOp>(['exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'gelu', 'geluTanh', 'erf', 'sin', 'cos', 'reciprocal']);

/** A unary op with its derivative. */
export function unary(x: Tensor, op: MapOp): Tensor {
  const xf = FLOAT_RESULT.has(op) ? floatOf(x) : x;
  const y = rawMap(op, xf);
  return Tensor.record(y, op, [xf], (g) => [unaryGrad(op, xf, y, g)]);
}

function unaryGrad(op: MapOp, x: Tensor, y: Tensor, g: Tensor): Tensor {
  switch (op) {
    case 'neg': return g.neg();
    case 'exp': return g.mul(y);
    case 'log': return g.div(x);
    case 'sqrt': return g.div(y).mul(0.5);
    case 'rsqrt': return g.mul(y.pow(3)).mul(-0.5);
    case 'abs': return g.mul(x.sign());
    case 'tanh': return g.mul(rsub(y.square(), 1));
    case 'sigmoid': return g.mul(y).mul(rsub(y, 1));
    case 'relu': return rawBinary('reluGrad', x, g);
    case 'gelu': return rawBinary('geluGrad', x, g);
    case 'geluTanh': return rawBinary('geluTanhGrad', x, g);
    case 'erf': return g.mul(x.square().neg().exp()).mul(2 / Math.sqrt(Math.PI));
    case 'sin': return g.mul(x.cos());
    case 'cos': return g.mul(x.sin()).neg();
    case 'square': return g.mul(x).mul(2);
    case 'reciprocal': return g.mul(y.square()).neg();
    case 'sign': case 'floor': case 'ceil': case 'round': return g.mul(0);
    default: throw new TesseraError(`no gradient rule for ${op}`);
  }
}

export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  const lo = min ?? NaN, hi = max ?? NaN;
  const y = rawMap('clamp', x, [lo, hi]);
  return Tensor.record(y, 'clamp', [x], (g) => {
    // the gradient passes where min <= x <= max (torch's rule)
    let pass = rawBinary('eq', x, x);
    if (min !== undefined) pass = rawBinary('and', pass, x.detach().ge(min));
    if (max !== undefined) pass = rawBinary('and', pass, x.detach().le(max));
    return [g.mul(pass.to(g.dtype))];
  });
}

/** Comparison or logical op: a bool tensor, no gradient. */
export function compare(a: Tensor, b: Tensor | number, op: BinaryOp): Tensor {
  const bt = typeof b === 'number' ? scalarLike(a, b, isFloat(a.dtype) || Number.isInteger(b) ? a.dtype : 'float32') : b;
  return rawBinary(op, a.detach(), bt.detach());
}

export function logicalNot(x: Tensor): Tensor {
  return Tensor.fromStorage(x.backend.map('logicalNot', x.storage, x.layout), x.shape, x.backend);
}

/** cond ? a : b with broadcasting; the gradient flows to the branch taken. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const ref = typeof a !== 'number' ? a : typeof b !== 'number' ? b : cond;
  const num = typeof a === 'number' ? a : typeof b === 'number' ? b : 0;
  const dtype: DType = typeof a !== 'number' && typeof b !== 'number'
    ? promoteTypes(a.dtype, b.dtype)
    : ref !== cond && (isFloat(ref.dtype) || Number.isInteger(num)) ? ref.dtype : 'float32';
  const at = typeof a === 'number' ? scalarLike(cond, a, dtype) : a.to(dtype);
  const bt = typeof b === 'number' ? scalarLike(cond, b, dtype) : b.to(dtype);
  cond.sameDevice(at, 'where');
  cond.sameDevice(bt, 'where');
  const shape = broadcastShapes(broadcastShapes(cond.layout.shape, at.layout.shape, 'where'), bt.layout.shape, 'where');
  const cd = computeDtype(at, dtype);
  const A = at.dtype === cd ? at : at.detach().to(cd);
  const B = bt.dtype === cd ? bt : bt.detach().to(cd);
  const storage = cond.backend.where(
    cond.storage, broadcastLayout(cond.layout, shape, 'where'),
    A.storage, broadcastLayout(A.layout, shape, 'where'),
    B.storage, broadcastLayout(B.layout, shape, 'where'),
  );
  let out = Tensor.fromStorage(storage, shape, cond.backend);
  if (cd !== dtype) out = out.to(dtype);
  return Tensor.record(out, 'where', [at, bt], (g) => {
    const zero = scalarLike(g, 0, g.dtype);
    return [
      at.requiresGrad ? sumTo(where(cond, g, zero), at.shape) : null,
      bt.requiresGrad ? sumTo(where(cond, zero, g), bt.shape) : null,
    ];
  });
}

export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  return where(mask, value, x);
}
