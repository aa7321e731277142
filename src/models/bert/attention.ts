// BERT's self-attention block: BertSelfAttention (query/key/value, softmax(QK^T/sqrt(D) + mask) V) and
// BertSelfOutput (dense, dropout, residual, LayerNorm — post-LN). Reference: modeling_bert.py, eager attention.
import { Dropout } from '../../nn/layers/dropout.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { fusedLinear } from '../../nn/layers/fused-projection.js';
import { Linear } from '../../nn/layers/linear.js';
import { mergeHeads, splitHeads } from '../../nn/layers/multi-head-attention.js';
import { Module } from '../../nn/module.js';
import { scaledDotProductAttention } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { BertConfig } from './config.js';

export class BertSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly numHeads: number;
  readonly headDim: number;

  constructor(readonly config: BertConfig, device?: string) {
    super();
    const C = config.hidden_size;
    this.numHeads = config.num_attention_heads;
    this.headDim = C / this.numHeads;
    this.query = this.addModule('query', new Linear(C, C, { device }));
    this.key = this.addModule('key', new Linear(C, C, { device }));
    this.value = this.addModule('value', new Linear(C, C, { device }));
  }

  /**
   * x (B, T, C), additive mask broadcastable to (B, H, T, T) or null -> context (B, T, C) and, when asked, the
   * attention probabilities (B, H, T, T).
   */
  forward(x: Tensor, mask: Tensor | null, needProbs: boolean): { context: Tensor; probs?: Tensor } {
    const H = this.numHeads;
    const [q, k, v] = fusedLinear([this.query, this.key, this.value], x).map((t) => splitHeads(t, H)) as [Tensor, Tensor, Tensor]; // (B, H, T, D)
    const p = this.training ? this.config.attention_probs_dropout_prob : 0;
    const r = scaledDotProductAttention(q, k, v, { mask, scale: this.headDim ** -0.5, dropoutP: p, returnProbs: needProbs });
    return { context: mergeHeads(r.out), probs: r.probs }; // (B, T, C)
  }
}

/** dense -> dropout -> LayerNorm(h + residual). */
export class BertSelfOutput extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(config: BertConfig, device?: string) {
    super();
    const C = config.hidden_size;
    this.dense = this.addModule('dense', new Linear(C, C, { device }));
    this.layerNorm = this.addModule('LayerNorm', new LayerNorm(C, { eps: config.layer_norm_eps, device }));
    this.dropout = this.addModule('dropout', new Dropout(config.hidden_dropout_prob));
  }

  forward(h: Tensor, residual: Tensor): Tensor {
    return this.layerNorm.forward(this.dropout.forward(this.dense.forward(h)), residual);
  }
}

/** BertAttention: `self` then `output` (the checkpoint's attention.self.* and attention.output.*). */
export class BertAttention extends Module {
  readonly self: BertSelfAttention;
  readonly output: BertSelfOutput;

  constructor(config: BertConfig, device?: string) {
    super();
    this.self = this.addModule('self', new BertSelfAttention(config, device));
    this.output = this.addModule('output', new BertSelfOutput(config, device));
  }

  forward(x: Tensor, mask: Tensor | null, needProbs: boolean): { output: Tensor; probs?: Tensor } {
    const r = this.self.forward(x, mask, needProbs);
    return { output: this.output.forward(r.context, x), probs: r.probs };
  }
}
