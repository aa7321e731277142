// Multi-head attention (paper 3.2.2) named as Marian checkpoints name it (q_proj, k_proj, v_proj, out_proj;
// modeling_marian.py MarianAttention, eager), split into "project keys/values" and "attend" so a decoder can
// cache its self-attention keys/values step by step and project the encoder output's once.
import { cat } from '../../tensor/ops/indexing.js';
import { scaledDotProductAttention } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fusedLinear } from '../../nn/layers/fused-projection.js';
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
  /** Keys and values of `source` (B, Tk, C), split into heads (one matmul for both). */
  keyValue(source: Tensor): LayerCache {
    const [k, v] = fusedLinear([this.k_proj, this.v_proj], source) as [Tensor, Tensor];
    return { key: splitHeads(k, this.numHeads), value: splitHeads(v, this.numHeads) };
  }

  /**
   * Self-attention's queries (B, H, T, D) and keys/values of x (B, T, C), in one matmul; the keys and
   * values come after those of earlier steps when `past` is given.
   */
  projectSelf(x: Tensor, past?: LayerCache | null): { query: Tensor; kv: LayerCache } {
    const [q, k, v] = fusedLinear([this.q_proj, this.k_proj, this.v_proj], x).map((t) => splitHeads(t, this.numHeads)) as [Tensor, Tensor, Tensor];
    const kv = past ? { key: cat([past.key, k], 2), value: cat([past.value, v], 2) } : { key: k, value: v }; // (B, H, Tpast + T, D)
    return { query: q, kv };
  }

  /** query (B, Tq, C) attending over projected keys and values: output (B, Tq, C) and the weights when asked. */
  attend(query: Tensor, kv: LayerCache, opts: AttendOptions = {}): { output: Tensor; weights?: Tensor } {
    return this.attendHeads(splitHeads(this.q_proj.forward(query), this.numHeads), kv, opts);
  }

  /** Projected queries (B, H, Tq, D) attending over projected keys and values. */
  attendHeads(q: Tensor, kv: LayerCache, opts: AttendOptions = {}): { output: Tensor; weights?: Tensor } {
    const r = scaledDotProductAttention(q, kv.key, kv.value, {
      mask: opts.mask ?? null,
      causal: opts.causal ?? false,
      dropoutP: this.training ? this.p : 0,
      returnProbs: opts.needWeights ?? false,
    });
    return { output: this.out_proj.forward(mergeHeads(r.out)), weights: r.probs };
  }
}
