// The Transformer encoder (3.1; transformers' modeling_marian.py MarianEncoder / MarianEncoderLayer): token
// embeddings x sqrt(d_model) + sinusoidal positions, dropout, then N post-LN layers:
// x = LN(x + Dropout(SelfAttn(x))), x = LN(x + Dropout(FFN(x))). Padded source positions get no attention.
import { dropout } from '../../tensor/ops/fused.js';
import { inferenceScope, releaseOwned } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, ModuleList } from '../../nn/module.js';
import type { Embedding } from '../../nn/layers/embedding.js';
import { activation, linearActivation } from '../../nn/layers/feed-forward.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { TransformerAttention } from './attention.js';
import { positionLayout, type TransformerConfig } from './config.js';
import { SinusoidalPositions, embedTokens } from './embeddings.js';
import { additivePaddingMask, checkLength, checkTokenIds } from './inputs.js';
import { skipLayer } from './layerdrop.js';

export class EncoderLayer extends Module {
  readonly self_attn: TransformerAttention;
  readonly self_attn_layer_norm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly final_layer_norm: LayerNorm;

  constructor(readonly config: TransformerConfig, device?: string) {
    super();
    const C = config.d_model;
    this.self_attn = this.addModule('self_attn', new TransformerAttention(C, config.encoder_attention_heads, { dropout: config.attention_dropout, device }));
    this.self_attn_layer_norm = this.addModule('self_attn_layer_norm', new LayerNorm(C, { device }));
    this.fc1 = this.addModule('fc1', new Linear(C, config.encoder_ffn_dim, { device }));
    this.fc2 = this.addModule('fc2', new Linear(config.encoder_ffn_dim, C, { device }));
    this.final_layer_norm = this.addModule('final_layer_norm', new LayerNorm(C, { device }));
    activation(config.activation_function, this.fc1.bias!.narrow(0, 0, 0)); // an unknown name fails here
  }

  /** x (B, S, C), mask (B, 1, 1, S) additive -> (B, S, C) and the attention weights when asked. */
  forward(x: Tensor, mask: Tensor | null, needWeights = false): { hidden: Tensor; weights?: Tensor } {
    const c = this.config, train = this.training;
    const p = this.self_attn.projectSelf(x);
    const a = this.self_attn.attendHeads(p.query, p.kv, { mask, needWeights });
    let h = this.self_attn_layer_norm.forward(dropout(a.output, c.dropout, train), x);
    const f = dropout(linearActivation(this.fc1, c.activation_function, h), c.activation_dropout, train);
    h = this.final_layer_norm.forward(dropout(this.fc2.forward(f), c.dropout, train), h);
    return { hidden: h, weights: a.weights };
  }
}

export interface EncoderOptions {
  /** (B, S): 1 for real tokens, 0 for padding. */
  attentionMask?: Tensor | null;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export interface EncoderOutput {
  /** (B, S, C) */
  lastHiddenState: Tensor;
  /** The embedding output and every layer's output: layers + 1 tensors (B, S, C). */
  hiddenStates?: Tensor[];
  /** Every layer's attention probabilities (B, H, S, S). */
  attentions?: Tensor[];
}

export class TransformerEncoder extends Module {
  readonly embed_tokens: Embedding;
  readonly embed_positions: SinusoidalPositions;
  readonly layers: ModuleList<EncoderLayer>;
  readonly embedScale: number;

  constructor(readonly config: TransformerConfig, embedTokensModule: Embedding, device?: string) {
    super();
    this.embed_tokens = this.addModule('embed_tokens', embedTokensModule);
    this.embed_positions = this.addModule('embed_positions', new SinusoidalPositions(config.max_position_embeddings, config.d_model, positionLayout(config), device));
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: config.encoder_layers }, () => new EncoderLayer(config, device))));
    this.embedScale = config.scale_embedding ? Math.sqrt(config.d_model) : 1;
  }

  /** input_ids (B, S) -> encoder states (B, S, C). */
  forward(inputIds: Tensor, opts: EncoderOptions = {}): EncoderOutput {
    return inferenceScope(() => this.run(inputIds, opts));
  }

  private run(inputIds: Tensor, opts: EncoderOptions): EncoderOutput {
    const c = this.config;
    checkTokenIds(inputIds, c.vocab_size, 'input_ids', 'this Transformer');
    const [B, S] = inputIds.shape as [number, number];
    checkLength(S, c.max_position_embeddings, 'input_ids', 'max_position_embeddings', 'this Transformer');
    const mask = additivePaddingMask(opts.attentionMask, B, S, 'attention_mask'); // (B, 1, 1, S)
    let h = dropout(embedTokens(this.embed_tokens, this.embed_positions, inputIds, this.embedScale), c.dropout, this.training);
    const hiddenStates: Tensor[] = [];
    const attentions: Tensor[] = [];
    for (const layer of this.layers) {
      if (opts.outputHiddenStates) hiddenStates.push(h);
      if (skipLayer(c.encoder_layerdrop, this.training, h.device)) continue;
      const prev = h;
      const r = inferenceScope(() => layer.forward(prev, mask, opts.outputAttentions));
      h = r.hidden;
      if (!opts.outputHiddenStates) releaseOwned(prev, h);
      if (r.weights) attentions.push(r.weights);
    }
    if (opts.outputHiddenStates) hiddenStates.push(h);
    return {
      lastHiddenState: h,
      hiddenStates: opts.outputHiddenStates ? hiddenStates : undefined,
      attentions: opts.outputAttentions ? attentions : undefined,
    };
  }
}
