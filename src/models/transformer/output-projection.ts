// The output projection of a language-model head: logits = x W^T with W (V, C), bias-free, whose weight is
// usually the input embedding matrix itself (tied, "Attention Is All You Need" 3.4; GPT-2's lm_head).
import { linear } from '../../tensor/ops/linalg.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';

export class OutputProjection extends Module {
  readonly weight: Tensor;

  /** `weight` (V, C) is used as given: pass an embedding's weight to tie the two. */
  constructor(weight: Tensor) {
    super();
    this.weight = this.addParameter('weight', weight);
  }

  /** (..., C) -> (..., V); an optional (V) bias (Marian's final_logits_bias) runs in the matmul's epilogue. */
  forward(x: Tensor, bias?: Tensor | null): Tensor {
    return linear(x, this.weight, bias ?? null);
  }
}
