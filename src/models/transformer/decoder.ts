// The Transformer decoder (paper 3.1; modeling_marian.py MarianDecoder): scaled target embeddings + positions
// (offset by the cached length), then post-LN layers of causal(+padding) self-attention, cross-attention over
// the encoder states (padded source hidden) and the FFN; keys/values cached per layer for step-by-step decoding.
import { TesseraError } from '../../errors.js';
import { dropout } from '../../tensor/ops/fused.js';
import { inferenceScope, releaseOwned } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, ModuleList } from '../../nn/module.js';
import type { Embedding } from '../../nn/layers/embedding.js';
import { activation, linearActivation } from '../../nn/layers/feed-forward.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { TransformerAttention, type LayerCache } from './attention.js';
import { positionLayout, targetVocabSize, type TransformerConfig } from './config.js';
import { SinusoidalPositions, embedTokens } from './embeddings.js';
import { additivePaddingMask, causalPaddingMask, checkLength, checkTokenIds } from './inputs.js';
import { skipLayer } from './layerdrop.js';

/** One decoder layer's cache: its self-attention keys/values so far and the encoder's projected keys/values. */
export interface DecoderLayerCache {
  self: LayerCache;
  cross: LayerCache;
}

export class DecoderLayer extends Module {
  readonly self_attn: TransformerAttention;
  readonly self_attn_layer_norm: LayerNorm;
  readonly encoder_attn: TransformerAttention;
  readonly encoder_attn_layer_norm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly final_layer_norm: LayerNorm;

  constructor(readonly config: TransformerConfig, device?: string) {
    super();
    const C = config.d_model, H = config.decoder_attention_heads;
    const attn = { dropout: config.attention_dropout, device };
    this.self_attn = this.addModule('self_attn', new TransformerAttention(C, H, attn));
    this.self_attn_layer_norm = this.addModule('self_attn_layer_norm', new LayerNorm(C, { device }));
    this.encoder_attn = this.addModule('encoder_attn', new TransformerAttention(C, H, attn));
    this.encoder_attn_layer_norm = this.addModule('encoder_attn_layer_norm', new LayerNorm(C, { device }));
    this.fc1 = this.addModule('fc1', new Linear(C, config.decoder_ffn_dim, { device }));
    this.fc2 = this.addModule('fc2', new Linear(config.decoder_ffn_dim, C, { device }));
    this.final_layer_norm = this.addModule('final_layer_norm', new LayerNorm(C, { device }));
    activation(config.activation_function, this.fc1.bias!.narrow(0, 0, 0)); // an unknown name fails here
  }

  /**
   * x (B, T, C) -> (B, T, C). `selfMask` (B, 1, T, Tpast + T, causal part included; null: plain causal) and
   * `crossMask` (B, 1, 1, S) are additive;
   * `cross` holds the encoder's projected keys/values; `past` this layer's earlier self keys/values.
   */
  forward(x: Tensor, call: { selfMask: Tensor | null; crossMask: Tensor | null; cross: LayerCache; past?: LayerCache | null; needWeights?: boolean }):
    { hidden: Tensor; cache: DecoderLayerCache; selfWeights?: Tensor; crossWeights?: Tensor } {
    const c = this.config, train = this.training;
    const self = this.self_attn.projectSelf(x, call.past);
    const selfKv = self.kv;
    const s = this.self_attn.attendHeads(self.query, selfKv, { mask: call.selfMask, causal: !call.selfMask, needWeights: call.needWeights });
    let h = this.self_attn_layer_norm.forward(dropout(s.output, c.dropout, train), x);
    const e = this.encoder_attn.attend(h, call.cross, { mask: call.crossMask, needWeights: call.needWeights });
    h = this.encoder_attn_layer_norm.forward(dropout(e.output, c.dropout, train), h);
    const f = dropout(linearActivation(this.fc1, c.activation_function, h), c.activation_dropout, train);
    h = this.final_layer_norm.forward(dropout(this.fc2.forward(f), c.dropout, train), h);
    return { hidden: h, cache: { self: selfKv, cross: call.cross }, selfWeights: s.weights, crossWeights: e.weights };
  }
}

