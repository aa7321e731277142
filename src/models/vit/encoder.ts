// ViT's pre-LN encoder, named as transformers 5 checkpoints name it: layers.N.{layernorm_before,
// attention.{q,k,v,o}_proj, layernorm_after, mlp.fc1, mlp.fc2}. Norm first, as opposed to BERT's norm last:
// h = x + o_proj(attn(LN(x))); out = h + fc2(act(fc1(LN(h)))). Reference: modeling_vit.py, ViTLayer.
import { Dropout } from '../../nn/layers/dropout.js';
import { FeedForward } from '../../nn/layers/feed-forward.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { fusedLinear } from '../../nn/layers/fused-projection.js';
import { Linear } from '../../nn/layers/linear.js';
import { mergeHeads, splitHeads } from '../../nn/layers/multi-head-attention.js';
import { Module, ModuleList } from '../../nn/module.js';
import { scaledDotProductAttention } from '../../tensor/ops/fused.js';
import { inferenceScope, releaseOwned } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ViTConfig } from './config.js';

/** Multi-head self-attention over all tokens (no mask): q/k/v projections (bias = qkv_bias) and o_proj. */
export class ViTAttention extends Module {
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly oProj: Linear;
  readonly dropout: Dropout;
  readonly numHeads: number;
  readonly headDim: number;

  constructor(readonly config: ViTConfig, device?: string) {
    super();
    const C = config.hidden_size;
    this.numHeads = config.num_attention_heads;
    this.headDim = C / this.numHeads;
    const qkv = { bias: config.qkv_bias, device };
    this.qProj = this.addModule('q_proj', new Linear(C, C, qkv));
    this.kProj = this.addModule('k_proj', new Linear(C, C, qkv));
    this.vProj = this.addModule('v_proj', new Linear(C, C, qkv));
    this.oProj = this.addModule('o_proj', new Linear(C, C, { device }));
    this.dropout = this.addModule('dropout', new Dropout(config.hidden_dropout_prob));
  }

  /** x (B, T, C) -> (B, T, C) and, when asked, the probabilities (B, H, T, T). */
  forward(x: Tensor, needProbs: boolean): { output: Tensor; probs?: Tensor } {
    const H = this.numHeads;
    const [q, k, v] = fusedLinear([this.qProj, this.kProj, this.vProj], x).map((t) => splitHeads(t, H)) as [Tensor, Tensor, Tensor]; // (B, H, T, D)
    const p = this.training ? this.config.attention_probs_dropout_prob : 0;
    const r = scaledDotProductAttention(q, k, v, { scale: this.headDim ** -0.5, dropoutP: p, returnProbs: needProbs });
    return { output: this.dropout.forward(this.oProj.forward(mergeHeads(r.out))), probs: r.probs }; // (B, T, C)
  }
}

export class ViTLayer extends Module {
  readonly layernormBefore: LayerNorm;
  readonly attention: ViTAttention;
  readonly layernormAfter: LayerNorm;
  /** fc1 -> hidden_act -> fc2 (no dropout inside; the block's dropout follows fc2). */
  readonly mlp: FeedForward;
  readonly dropout: Dropout;

  constructor(config: ViTConfig, device?: string) {
    super();
    const C = config.hidden_size;
    this.layernormBefore = this.addModule('layernorm_before', new LayerNorm(C, { eps: config.layer_norm_eps, device }));
    this.attention = this.addModule('attention', new ViTAttention(config, device));
    this.layernormAfter = this.addModule('layernorm_after', new LayerNorm(C, { eps: config.layer_norm_eps, device }));
    this.mlp = this.addModule('mlp', new FeedForward(C, config.intermediate_size, { activation: config.hidden_act, dropout: 0, device }));
    this.dropout = this.addModule('dropout', new Dropout(config.hidden_dropout_prob));
  }

  forward(x: Tensor, needProbs: boolean): { output: Tensor; probs?: Tensor } {
    const a = this.attention.forward(this.layernormBefore.forward(x), needProbs);
    const h = a.output.add(x);
    return { output: this.dropout.forward(this.mlp.forward(this.layernormAfter.forward(h))).add(h), probs: a.probs };
  }
}

/** The layer stack; the caller keeps it under `layers` (the checkpoint's vit.layers.N). */
export class ViTEncoder extends ModuleList<ViTLayer> {
  constructor(config: ViTConfig, device?: string) {
    super(Array.from({ length: config.num_hidden_layers }, () => new ViTLayer(config, device)));
  }

  forward(x: Tensor, opts: { outputHiddenStates?: boolean; outputAttentions?: boolean } = {}): { lastHiddenState: Tensor; hiddenStates?: Tensor[]; attentions?: Tensor[] } {
    const hiddenStates = opts.outputHiddenStates ? [x] : undefined;
    const attentions: Tensor[] | undefined = opts.outputAttentions ? [] : undefined;
    let h = x;
    for (const layer of this) {
      const prev = h;
      const r = inferenceScope(() => layer.forward(prev, !!attentions));
      h = r.output;
      if (!hiddenStates) releaseOwned(prev, h);
      hiddenStates?.push(h);
      if (attentions) attentions.push(r.probs!);
    }
    return { lastHiddenState: h, hiddenStates, attentions };
  }
}
