// Reductions over any set of axes (sum, mean, max, min, var, argmax/argmin) and their backward rules.
import { ShapeError } from '../../errors.js';
import type { ReduceOp } from '../../backend/backend.js';
import { isFloat } from '../dtype.js';
import { normAxes, normAxis, sameShape, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';

function reducedShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function rawReduce(x: Tensor, op: ReduceOp, axes: readonly number[], keepdim: boolean): Tensor {
  const X = x.backend.computeDTypes.includes(x.dtype) ? x : x.detach().to('float32');
  const storage = x.backend.reduce(op, X.storage, X.layout, axes);
  let out = Tensor.fromStorage(storage, reducedShape(x.shape, axes, keepdim), x.backend);
  if (X !== x && isFloat(x.dtype) && out.dtype !== x.dtype && op !== 'argmax' && op !== 'argmin') out = out.to(x.dtype);
  return out;
}

/** Sums a broadcast gradient back to `shape` (the adjoint of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.layout.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new ShapeError(`sumTo: cannot sum ${shapeStr(g.shape)} to ${shapeStr(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.layout.shape[i] !== 1)) axes.push(i);
  }
  return sum(g, axes, true).reshape(shape);
}

export function sum(x: Tensor, axesArg: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const axes = normAxes(axesArg, x.ndim, 'sum');
  if (axes.length === 0) return x;
  const out = rawReduce(x, 'sum', axes, keepdim);
  const inShape = x.shape;
  const kept = reducedShape(inShape, axes, true);
  return Tensor.record(out, 'sum', [x], (g) => [g.reshape(kept).expand(inShape)]);
}

export function mean(x: Tensor, axesArg: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const axes = normAxes(axesArg, x.ndim, 'mean');
  const n = axes.reduce((p, a) => p * x.layout.shape[a]!, 1);
  const xf = isFloat(x.dtype) ? x : x.to('float32');
  return sum(xf, axes, keepdim).div(n);
}

/** max/min over axes (torch.amax/amin): ties share the gradient evenly. */
export function amax(x: Tensor, axesArg: number | readonly number[] | undefined, keepdim: boolean, op: 'max' | 'min'): Tensor {
  const axes = normAxes(axesArg, x.ndim, op);
  if (x.size === 0) throw new ShapeError(`${op}: cannot reduce an empty tensor of shape ${shapeStr(x.shape)}`);
  const out = rawReduce(x, op, axes, keepdim);
  const inShape = x.shape;
  const kept = reducedShape(inShape, axes, true);
  return Tensor.record(out, op, [x], (g) => {
    const hit = x.detach().eq(out.detach().reshape(kept)).to(g.dtype);
    const count = sum(hit, axes, true);
    return [g.reshape(kept).mul(hit).div(count)];
  });
}

export function argReduce(x: Tensor, axis: number | undefined, keepdim: boolean, op: 'argmax' | 'argmin'): Tensor {
  if (axis === undefined) return argReduce(x.reshape([-1]), 0, false, op);
  const a = normAxis(axis, x.ndim, op);
  return rawReduce(x.detach(), op, [a], keepdim);
}

export function variance(x: Tensor, axesArg: number | readonly number[] | undefined, keepdim: boolean, correction: number): Tensor {
  const axes = normAxes(axesArg, x.ndim, 'var');
  const n = axes.reduce((p, a) => p * x.layout.shape[a]!, 1);
  const mu = mean(x, axes, true);
  const d = x.sub(mu);
  return sum(d.mul(d), axes, keepdim).div(Math.max(n - correction, 0));
}
