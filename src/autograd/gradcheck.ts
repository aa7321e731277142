// Finite-difference gradient checking: compares autograd's gradient of a scalar function with central
// differences, entry by entry, in float32 (so tolerances are those of float32 arithmetic).
import { noGrad } from './engine.js';
import { tensor, type Tensor } from '../tensor/tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Check at most this many entries of each input (spread evenly), to keep big inputs cheap. */
  maxEntries?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  /** Description of the first mismatch. */
  message?: string;
}

/**
 * Checks d f(inputs) / d inputs. `f` must return a scalar tensor; `inputs` are float32 leaves (they are
 * given requiresGrad here). Each checked entry must satisfy |analytic - numeric| <= atol + rtol * |numeric|.
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-2, atol = opts.atol ?? 2e-3, rtol = opts.rtol ?? 2e-2, maxEntries = opts.maxEntries ?? 64;
  const leaves = inputs.map((x) => tensor(x.toArray() as Float32Array, { shape: x.shape, device: x.device }).requiresGrad_(true));
  const out = f(...leaves);
  out.backward();
  let maxAbsError = 0;
  for (let k = 0; k < leaves.length; k++) {
    const x = leaves[k]!;
    const analytic = x.grad ? (x.grad.toArray() as Float32Array) : new Float32Array(x.size);
    const base = x.toArray() as Float32Array;
    const step = Math.max(1, Math.floor(base.length / maxEntries));
    for (let i = 0; i < base.length; i += step) {
      const probe = (delta: number) => {
        const v = Float64Array.from(base);
        v[i] = v[i]! + delta;
        const xs = leaves.map((l, j) => (j === k ? tensor(Float32Array.from(v), { shape: l.shape, device: l.device }) : l.detach()));
        return noGrad(() => f(...xs).item());
      };
      const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
      const err = Math.abs(analytic[i]! - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      if (err > atol + rtol * Math.abs(numeric)) {
        return { ok: false, maxAbsError, message: `input ${k} entry ${i}: autograd ${analytic[i]} vs finite difference ${numeric}` };
      }
    }
  }
  return { ok: true, maxAbsError };
}
