// LayerNorm over the last dims, weight 1 and bias 0 at init (torch.nn.LayerNorm).
import { ones, zeros } from '../../tensor/creation.js';
import { addLayerNorm, layerNorm } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
  device?: string;
}

export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = this.addParameter('weight', affine ? ones(this.normalizedShape, { device: opts.device }) : null);
    this.bias = this.addParameter('bias', affine && opts.bias !== false ? zeros(this.normalizedShape, { device: opts.device }) : null);
  }

  /** LayerNorm(x), or LayerNorm(x + residual) when a residual is given (one pass in inference). */
  forward(x: Tensor, residual?: Tensor): Tensor {
    if (residual) return addLayerNorm(x, residual, this.normalizedShape, this.weight, this.bias, this.eps);
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
