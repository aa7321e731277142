// Walking strided layouts on the host: element offsets of a layout in row-major order of its shape.
import { isContiguous, numel, type Layout } from '../backend.js';

/** Offsets of every element of `layout` in row-major order, or null when they are just offset + i. */
export function elementOffsets(layout: Layout): Int32Array | null {
  if (isContiguous(layout)) return null;
  const { shape, strides } = layout;
  const n = numel(shape);
  const out = new Int32Array(n);
  const nd = shape.length;
  if (n === 0) return out;
  // Inner loop over the last dim, odometer over the rest.
  const last = shape[nd - 1]!;
  const lastStride = strides[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let base = layout.offset;
  let p = 0;
  for (;;) {
    for (let j = 0, o = base; j < last; j++, o += lastStride) out[p++] = o;
    if (p >= n) break;
    let d = nd - 2;
    while (d >= 0) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return out;
}

/** Offsets for a subset of dims (`dims`, in order) of a layout, relative to 0 (the layout offset not added). */
export function subOffsets(layout: Layout, dims: readonly number[]): Int32Array {
  const shape = dims.map((d) => layout.shape[d]!);
  const strides = dims.map((d) => layout.strides[d]!);
  if (shape.length === 0) return new Int32Array([0]);
  return elementOffsets({ shape, strides, offset: 0 }) ?? Int32Array.from({ length: numel(shape) }, (_, i) => i);
}

/** Reads a layout's elements into a new contiguous array of the same kind (a copy). */
export function gatherContiguous<T extends ArrayLike<number> & { slice(a?: number, b?: number): T }>(
  data: T,
  layout: Layout,
  make: (n: number) => T & { [i: number]: number },
): T {
  const n = numel(layout.shape);
  const offs = elementOffsets(layout);
  if (!offs) return data.slice(layout.offset, layout.offset + n);
  const out = make(n);
  for (let i = 0; i < n; i++) out[i] = data[offs[i]!]!;
  return out;
}
