// Indexing ops: index-select (embedding lookup), gather, concatenation, and the adjoint of narrow.
import { contiguousLayout, type Layout } from '../../backend/backend.js';
import { ShapeError, TesseraError } from '../../errors.js';
import { isFloat, promoteTypes } from '../dtype.js';
import { normAxis, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';

function checkIndex(index: Tensor, op: string): void {
  if (index.dtype !== 'int32' && index.dtype !== 'int64') throw new TesseraError(`${op}: index must be int32 or int64, got ${index.dtype}`);
}

/** A zero tensor of `shape` with g written at [start, start + g.shape[axis]) of axis (narrow's backward). */
export function padNarrow(g: Tensor, shape: readonly number[], axis: number, start: number): Tensor {
  const backend = g.backend;
  const out = backend.zeros(g.dtype, shape.reduce((p, d) => p * d, 1));
  const full = contiguousLayout(shape);
  const dst: Layout = { shape: g.shape, strides: full.strides, offset: start * full.strides[axis]! };
  backend.copyInto(out, dst, g.storage, g.layout);
  return Tensor.record(Tensor.fromStorage(out, shape, backend), 'padNarrow', [g], (gg) => [gg.narrow(axis, start, g.dim(axis))]);
}

/** torch.index_select: out has x's shape with axis replaced by index's length. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  checkIndex(index, 'indexSelect');
  x.sameDevice(index, 'indexSelect');
  const a = normAxis(axis, x.ndim, 'indexSelect');
  const idx = index.ndim === 1 ? index : index.reshape([-1]);
  const storage = x.backend.indexSelect(x.storage, x.layout, a, idx.storage, idx.layout);
  const shape = x.shape;
  shape[a] = idx.size;
  const out = Tensor.fromStorage(storage, shape, x.backend);
  const inShape = x.shape;
  return Tensor.record(out, 'indexSelect', [x], (g) => {
    const G = g.contiguous();
    const gs = g.backend.indexAdd(inShape, a, idx.storage, idx.layout, G.storage, G.layout);
    return [Tensor.fromStorage(gs, inShape, g.backend)];
  });
}

/** Embedding lookup: rows of weight (V, C) for ids of any shape -> (...ids.shape, C). */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  return indexSelect(weight, 0, ids.reshape([-1])).reshape([...ids.shape, weight.dim(1)]);
}

/** torch.gather along axis; index has the output's shape. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  checkIndex(index, 'gather');
  x.sameDevice(index, 'gather');
  const a = normAxis(axis, x.ndim, 'gather');
  if (index.ndim !== x.ndim) throw new ShapeError(`gather: index of shape ${shapeStr(index.shape)} must have as many dims as input ${shapeStr(x.shape)}`);
  index.shape.forEach((d, i) => {
    if (i !== a && d > x.layout.shape[i]!) throw new ShapeError(`gather: index of shape ${shapeStr(index.shape)} is larger than input ${shapeStr(x.shape)} at dim ${i}`);
  });
  const storage = x.backend.gather(x.storage, x.layout, a, index.storage, index.layout);
  const out = Tensor.fromStorage(storage, index.shape, x.backend);
  const inShape = x.shape;
  return Tensor.record(out, 'gather', [x], (g) => {
    const G = g.contiguous();
    return [Tensor.fromStorage(g.backend.scatterAdd(inShape, a, index.storage, index.layout, G.storage, G.layout), inShape, g.backend)];
  });
}

/** Concatenates along axis; all other dims must agree. */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('cat: needs at least one tensor');
  const first = tensors[0]!;
  const a = normAxis(axis, first.ndim, 'cat');
  let dtype = first.dtype;
  for (const t of tensors) {
    first.sameDevice(t, 'cat');
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.layout.shape[i])) {
      throw new ShapeError(`cat: shapes ${tensors.map((x) => shapeStr(x.shape)).join(', ')} differ outside axis ${axis}`);
    }
    dtype = promoteTypes(dtype, t.dtype);
  }
  const shape = first.shape;
  shape[a] = tensors.reduce((s, t) => s + t.layout.shape[a]!, 0);
  const backend = first.backend;
  const out = backend.zeros(dtype, shape.reduce((p, d) => p * d, 1));
  const full = contiguousLayout(shape);
  let start = 0;
  const starts: number[] = [];
  for (const t of tensors) {
    const src = t.dtype === dtype ? t : t.detach().to(dtype);
    starts.push(start);
    backend.copyInto(out, { shape: t.shape, strides: full.strides, offset: start * full.strides[a]! }, src.storage, src.layout);
    start += t.layout.shape[a]!;
  }
  const result = Tensor.fromStorage(out, shape, backend);
  if (!isFloat(dtype)) return result;
  return Tensor.record(result, 'cat', tensors, (g) => tensors.map((t, i) => (t.requiresGrad ? g.narrow(a, starts[i]!, t.layout.shape[a]!) : null)));
}

/** Stacks equally shaped tensors along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('stack: needs at least one tensor');
  const a = normAxis(axis, tensors[0]!.ndim + 1, 'stack');
  for (const t of tensors) {
    if (t.shape.join() !== tensors[0]!.shape.join()) throw new ShapeError(`stack: shapes ${tensors.map((x) => shapeStr(x.shape)).join(', ')} differ`);
  }
  return cat(tensors.map((t) => t.unsqueeze(a)), a);
}
