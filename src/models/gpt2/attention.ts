// GPT-2's causal self-attention (modeling_gpt2.py GPT2Attention, eager): c_attn to q, k, v, scores scaled by
// 1/sqrt(D) (and 1/(layer+1) when configured), causal + padding masks, dropout, c_proj; keys and values of
// earlier steps may be passed in (KV cache) and the new ones are appended.
import { cat } from '../../tensor/ops/indexing.js';
import { dropout, scaledDotProductAttention } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { mergeHeads, splitHeads } from '../../nn/layers/multi-head-attention.js';
import type { GPT2Config } from './config.js';
import { Conv1D } from './conv1d.js';
import type { LayerCache } from '../transformer/attention.js';

export type { LayerCache };

export interface GPT2AttentionCall {
  /** Additive (B, 1, T, Tpast + T) mask holding the causal part too (0 keeps a key); without one, plain causal. */
  mask?: Tensor | null;
  /** Keys and values of the earlier steps. */
  past?: LayerCache | null;
  /** Return the updated cache. */
  useCache?: boolean;
  /** Return the attention probabilities (B, H, T, Tpast + T). */
  needWeights?: boolean;
}

export class GPT2Attention extends Module {
  readonly c_attn: Conv1D;
  readonly c_proj: Conv1D;
  readonly numHeads: number;
  readonly embedDim: number;
  readonly scale: number;
  readonly attnPdrop: number;
  readonly residPdrop: number;

  constructor(config: GPT2Config, layerIdx: number, device?: string) {
    super();
    const C = config.n_embd;
    this.embedDim = C;
    this.numHeads = config.n_head;
    const D = C / config.n_head;
    this.scale = (config.scale_attn_weights ? 1 / Math.sqrt(D) : 1) / (config.scale_attn_by_inverse_layer_idx ? layerIdx + 1 : 1);
    this.attnPdrop = config.attn_pdrop;
    this.residPdrop = config.resid_pdrop;
    const std = config.initializer_range;
    this.c_attn = this.addModule('c_attn', new Conv1D(C, 3 * C, { std, device }));
    // GPT-2 scales the init of residual projections by 1/sqrt(2 * n_layer) (GPT2PreTrainedModel._init_weights)
    this.c_proj = this.addModule('c_proj', new Conv1D(C, C, { std: std / Math.sqrt(2 * config.n_layer), device }));
  }

  /** x (B, T, C) -> output (B, T, C), with the cache and weights when asked. */
  forward(x: Tensor, call: GPT2AttentionCall = {}): { output: Tensor; cache?: LayerCache; weights?: Tensor } {
    const C = this.embedDim, H = this.numHeads;
    const [qp, kp, vp] = this.c_attn.forward(x).split(C, 2) as [Tensor, Tensor, Tensor]; // (B, T, C) each
    const q = splitHeads(qp, H); // (B, H, T, D)
    let k = splitHeads(kp, H);
    let v = splitHeads(vp, H);
    if (call.past) {
      k = cat([call.past.key, k], 2); // (B, H, Tpast + T, D)
      v = cat([call.past.value, v], 2);
    }
    const r = scaledDotProductAttention(q, k, v, {
      mask: call.mask ?? null,
      causal: !call.mask,
      scale: this.scale,
      dropoutP: this.training ? this.attnPdrop : 0,
      returnProbs: call.needWeights ?? false,
    });
    const output = dropout(this.c_proj.forward(mergeHeads(r.out)), this.residPdrop, this.training); // (B, T, C)
    return { output, cache: call.useCache ? { key: k, value: v } : undefined, weights: r.probs };
  }
}
