// Conv2d: weight (out, in, kh, kw) and bias, stride and zero padding; initialised as torch.nn.Conv2d.
import { zeros } from '../../tensor/creation.js';
import { conv2d } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fans, kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  bias?: boolean;
  device?: string;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number | [number, number];
  readonly padding: number | [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], opts: Conv2dOptions = {}) {
    super();
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.weight = this.addParameter('weight', zeros([outChannels, inChannels, kh, kw], { device: opts.device }));
    this.bias = this.addParameter('bias', opts.bias === false ? null : zeros([outChannels], { device: opts.device }));
    kaimingUniform_(this.weight, Math.sqrt(5));
    if (this.bias) {
      const b = 1 / Math.sqrt(fans(this.weight).fanIn);
      uniform_(this.bias, -b, b);
    }
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.stride, this.padding);
  }
}
