// Shape arithmetic shared by the ops: broadcasting, axis normalisation, layout views.
import { ShapeError } from '../errors.js';
import type { Layout } from '../backend/backend.js';

export type Shape = readonly number[];

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The broadcast shape of a and b (NumPy rules), or a ShapeError naming the op and both shapes. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** A layout viewing `layout` broadcast to `shape` (0 strides on new or size-1 dims). */
export function broadcastLayout(layout: Layout, shape: Shape, op = 'expand'): Layout {
  const n = shape.length, m = layout.shape.length;
  if (m > n) throw new ShapeError(`${op}: cannot expand ${shapeStr(layout.shape)} to ${shapeStr(shape)}`);
  const strides = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const j = i - (n - m);
    if (j < 0) {
      strides[i] = 0;
      continue;
    }
    const d = layout.shape[j]!;
    if (d === shape[i]) strides[i] = layout.strides[j]!;
    else if (d === 1) strides[i] = 0;
    else throw new ShapeError(`${op}: cannot expand ${shapeStr(layout.shape)} to ${shapeStr(shape)}`);
  }
  return { shape: [...shape], strides, offset: layout.offset };
}

/** Turns a possibly negative axis into 0..ndim-1, or throws naming the op. */
export function normAxis(axis: number, ndim: number, op: string): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(ndim, 1)) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of ${ndim} dims`);
  }
  return a;
}

/** Normalised, sorted, unique axes; undefined means all. */
export function normAxes(axes: number | readonly number[] | undefined, ndim: number, op: string): number[] {
  if (axes === undefined) return [...Array(ndim).keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normAxis(a, ndim, op)))];
  return out.sort((x, y) => x - y);
}

/**
 * Strides that show a tensor of (shape, strides) as newShape without copying, or null when the reshape
 * needs a copy (as torch.Tensor.view decides): each run of dims that is contiguous in memory may be split
 * or merged freely; dims of size 1 take any stride.
 */
export function viewStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  const out = new Array<number>(newShape.length);
  if (shape.some((d) => d === 0) || shape.length === 0) {
    // no elements, or a scalar: any layout works, take the contiguous one
    let s = 1;
    for (let i = newShape.length - 1; i >= 0; i--) {
      out[i] = s;
      s *= Math.max(1, newShape[i]!);
    }
    return out;
  }
  let v = newShape.length - 1;
  let base = strides[shape.length - 1]!;
  let chunk = 1, viewChunk = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    chunk *= shape[d]!;
    // a chunk ends where the next outer dim does not continue it in memory
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== chunk * base)) {
      while (v >= 0 && (viewChunk < chunk || newShape[v] === 1)) {
        out[v] = viewChunk * base;
        viewChunk *= newShape[v]!;
        v--;
      }
      if (viewChunk !== chunk) return null;
      if (d > 0) {
        base = strides[d - 1]!;
        chunk = 1;
        viewChunk = 1;
      }
    }
  }
  return v === -1 ? out : null;
}
