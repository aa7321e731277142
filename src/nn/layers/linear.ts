// Linear: y = x W^T + b, weight (out, in) as torch.nn.Linear, initialised as torch does.
import { zeros } from '../../tensor/creation.js';
import { linear } from '../../tensor/ops/linalg.js';
import type { Tensor } from '../../tensor/tensor.js';
import { kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';

export interface LinearOptions {
  bias?: boolean;
  device?: string;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.weight = this.addParameter('weight', zeros([outFeatures, inFeatures], { device: opts.device }));
    this.bias = this.addParameter('bias', opts.bias === false ? null : zeros([outFeatures], { device: opts.device }));
    this.resetParameters();
  }

  /** torch's init: kaiming_uniform(a=sqrt(5)) for the weight, U(-1/sqrt(in), 1/sqrt(in)) for the bias. */
  resetParameters(): void {
    kaimingUniform_(this.weight, Math.sqrt(5));
    if (this.bias) {
      const b = 1 / Math.sqrt(this.inFeatures);
      uniform_(this.bias, -b, b);
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
