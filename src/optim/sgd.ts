// SGD with momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD.
import { noGrad } from '../autograd/engine.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params: Tensor[] | Partial<ParamGroup>[], opts: SGDOptions) {
    super(params, { lr: opts.lr, weightDecay: opts.weightDecay ?? 0 });
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
  }

  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const g of this.groups) {
        for (const p of g.params) {
          if (!p.grad) continue;
          let d = p.grad;
          if (g.weightDecay) d = d.add(p.mul(g.weightDecay));
          if (this.momentum) {
            const st = this.state.get(p);
            const buf = st ? st.momentum_buffer!.mul(this.momentum).add(d.mul(1 - this.dampening)) : d.contiguous();
            this.state.set(p, { momentum_buffer: keep(buf.detach()) });
            d = this.nesterov ? d.add(buf.mul(this.momentum)) : buf;
          }
          p.assign_(p.sub(d.mul(g.lr)));
        }
      }
    });
  }
}
