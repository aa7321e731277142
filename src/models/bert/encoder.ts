// BERT's post-LN encoder: BertLayer = attention, then intermediate (dense + activation) and output (dense,
// dropout, residual, LayerNorm); BertEncoder = `layer.0` ... `layer.{L-1}`. Reference: modeling_bert.py.
import { linearActivation } from '../../nn/layers/feed-forward.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module, ModuleList } from '../../nn/module.js';
import { inferenceScope, releaseOwned } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { BertAttention } from './attention.js';
import type { BertConfig } from './config.js';

export class BertIntermediate extends Module {
  readonly dense: Linear;

  constructor(readonly config: BertConfig, device?: string) {
    super();
    this.dense = this.addModule('dense', new Linear(config.hidden_size, config.intermediate_size, { device }));
  }

  forward(x: Tensor): Tensor {
    return linearActivation(this.dense, this.config.hidden_act, x);
  }
}

/** dense -> dropout -> LayerNorm(h + residual). */
export class BertOutput extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(config: BertConfig, device?: string) {
    super();
    this.dense = this.addModule('dense', new Linear(config.intermediate_size, config.hidden_size, { device }));
    this.layerNorm = this.addModule('LayerNorm', new LayerNorm(config.hidden_size, { eps: config.layer_norm_eps, device }));
    this.dropout = this.addModule('dropout', new Dropout(config.hidden_dropout_prob));
  }

  forward(h: Tensor, residual: Tensor): Tensor {
    return this.layerNorm.forward(this.dropout.forward(this.dense.forward(h)), residual);
  }
}

export class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertOutput;

  constructor(config: BertConfig, device?: string) {
    super();
    this.attention = this.addModule('attention', new BertAttention(config, device));
    this.intermediate = this.addModule('intermediate', new BertIntermediate(config, device));
    this.output = this.addModule('output', new BertOutput(config, device));
  }

  forward(x: Tensor, mask: Tensor | null, needProbs: boolean): { output: Tensor; probs?: Tensor } {
    const a = this.attention.forward(x, mask, needProbs);
    return { output: this.output.forward(this.intermediate.forward(a.output), a.output), probs: a.probs };
  }
}

/** What the encoder returns: the last layer's output and, when asked, every layer's input/output and probabilities. */
export interface EncoderResult {
  lastHiddenState: Tensor;
  /** [embeddings, layer 1, ..., layer L] (L + 1 tensors (B, T, C)). */
  hiddenStates?: Tensor[];
  /** One (B, H, T, T) per layer. */
  attentions?: Tensor[];
}

export class BertEncoder extends Module {
  readonly layer: ModuleList<BertLayer>;

  constructor(config: BertConfig, device?: string) {
    super();
    this.layer = this.addModule('layer', new ModuleList(Array.from({ length: config.num_hidden_layers }, () => new BertLayer(config, device))));
  }

  forward(x: Tensor, mask: Tensor | null, opts: { outputHiddenStates?: boolean; outputAttentions?: boolean } = {}): EncoderResult {
    const hiddenStates = opts.outputHiddenStates ? [x] : undefined;
    const attentions: Tensor[] | undefined = opts.outputAttentions ? [] : undefined;
    let h = x;
    for (const layer of this.layer) {
      const prev = h;
      const r = inferenceScope(() => layer.forward(prev, mask, !!attentions));
      h = r.output;
      // inference: the previous hidden state is dead unless it is returned (then the scope keeps it)
      if (!hiddenStates) releaseOwned(prev, h);
      hiddenStates?.push(h);
      if (attentions) attentions.push(r.probs!);
    }
    return { lastHiddenState: h, hiddenStates, attentions };
  }
}
