// Adam and AdamW (decoupled weight decay, Loshchilov & Hutter) as torch.optim; AdamW uses the backend's
// fused step when it has one.
import { noGrad } from '../autograd/engine.js';
import { keep } from '../tensor/scope.js';
import { zerosLike } from '../tensor/creation.js';
import { fusedOpsEnabled } from '../tensor/ops/fused.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(params: Tensor[] | Partial<ParamGroup>[], opts: AdamOptions = {}, private readonly decoupled = false) {
    super(params, { lr: opts.lr ?? 1e-3, weightDecay: opts.weightDecay ?? (decoupled ? 1e-2 : 0) });
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
  }

  step(): void {
    this.stepCount++;
    const t = this.stepCount;
    noGrad(() => {
      for (const g of this.groups) {
        for (const p of g.params) {
          if (!p.grad) continue;
          let st = this.state.get(p);
          if (!st) {
            st = { exp_avg: keep(zerosLike(p, { dtype: 'float32' })), exp_avg_sq: keep(zerosLike(p, { dtype: 'float32' })) };
            this.state.set(p, st);
          }
          const m = st.exp_avg!, v = st.exp_avg_sq!;
          const grad = p.grad.to('float32');
          const be = p.backend;
          if (be.adamw && fusedOpsEnabled() && p.dtype === 'float32') {
            // Adam's coupled L2 decay is AdamW's step on grad + wd * p with no decoupled decay
            const coupled = !this.decoupled && g.weightDecay !== 0;
            const P = p.contiguous(), G = (coupled ? grad.add(P.mul(g.weightDecay)) : grad).contiguous();
            if (P !== p) p.assign_(P);
            const weightDecay = this.decoupled ? g.weightDecay : 0;
            be.adamw(p.storage, G.storage, m.storage, v.storage, { lr: g.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay, step: t });
            p.version++; // written in place
            continue;
          }
          let d = grad;
          let base = p.to('float32');
          if (this.decoupled) base = base.mul(1 - g.lr * g.weightDecay);
          else if (g.weightDecay) d = d.add(base.mul(g.weightDecay));
          m.assign_(m.mul(this.beta1).add(d.mul(1 - this.beta1)));
          v.assign_(v.mul(this.beta2).add(d.square().mul(1 - this.beta2)));
          const bc1 = 1 - this.beta1 ** t, bc2 = 1 - this.beta2 ** t;
          const denom = v.sqrt().div(Math.sqrt(bc2)).add(this.eps);
          p.assign_(base.sub(m.div(denom).mul(g.lr / bc1)));
        }
      }
    });
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01, as torch.optim.AdamW). */
export class AdamW extends Adam {
  constructor(params: Tensor[] | Partial<ParamGroup>[], opts: AdamOptions = {}) {
    super(params, opts, true);
  }
}
