// Scaled-dot-product attention composed from the cuda backend's own primitives (batched cuBLASLt matmuls,
// the softmax kernel, the generator), for head dims above the fused kernel's 128. Same semantics as the
// fused op: additive mask, causal mask, dropout after the softmax, probabilities before dropout.
import { contiguousLayout, type AttentionArgs, type Backend, type Layout, type Storage } from '../backend.js';

/** What the composed forward keeps for its backward (float32 copies and the dropout multipliers). */
export interface ComposedSaved {
  kind: 'composed';
  q: Storage;
  k: Storage;
  v: Storage;
  probs: Storage;
  /** probs * multipliers, or probs when there is no dropout. */
  dropped: Storage;
  multipliers: Storage | null;
}

function f32(be: Backend, s: Storage): Storage {
  return s.dtype === 'float32' ? s : be.copy(s, contiguousLayout([s.length]), 'float32');
}

/** (BH, R, C) contiguous, or its transpose (BH, C, R) as a stride swap. */
function mat(BH: number, R: number, C: number, transposed = false): Layout {
  if (!transposed) return contiguousLayout([BH, R, C]);
  return { shape: [BH, C, R], strides: [R * C, 1, C], offset: 0 };
}

export function composedAttention(be: Backend, args: AttentionArgs): { out: Storage; probs: Storage; saved: ComposedSaved } {
  const { B, H, Tq, Tk, D } = args.shape;
  const BH = B * H;
  const q = f32(be, args.q), k = f32(be, args.k), v = f32(be, args.v);
  let s = be.matmul(q, mat(BH, Tq, D), k, mat(BH, Tk, D, true)); // (BH, Tq, Tk)
  s = be.map('mulScalar', s, contiguousLayout([s.length]), [args.scale]);
  const full4: Layout = contiguousLayout([B, H, Tq, Tk]);
  if (args.mask) s = be.binary('add', s, full4, args.mask.storage, args.mask.layout);
  if (args.causal) {
    const i = be.arange('int32', Tk - Tq, 1, Tq);
    const j = be.arange('int32', 0, 1, Tk);
    const bc: Layout = { shape: [B, H, Tq, Tk], strides: [0, 0, 0, 1], offset: 0 };
    const ic: Layout = { shape: [B, H, Tq, Tk], strides: [0, 0, 1, 0], offset: 0 };
    const hidden = be.binary('gt', j, bc, i, ic);
    const negInf = be.full('float32', 1, -Infinity);
    s = be.where(hidden, full4, negInf, { shape: [B, H, Tq, Tk], strides: [0, 0, 0, 0], offset: 0 }, s, full4);
  }
  const probs = be.softmax!(s, BH * Tq, Tk, false);
  let dropped = probs, multipliers: Storage | null = null;
  if (args.dropoutP > 0) {
    const n = probs.length;
    const u = be.random('uniform', n, 0, 1);
    const p = be.full('float32', 1, args.dropoutP);
    const keep = be.binary('ge', u, contiguousLayout([n]), p, { shape: [n], strides: [0], offset: 0 });
    const keepF = be.copy(keep, contiguousLayout([n]), 'float32');
    multipliers = be.map('mulScalar', keepF, contiguousLayout([n]), [1 / (1 - args.dropoutP)]);
    dropped = be.binary('mul', probs, contiguousLayout([n]), multipliers, contiguousLayout([n]));
  }
  let out = be.matmul(dropped, mat(BH, Tq, Tk), v, mat(BH, Tk, D)); // (BH, Tq, D)
  if (args.q.dtype !== 'float32') out = be.copy(out, contiguousLayout([out.length]), args.q.dtype);
  return { out, probs, saved: { kind: 'composed', q, k, v, probs, dropped, multipliers } };
}

export function composedAttentionBackward(be: Backend, args: AttentionArgs, saved: ComposedSaved, dout: Storage) {
  const { B, H, Tq, Tk, D } = args.shape;
  const BH = B * H;
  const g = f32(be, dout);
  const dv = be.matmul(saved.dropped, mat(BH, Tq, Tk, true), g, mat(BH, Tq, D)); // (BH, Tk, D)
  let dp = be.matmul(g, mat(BH, Tq, D), saved.v, mat(BH, Tk, D, true)); // (BH, Tq, Tk)
  if (saved.multipliers) dp = be.binary('mul', dp, contiguousLayout([dp.length]), saved.multipliers, contiguousLayout([dp.length]));
  let ds = be.softmaxBackward!(saved.probs, dp, BH * Tq, Tk, false);
  ds = be.map('mulScalar', ds, contiguousLayout([ds.length]), [args.scale]);
  const dq = be.matmul(ds, mat(BH, Tq, Tk), saved.k, mat(BH, Tk, D)); // (BH, Tq, D)
  const dk = be.matmul(ds, mat(BH, Tq, Tk, true), saved.q, mat(BH, Tq, D)); // (BH, Tk, D)
  const back = (x: Storage) => (args.q.dtype === 'float32' ? x : be.copy(x, contiguousLayout([x.length]), args.q.dtype));
  return { dq: back(dq), dk: back(dk), dv: back(dv) };
}
