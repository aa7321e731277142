// BertPooler: tanh(dense(h[:, 0])) — the [CLS] vector that the NSP and sequence-classification heads read.
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { BertConfig } from './config.js';

export class BertPooler extends Module {
  readonly dense: Linear;

  constructor(config: BertConfig, device?: string) {
    super();
    this.dense = this.addModule('dense', new Linear(config.hidden_size, config.hidden_size, { device }));
  }

  /** (B, T, C) -> (B, C). */
  forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}
