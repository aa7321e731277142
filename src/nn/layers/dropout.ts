// Dropout: inverted dropout while training, identity in eval mode.
import { TesseraError } from '../../errors.js';
import { dropout } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new TesseraError(`Dropout: probability ${p} is outside [0, 1]`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}
