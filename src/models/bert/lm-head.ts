// BERT's masked-LM head (BertLMPredictionHead): transform (dense, activation, LayerNorm), then a decoder whose
// weight is the word-embedding matrix (tied) plus a per-token bias. Reference: modeling_bert.py.
import { activation } from '../../nn/layers/feed-forward.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import { zeros } from '../../tensor/creation.js';
import { linear } from '../../tensor/ops/linalg.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { BertConfig } from './config.js';

/** dense -> activation(hidden_act) -> LayerNorm. */
export class BertPredictionHeadTransform extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;

  constructor(readonly config: BertConfig, device?: string) {
    super();
    this.dense = this.addModule('dense', new Linear(config.hidden_size, config.hidden_size, { device }));
    this.layerNorm = this.addModule('LayerNorm', new LayerNorm(config.hidden_size, { eps: config.layer_norm_eps, device }));
  }

  forward(x: Tensor): Tensor {
    return this.layerNorm.forward(activation(this.config.hidden_act, this.dense.forward(x)));
  }
}

/** The output projection (V, C) + bias (V), holding shared tensors: `decoder.weight` / `decoder.bias` in checkpoints. */
export class TiedDecoder extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(weight: Tensor, bias: Tensor) {
    super();
    this.weight = this.addParameter('weight', weight);
    this.bias = this.addParameter('bias', bias);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export class BertLMPredictionHead extends Module {
  readonly transform: BertPredictionHeadTransform;
  readonly decoder: TiedDecoder;
  readonly bias: Tensor;

  /** `wordEmbeddings` (V, C) is shared as the decoder weight when config.tie_word_embeddings (the default). */
  constructor(config: BertConfig, wordEmbeddings: Tensor, device?: string) {
    super();
    this.transform = this.addModule('transform', new BertPredictionHeadTransform(config, device));
    this.bias = this.addParameter('bias', zeros([config.vocab_size], { device }));
    const weight = config.tie_word_embeddings ? wordEmbeddings : zeros([config.vocab_size, config.hidden_size], { device });
    // HF: self.decoder.bias = self.bias — one tensor under both names
    this.decoder = this.addModule('decoder', new TiedDecoder(weight, this.bias));
  }

  /** (B, T, C) -> (B, T, V) */
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.transform.forward(x));
  }
}
