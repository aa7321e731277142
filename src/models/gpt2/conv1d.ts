// GPT-2's "Conv1D": a linear layer whose weight is stored (in, out), y = x @ W + b, as OpenAI's checkpoints
// and transformers' pytorch_utils.Conv1D keep it. Keeping that layout in the module (instead of transposing
// at load and save) makes parameter names, shapes and gradients the checkpoint's own.
import { zeros } from '../../tensor/creation.js';
import { linear } from '../../tensor/ops/linalg.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { normal_ } from '../../nn/init.js';

export class Conv1D extends Module {
  /** (in, out) */
  readonly weight: Tensor;
  /** (out) */
  readonly bias: Tensor;

  /** Weights N(0, std), bias 0 (GPT2PreTrainedModel._init_weights). */
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { std?: number; device?: string } = {}) {
    super();
    this.weight = this.addParameter('weight', zeros([inFeatures, outFeatures], { device: opts.device }));
    this.bias = this.addParameter('bias', zeros([outFeatures], { device: opts.device }));
    normal_(this.weight, 0, opts.std ?? 0.02);
  }

  /** x (..., in) -> (..., out) */
  forward(x: Tensor): Tensor {
    // linear() takes an (out, in) weight; the transposed view costs no copy
    return linear(x, this.weight.transpose(0, 1), this.bias);
  }
}
