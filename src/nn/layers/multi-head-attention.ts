// Multi-head attention of "Attention Is All You Need" (3.2.2) with separate q/k/v/out projections named as
// fairseq / Marian checkpoints name them (q_proj, k_proj, v_proj, out_proj); padding and causal masks,
// attention weights on request, and a key/value cache for incremental decoding.
import { ShapeError, TesseraError } from '../../errors.js';
import { cat } from '../../tensor/ops/indexing.js';
import { scaledDotProductAttention } from '../../tensor/ops/fused.js';
import { where } from '../../tensor/ops/elementwise.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { fusedLinear } from './fused-projection.js';
import { Linear } from './linear.js';

export interface MultiHeadAttentionOptions {
  dropout?: number;
  bias?: boolean;
  device?: string;
}

export interface AttentionCall {
  /** (B, Tk) with true (or 1) at PADDED key positions, which get no attention. */
  keyPaddingMask?: Tensor | null;
  /** Additive float mask or bool keep-mask broadcastable to (B, H, Tq, Tk). */
  attnMask?: Tensor | null;
  /** Hide future keys (decoder self-attention). */
  causal?: boolean;
  /** Return the attention probabilities (B, H, Tq, Tk). */
  needWeights?: boolean;
  /** Cached keys and values (B, H, Tpast, D) of earlier steps; the new ones are appended and returned. */
  cache?: { key: Tensor; value: Tensor } | null;
}

/** Splits (B, T, H*D) into heads: (B, H, T, D). */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [B, T, C] = x.shape as [number, number, number];
  return x.reshape([B, T, heads, C / heads]).transpose(1, 2);
}

/** Merges heads back: (B, H, T, D) -> (B, T, H*D). */
export function mergeHeads(x: Tensor): Tensor {
  const [B, H, T, D] = x.shape as [number, number, number, number];
  return x.transpose(1, 2).reshape([B, T, H * D]);
}

/** A (B, 1, 1, Tk) additive mask from a (B, Tk) padding mask (true/1 = padded). */
export function paddingToAdditive(keyPaddingMask: Tensor): Tensor {
  const pad = keyPaddingMask.dtype === 'bool' ? keyPaddingMask : keyPaddingMask.ne(0);
  const [B, Tk] = pad.shape as [number, number];
  return where(pad, -Infinity, 0).reshape([B, 1, 1, Tk]);
}

export class MultiHeadAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly out_proj: Linear;
  readonly headDim: number;
  readonly p: number;

  constructor(readonly embedDim: number, readonly numHeads: number, opts: MultiHeadAttentionOptions = {}) {
    super();
    if (embedDim % numHeads !== 0) throw new TesseraError(`MultiHeadAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    const lo = { bias: opts.bias ?? true, device: opts.device };
    this.q_proj = this.addModule('q_proj', new Linear(embedDim, embedDim, lo));
    this.k_proj = this.addModule('k_proj', new Linear(embedDim, embedDim, lo));
    this.v_proj = this.addModule('v_proj', new Linear(embedDim, embedDim, lo));
    this.out_proj = this.addModule('out_proj', new Linear(embedDim, embedDim, lo));
    this.p = opts.dropout ?? 0;
  }

  /**
   * query (B, Tq, C), key and value (B, Tk, C). Returns the output (B, Tq, C), the weights when asked,
   * and the updated cache when one was given.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, call: AttentionCall = {}): { output: Tensor; weights?: Tensor; cache?: { key: Tensor; value: Tensor } } {
    if (query.ndim !== 3 || query.dim(-1) !== this.embedDim) {
      throw new ShapeError(`MultiHeadAttention: query of shape ${shapeStr(query.shape)} is not (B, T, ${this.embedDim})`);
    }
    const H = this.numHeads;
    // self-attention projects one input three ways, cross-attention its memory two ways: one matmul each
    let qp: Tensor, kp: Tensor, vp: Tensor;
    if (query === key && key === value) [qp, kp, vp] = fusedLinear([this.q_proj, this.k_proj, this.v_proj], query) as [Tensor, Tensor, Tensor];
    else if (key === value) {
      qp = this.q_proj.forward(query);
      [kp, vp] = fusedLinear([this.k_proj, this.v_proj], key) as [Tensor, Tensor];
    } else [qp, kp, vp] = [this.q_proj.forward(query), this.k_proj.forward(key), this.v_proj.forward(value)];
    const q = splitHeads(qp, H);
    let k = splitHeads(kp, H);
    let v = splitHeads(vp, H);
    let cache: { key: Tensor; value: Tensor } | undefined;
    if (call.cache !== undefined) {
      if (call.cache) {
        k = cat([call.cache.key, k], 2);
        v = cat([call.cache.value, v], 2);
      }
      cache = { key: k, value: v };
    }
    let mask: Tensor | null = null;
    if (call.keyPaddingMask) mask = paddingToAdditive(call.keyPaddingMask);
    if (call.attnMask) {
      const m = call.attnMask.dtype === 'bool' ? where(call.attnMask, 0, -Infinity) : call.attnMask;
      mask = mask ? mask.add(m) : m;
    }
    const r = scaledDotProductAttention(q, k, v, {
      mask, causal: call.causal ?? false, dropoutP: this.training ? this.p : 0, returnProbs: call.needWeights ?? false,
    });
    return { output: this.out_proj.forward(mergeHeads(r.out)), weights: r.probs, cache };
  }
}
