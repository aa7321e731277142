// GPT-2's position-wise MLP (modeling_gpt2.py GPT2MLP): c_fc to n_inner, the configured activation
// (gelu_new = GELU's tanh approximation), c_proj back to n_embd, residual dropout.
import { dropout } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { activation } from '../../nn/layers/feed-forward.js';
import { innerDim, type GPT2Config } from './config.js';
import { Conv1D } from './conv1d.js';

export class GPT2MLP extends Module {
  readonly c_fc: Conv1D;
  readonly c_proj: Conv1D;
  readonly act: string;
  readonly residPdrop: number;

  constructor(config: GPT2Config, device?: string) {
    super();
    const C = config.n_embd, inner = innerDim(config);
    const std = config.initializer_range;
    this.c_fc = this.addModule('c_fc', new Conv1D(C, inner, { std, device }));
    this.c_proj = this.addModule('c_proj', new Conv1D(inner, C, { std: std / Math.sqrt(2 * config.n_layer), device }));
    this.act = config.activation_function;
    activation(this.act, this.c_fc.bias.narrow(0, 0, 0)); // an unknown name fails here, naming it
    this.residPdrop = config.resid_pdrop;
  }

  /** (B, T, C) -> (B, T, C) */
  forward(x: Tensor): Tensor {
    return dropout(this.c_proj.forward(activation(this.act, this.c_fc.forward(x))), this.residPdrop, this.training);
  }
}
