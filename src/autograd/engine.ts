// Reverse-mode autograd: each op records a GradNode (its inputs and a backward rule); backward() sorts the
// graph topologically and runs the rules in reverse, *adding* into each input's gradient (micrograd style).
import { contiguousLayout, numel, type Layout } from '../backend/backend.js';
import { TesseraError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * The gradient of a narrow view: `grad` belongs at [start, start + grad.shape[axis]) of `axis` in a zero
 * tensor of `shape`. The engine collects these and writes them into one buffer when the input's gradient
 * is needed, instead of materialising a full-size zero tensor per slice (which made step-by-step
 * recurrences quadratic in their length).
 */
export class SliceGrad {
  constructor(
    readonly shape: readonly number[],
    readonly axis: number,
    readonly start: number,
    readonly grad: Tensor,
  ) {}
}

/** What a backward rule returns for one input. */
export type InputGrad = Tensor | SliceGrad | null;

/** One recorded op: its differentiable inputs and the rule giving their gradients from the output's. */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** Gradients for each input (null where an input needs none), given the gradient of the output. */
  backward(grad: Tensor): InputGrad[];
  /** Set once backward ran without retainGraph: the saved tensors may be gone. */
  freed?: boolean;
}

let gradEnabled = true;

/** True unless inside noGrad. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (like torch.no_grad), restoring the previous mode after. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with gradient recording on (inside noGrad, for example). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward ops themselves, for higher-order gradients. */
  createGraph?: boolean;
}

/** Accumulates d(root)/d(leaf) into every leaf's `.grad` (and into non-leaves that asked with retainGrad). */
export function runBackward(root: Tensor, grad: Tensor, opts: BackwardOptions = {}): void {
  // topological order by iterative DFS (deep graphs, e.g. long LSTMs, would overflow a recursive one)
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const inp = inputs[i];
      if (inp && inp.requiresGrad && !seen.has(inp)) {
        seen.add(inp);
        stack.push([inp, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  const grads = new Map<Tensor, Tensor>();
  const slices = new Map<Tensor, SliceGrad[]>();
  grads.set(root, grad);
  const run = () => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const pending = slices.get(t);
      let g = grads.get(t);
      if (pending) {
        g = writeSlices(g, pending);
        slices.delete(t);
      }
      if (!g) continue;
      const node = t.gradFn;
      if (!node) {
        t.accumulateGrad(g, opts.createGraph);
        continue;
      }
      if (t.retainsGrad) t.accumulateGrad(g, opts.createGraph);
      if (node.freed) {
        throw new TesseraError(`backward through '${node.name}' a second time: its saved values were freed; pass { retainGraph: true } to the first backward`);
      }
      const inGrads = node.backward(g);
      if (!opts.retainGraph) node.freed = true;
      grads.delete(t);
      node.inputs.forEach((inp, j) => {
        const gi = inGrads[j];
        if (!inp || !inp.requiresGrad || !gi) return;
        if (gi instanceof SliceGrad) {
          if (!opts.createGraph) {
            const list = slices.get(inp);
            if (list) list.push(gi);
            else slices.set(inp, [gi]);
            return;
          }
          // with createGraph the backward must itself be differentiable: materialise through padNarrow
          const dense = gi.grad.padTo(gi.shape, gi.axis, gi.start);
          const prev = grads.get(inp);
          grads.set(inp, prev ? prev.add(dense) : dense);
          return;
        }
        const prev = grads.get(inp);
        grads.set(inp, prev ? prev.add(gi) : gi);
      });
    }
  };
  if (opts.createGraph) run();
  else noGrad(run);
}

/**
 * Writes slice gradients (adding where they overlap, or onto `dense`) into one new contiguous tensor. When
 * the slices already sit in place in one storage that holds exactly the whole gradient (a fused q/k/v
 * projection whose attention backward wrote all three parts into one buffer), that storage is the result.
 */
function writeSlices(dense: Tensor | undefined, pending: readonly SliceGrad[]): Tensor {
  const first = pending[0]!;
  const backend = first.grad.backend;
  const dtype = dense?.dtype ?? first.grad.dtype;
  const shape = first.shape;
  const full = contiguousLayout(shape);
  const region = (p: SliceGrad): Layout => ({ shape: p.grad.shape, strides: full.strides, offset: p.start * full.strides[p.axis]! });
  // plain writes are enough when nothing was there and the slices are disjoint ranges of one axis
  const sorted = [...pending].sort((a, b) => a.start - b.start);
  let disjoint = !dense && pending.every((p) => p.axis === first.axis);
  for (let i = 1; disjoint && i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.start + prev.grad.layout.shape[prev.axis]! > sorted[i]!.start) disjoint = false;
  }
  if (disjoint && coversInPlace(sorted, shape, region)) return new Tensor(first.grad.storage, full, backend);
  const storage = dense ? backend.copy(dense.storage, dense.layout, dtype) : backend.zeros(dtype, numel(shape));
  for (const p of pending) {
    const r = region(p);
    let src = p.grad.dtype === dtype ? p.grad : p.grad.to(dtype);
    if (!disjoint) src = new Tensor(storage, r, backend).add(src);
    backend.copyInto(storage, r, src.storage, src.layout);
  }
  return Tensor.fromStorage(storage, shape, backend);
}

/**
 * Whether disjoint slices (sorted by start) tile their axis and each gradient is already the view of its
 * region in one shared storage of exactly numel(shape) elements (strides of size-1 dims do not matter).
 */
function coversInPlace(sorted: readonly SliceGrad[], shape: readonly number[], region: (p: SliceGrad) => Layout): boolean {
  const storage = sorted[0]!.grad.storage;
  if (storage.length !== numel(shape)) return false;
  let next = 0;
  for (const p of sorted) {
    const g = p.grad, want = region(p);
    if (g.storage !== storage || p.start !== next || g.layout.offset !== want.offset) return false;
    if (!g.layout.strides.every((s, i) => s === want.strides[i] || want.shape[i] === 1)) return false;
    next += g.shape[p.axis]!;
  }
  return next === shape[sorted[0]!.axis];
}
