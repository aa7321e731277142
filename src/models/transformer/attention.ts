// Multi-head attention (paper 3.2.2) named as Marian checkpoints name it (q_proj, k_proj, v_proj, out_proj;
// modeling_marian.py MarianAttention, eager), split into "project keys/values" and "attend" so a decoder can
// cache its self-attention keys/values step by step and project the encoder output's once.
import { cat } from '../../tensor/ops/indexing.js';
import { scaledDotProductAttention } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { MultiHeadAttention, mergeHeads, splitHeads } from '../../nn/layers/multi-head-attention.js';

/** Keys and values of one attention layer, (B, H, T, D) each. */
export interface LayerCache {
  key: Tensor;
  value: Tensor;
}

export interface AttendOptions {
  /** Additive mask broadcastable to (B, H, Tq, Tk): 0 keeps a key, MASK_MIN (or -Infinity) hides it. */
  mask?: Tensor | null;
  /** Hide keys after each query's own position (the last Tq of Tk keys are the queries' own). */
  causal?: boolean;
  /** Return the attention probabilities (B, H, Tq, Tk). */
  needWeights?: boolean;
}

export class TransformerAttention extends MultiHeadAttention {
  /** Keys and values of `source` (B, Tk, C), split into heads. */
  keyValue(source: Tensor): LayerCache {
    return { key: splitHeads(this.k_proj.forward(source), this.numHeads), value: splitHeads(this.v_proj.forward(source), this.numHeads) };
  }

  /** Self-attention keys and values of x (B, T, C) appended to those of earlier steps. */
  selfKeyValue(x: Tensor, past?: LayerCache | null): LayerCache {
    const kv = this.keyValue(x);
    if (!past) return kv;
    return { key: cat([past.key, kv.key], 2), value: cat([past.value, kv.value], 2) }; // (B, H, Tpast + T, D)
  }

  /** query (B, Tq, C) attending over projected keys and values: output (B, Tq, C) and the weights when asked. */
  attend(query: Tensor, kv: LayerCache, opts: AttendOptions = {}): { output: Tensor; weights?: Tensor } {
    const q = splitHeads(this.q_proj.forward(query), this.numHeads); // (B, H, Tq, D)
    const r = scaledDotProductAttention(q, kv.key, kv.value, {
      mask: opts.mask ?? null,
      causal: opts.causal ?? false,
      dropoutP: this.training ? this.p : 0,
      returnProbs: opts.needWeights ?? false,
    });
    return { output: this.out_proj.forward(mergeHeads(r.out)), weights: r.probs };
  }
}
