// Reverse-mode autograd: each op records a GradNode (its inputs and a backward rule); backward() sorts the
// graph topologically and runs the rules in reverse, *adding* into each input's gradient (micrograd style).
import { TesseraError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** One recorded op: its differentiable inputs and the rule giving their gradients from the output's. */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** Gradients for each input (null where an input needs none), given the gradient of the output. */
  backward(grad: Tensor): (Tensor | null)[];
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
  grads.set(root, grad);
  const run = () => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
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
        const prev = grads.get(inp);
        grads.set(inp, prev ? prev.add(gi) : gi);
      });
    }
  };
  if (opts.createGraph) run();
  else noGrad(run);
}
