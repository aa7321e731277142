// The language-model softmax shared by both directions (AllenNLP's SoftmaxLoss): logits = h W + b over the whole
// vocabulary, with W stored (projection_dim, vocab_size) as AllenNLP stores softmax_w.
import { ShapeError } from '../../errors.js';
import { normal_ } from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { zeros } from '../../tensor/creation.js';
import { crossEntropy } from '../../tensor/ops/fused.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';

export class SoftmaxLoss extends Module {
  /** `softmax_w` (embeddingDim, numWords), drawn from N(0, 1/embeddingDim). */
  readonly softmaxW: Tensor;
  /** `softmax_b` (numWords), zeros. */
  readonly softmaxB: Tensor;

  constructor(readonly numWords: number, readonly embeddingDim: number, opts: { device?: string } = {}) {
    super();
    this.softmaxW = this.addParameter('softmax_w', zeros([embeddingDim, numWords], { device: opts.device }));
    this.softmaxB = this.addParameter('softmax_b', zeros([numWords], { device: opts.device }));
    normal_(this.softmaxW, 0, 1 / Math.sqrt(embeddingDim));
  }

  /** Logits (N, numWords) of states (N, embeddingDim). */
  logits(states: Tensor): Tensor {
    if (states.ndim !== 2 || states.dim(1) !== this.embeddingDim) {
      throw new ShapeError(`SoftmaxLoss: states of shape ${shapeStr(states.shape)} are not (N, ${this.embeddingDim})`);
    }
    return states.matmul(this.softmaxW).add(this.softmaxB);
  }

  /** Summed negative log-likelihood of targets (N) given states (N, embeddingDim) (a 0-d tensor). */
  forward(states: Tensor, targets: Tensor): Tensor {
    return crossEntropy(this.logits(states), targets, { reduction: 'sum' });
  }
}
