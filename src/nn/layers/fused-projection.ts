// Several Linear layers over the same input as one matmul (attention's query/key/value projections): their
// weights are concatenated along the output features and the outputs are column views of one result. One
// wide GEMM runs closer to the machine's peak than three narrow ones, and the views feed attention's
// strided inputs without copies. The parameters stay separate (checkpoint names, optimizers); with
// autograd the concatenation is part of the graph, without it the concatenated copy is cached until a
// parameter changes.
import { isGradEnabled } from '../../autograd/engine.js';
import type { Storage } from '../../backend/backend.js';
import { autocastTarget } from '../../tensor/autocast.js';
import { cat } from '../../tensor/ops/indexing.js';
import { linear } from '../../tensor/ops/linalg.js';
import { keep } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Linear } from './linear.js';

interface Fused {
  /** Each weight's and bias's storage and in-place version when the copy was made. */
  parts: { storage: Storage; version: number }[];
  /** The concatenated weights in the dtype they were cast to (the parameters' own, or autocast's). */
  weight: Tensor;
  bias: Tensor | null;
}

const cached = new WeakMap<Linear, Fused>();

function partsOf(layers: readonly Linear[]): Tensor[] {
  return layers.flatMap((l) => (l.bias ? [l.weight, l.bias] : [l.weight]));
}

function concatenated(layers: readonly Linear[]): { weight: Tensor; bias: Tensor | null } {
  const withBias = layers[0]!.bias !== null;
  const make = () => ({
    weight: cat(layers.map((l) => l.weight), 0),
    bias: withBias ? cat(layers.map((l) => l.bias!), 0) : null,
  });
  if (isGradEnabled() && partsOf(layers).some((t) => t.requiresGrad)) return make();
  // without autograd the copy is cached, already in autocast's dtype when autocast is on (else linear
  // would cast it on every call: it is no parameter, so autocast's own cache does not know it)
  const first = layers[0]!.weight;
  const dtype = autocastTarget(first.backend, [first.dtype]) ?? first.dtype;
  const parts = partsOf(layers);
  const hit = cached.get(layers[0]!);
  if (hit && hit.weight.dtype === dtype && hit.parts.length === parts.length &&
      hit.parts.every((p, i) => p.storage === parts[i]!.storage && p.version === parts[i]!.version)) {
    return hit;
  }
  const plain = make();
  const fresh = { weight: keep(plain.weight.to(dtype)), bias: plain.bias ? keep(plain.bias.to(dtype)) : null };
  cached.set(layers[0]!, { parts: parts.map((t) => ({ storage: t.storage, version: t.version })), ...fresh });
  return fresh;
}

/**
 * [layers[0](x), layers[1](x), ...] computed as one matmul; each output is a view (unit last stride) of
 * the (..., sum of out features) result. Layers that differ in input size, bias presence, dtype or device
 * run one by one instead.
 */
export function fusedLinear(layers: readonly Linear[], x: Tensor): Tensor[] {
  const first = layers[0]!;
  const uniform = layers.every((l) => l.inFeatures === first.inFeatures && (l.bias === null) === (first.bias === null) &&
    l.weight.dtype === first.weight.dtype && l.weight.device === first.weight.device);
  if (layers.length < 2 || !uniform) return layers.map((l) => l.forward(x));
  const { weight, bias } = concatenated(layers);
  const y = linear(x, weight, bias);
  const outs: Tensor[] = [];
  let start = 0;
  for (const l of layers) {
    outs.push(y.narrow(-1, start, l.outFeatures));
    start += l.outFeatures;
  }
  return outs;
}
