// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_): computed on the device, no host sync
// unless the caller reads the returned norm.
import { noGrad } from '../autograd/engine.js';
import { keep, tidy } from '../tensor/scope.js';
import { stack } from '../tensor/ops/indexing.js';
import { where } from '../tensor/ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';

/** Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping (a 0-d tensor). */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, eps = 1e-6): Tensor | null {
  return noGrad(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    if (grads.length === 0) return null;
    // the squares are as large as the parameters: a scope frees them as soon as the norm exists
    const norm = tidy(() => stack(grads.map((g) => g.to('float32').square().sum())).sum().sqrt());
    // coef = min(1, maxNorm / (norm + eps)), kept on the device
    const coef = norm.add(eps).reciprocal().mul(maxNorm);
    const clipped = where(coef.lt(1), coef, 1);
    for (const p of params) if (p.grad) p.grad = keep(p.grad.mul(clipped.to(p.grad.dtype)));
    return norm;
  });
}