export interface DecoderOptions {
  /** (B, S) encoder output; not needed when pastKeyValues hold the cross keys/values. */
  encoderHiddenStates?: Tensor | null;
  /** (B, S): 1 for real source tokens, 0 for padding. */
  encoderAttentionMask?: Tensor | null;
  /** (B, Tpast + T): 1 for real target tokens, 0 for padding (combined with the causal mask). */
  attentionMask?: Tensor | null;
  /** The cache of an earlier call. */
  pastKeyValues?: DecoderLayerCache[] | null;
  useCache?: boolean;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export interface DecoderOutput {
  /** (B, T, C) */
  lastHiddenState: Tensor;
  pastKeyValues?: DecoderLayerCache[];
  /** The embedding output and every layer's output: layers + 1 tensors (B, T, C). */
  hiddenStates?: Tensor[];
  /** Self-attention probabilities per layer (B, H, T, Tpast + T). */
  attentions?: Tensor[];
  /** Cross-attention probabilities per layer (B, H, T, S). */
  crossAttentions?: Tensor[];
}

export class TransformerDecoder extends Module {
  readonly embed_tokens: Embedding;
  readonly embed_positions: SinusoidalPositions;
  readonly layers: ModuleList<DecoderLayer>;
  readonly embedScale: number;

  constructor(readonly config: TransformerConfig, embedTokensModule: Embedding, device?: string) {
    super();
    this.embed_tokens = this.addModule('embed_tokens', embedTokensModule);
    this.embed_positions = this.addModule('embed_positions', new SinusoidalPositions(config.max_position_embeddings, config.d_model, positionLayout(config), device));
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: config.decoder_layers }, () => new DecoderLayer(config, device))));
    this.embedScale = config.scale_embedding ? Math.sqrt(config.d_model) : 1;
  }

  /** decoder_input_ids (B, T) -> decoder states (B, T, C). */
  forward(inputIds: Tensor, opts: DecoderOptions): DecoderOutput {
    return inferenceScope(() => this.run(inputIds, opts));
  }

  private run(inputIds: Tensor, opts: DecoderOptions): DecoderOutput {
    const c = this.config;
    checkTokenIds(inputIds, targetVocabSize(c), 'decoder_input_ids', 'this Transformer');
    const [B, T] = inputIds.shape as [number, number];
    const past = opts.pastKeyValues ?? null;
    if (past && past.length !== this.layers.length) throw new TesseraError(`pastKeyValues: ${past.length} layers given, the decoder has ${this.layers.length}`);
    const pastLen = past ? past[0]!.self.key.dim(2) : 0;
    checkLength(pastLen + T, c.max_position_embeddings, pastLen ? `decoder_input_ids (with ${pastLen} cached positions)` : 'decoder_input_ids', 'max_position_embeddings', 'this Transformer');
    const enc = opts.encoderHiddenStates ?? null;
    if (!past && !enc) throw new TesseraError('decoder: encoderHiddenStates are needed (or pastKeyValues holding the cross-attention keys and values)');
    const S = past ? past[0]!.cross.key.dim(2) : enc!.dim(1);
    if (enc && enc.dim(0) !== B) throw new TesseraError(`decoder: encoder states for a batch of ${enc.dim(0)} but decoder_input_ids for ${B}`);
    const selfMask = causalPaddingMask(opts.attentionMask, B, T, pastLen, 'decoder_attention_mask'); // (B, 1, T, Tpast + T) or null
    const crossMask = additivePaddingMask(opts.encoderAttentionMask, B, S, 'attention_mask');
    let h = dropout(embedTokens(this.embed_tokens, this.embed_positions, inputIds, this.embedScale, pastLen), c.dropout, this.training);
    const hiddenStates: Tensor[] = [], attentions: Tensor[] = [], crossAttentions: Tensor[] = [];
    const caches: DecoderLayerCache[] = [];
    this.layers.items.forEach((layer, i) => {
      if (opts.outputHiddenStates) hiddenStates.push(h);
      if (skipLayer(c.decoder_layerdrop, this.training, h.device)) return;
      const cross = past ? past[i]!.cross : layer.encoder_attn.keyValue(enc!); // (B, H, S, D) each
      const prev = h;
      const r = inferenceScope(() => layer.forward(prev, { selfMask, crossMask, cross, past: past?.[i] ? past[i]!.self : null, needWeights: opts.outputAttentions }));
      h = r.hidden;
      if (!opts.outputHiddenStates) releaseOwned(prev, h);
      caches.push(r.cache);
      if (r.selfWeights) attentions.push(r.selfWeights);
      if (r.crossWeights) crossAttentions.push(r.crossWeights);
    });
    if (opts.outputHiddenStates) hiddenStates.push(h);
    return {
      lastHiddenState: h,
      pastKeyValues: opts.useCache ? caches : undefined,
      hiddenStates: opts.outputHiddenStates ? hiddenStates : undefined,
      attentions: opts.outputAttentions ? attentions : undefined,
      crossAttentions: opts.outputAttentions ? crossAttentions : undefined,
    };
  }
}
