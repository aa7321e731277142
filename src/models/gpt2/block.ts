// One GPT-2 block (modeling_gpt2.py GPT2Block): pre-LN, x + attn(ln_1(x)), then x + mlp(ln_2(x)).
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { GPT2Attention, type GPT2AttentionCall, type LayerCache } from './attention.js';
import type { GPT2Config } from './config.js';
import { GPT2MLP } from './mlp.js';

export class GPT2Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln_2: LayerNorm;
  readonly mlp: GPT2MLP;

  constructor(config: GPT2Config, layerIdx: number, device?: string) {
    super();
    const eps = config.layer_norm_epsilon;
    this.ln_1 = this.addModule('ln_1', new LayerNorm(config.n_embd, { eps, device }));
    this.attn = this.addModule('attn', new GPT2Attention(config, layerIdx, device));
    this.ln_2 = this.addModule('ln_2', new LayerNorm(config.n_embd, { eps, device }));
    this.mlp = this.addModule('mlp', new GPT2MLP(config, device));
  }

  /** x (B, T, C) -> (B, T, C), with the layer's cache and attention weights when asked. */
  forward(x: Tensor, call: GPT2AttentionCall = {}): { hidden: Tensor; cache?: LayerCache; weights?: Tensor } {
    const a = this.attn.forward(this.ln_1.forward(x), call);
    const h = x.add(a.output);
    return { hidden: h.add(this.mlp.forward(this.ln_2.forward(h))), cache: a.cache, weights: a.weights };
  }
}
