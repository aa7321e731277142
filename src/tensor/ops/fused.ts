// Ops that backends may fuse — softmax, log-softmax, layer norm, cross-entropy, scaled-dot-product
// attention, LSTM cell — each with a composed fallback from primitives used when the backend lacks the
// fused kernel (or when fused ops are switched off, which the tests do to check the fallbacks).
import type { Backend, Storage } from '../../backend/backend.js';
import { ShapeError, TesseraError } from '../../errors.js';
import { isGradEnabled } from '../../autograd/engine.js';
import { autocastTarget } from '../autocast.js';
import { isFloat, type DType } from '../dtype.js';
import { normAxis, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { where } from './elementwise.js';
import { cat, gather } from './indexing.js';
import { matmul } from './linalg.js';

let fusedEnabled = true;

/** Switches the backends' fused kernels on or off (off: the composed fallbacks run). For tests. */
export function setFusedOps(enabled: boolean): void {
  fusedEnabled = enabled;
}

/** True unless fused kernels were switched off with setFusedOps(false). */
export function fusedOpsEnabled(): boolean {
  return fusedEnabled;
}

function fused<K extends keyof Backend>(backend: Backend, key: K): boolean {
  return fusedEnabled && typeof backend[key] === 'function';
}

/** x as float32, contiguous, offset 0 — the form fused kernels take. */
function dense(x: Tensor): Tensor {
  return (x.dtype === 'float32' ? x : x.to('float32')).contiguous();
}

/** Applies a last-axis op after moving `axis` last, and moves it back. */
function alongLast(x: Tensor, axis: number, op: string, fn: (t: Tensor) => Tensor): Tensor {
  const a = normAxis(axis, x.ndim, op);
  if (a === x.ndim - 1) return fn(x);
  return fn(x.transpose(a, -1)).transpose(a, -1);
}

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const n = x.dim(-1), rows = x.size / Math.max(n, 1);
  const be = x.backend;
  if (fused(be, 'softmax')) {
    const X = dense(x);
    const y = Tensor.fromStorage(be.softmax!(X.storage, rows, n, log), x.shape, be);
    return Tensor.record(y, log ? 'logSoftmax' : 'softmax', [X], (g) => {
      const G = dense(g);
      return [Tensor.fromStorage(be.softmaxBackward!(y.storage, G.storage, rows, n, log), x.shape, be)];
    });
  }
  const shifted = x.sub(x.detach().max(-1, true));
  if (log) return shifted.sub(shifted.exp().sum(-1, true).log());
  const e = shifted.exp();
  return e.div(e.sum(-1, true));
}

/** softmax along axis (default last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return alongLast(x, axis, 'softmax', (t) => softmaxLast(t, false));
}

/** log-softmax along axis (default last). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongLast(x, axis, 'logSoftmax', (t) => softmaxLast(t, true));
}

/**
 * layerNorm(x + residual): a transformer's post-norm residual step. Without autograd recording, on backends
 * with the fused kernel, the sum is never stored whole; otherwise it is add then layerNorm.
 */
export function addLayerNorm(x: Tensor, residual: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const be = x.backend;
  const recording = isGradEnabled() && (x.requiresGrad || residual.requiresGrad || !!weight?.requiresGrad || !!bias?.requiresGrad);
  const k = normalizedShape.length;
  const fits = x.shape.join() === residual.shape.join() && k <= x.ndim && x.shape.slice(x.ndim - k).join() === normalizedShape.join();
  // the kernel sums in float32 and gives float32: the fused path is taken where add would give float32 too
  // (both float32, or a half activation plus a float32 residual under autocast)
  const takes = be.addLayerNormDTypes ?? ['float32'];
  const dtypesOk = takes.includes(x.dtype) && takes.includes(residual.dtype) && (x.dtype === 'float32' || residual.dtype === 'float32');
  if (recording || !fits || !fused(be, 'addLayerNorm') || !dtypesOk) {
    return layerNorm(x.add(residual), normalizedShape, weight, bias, eps);
  }
  x.sameDevice(residual, 'addLayerNorm');
  const n = normalizedShape.reduce((p, d) => p * d, 1);
  const X = x.contiguous(), R = residual.contiguous();
  const W = weight ? dense(weight) : null, B = bias ? dense(bias) : null;
  return Tensor.fromStorage(be.addLayerNorm!(X.storage, R.storage, W?.storage ?? null, B?.storage ?? null, x.size / Math.max(n, 1), n, eps), x.shape, be);
}

/** Layer norm over the last `normalizedShape.length` dims (biased variance, eps inside the sqrt, as torch). */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k > x.ndim || tail.join() !== normalizedShape.join()) {
    throw new ShapeError(`layerNorm: input of shape ${shapeStr(x.shape)} does not end with normalized shape ${shapeStr(normalizedShape)}`);
  }
  const n = normalizedShape.reduce((p, d) => p * d, 1);
  const rows = x.size / Math.max(n, 1);
  const be = x.backend;
  if (fused(be, 'layerNorm')) {
    const X = dense(x);
    const W = weight ? dense(weight) : null, B = bias ? dense(bias) : null;
    const r = be.layerNorm!(X.storage, W?.storage ?? null, B?.storage ?? null, rows, n, eps);
    const y = Tensor.fromStorage(r.y, x.shape, be);
    return Tensor.record(y, 'layerNorm', [X, W, B], (g) => {
      const G = dense(g);
      const b = be.layerNormBackward!(G.storage, X.storage, W?.storage ?? null, r.mean, r.rstd, rows, n);
      return [
        Tensor.fromStorage(b.dx, x.shape, be),
        W && b.dweight ? Tensor.fromStorage(b.dweight, normalizedShape, be) : null,
        B && b.dbias ? Tensor.fromStorage(b.dbias, normalizedShape, be) : null,
      ];
    });
  }
  const axes = [...Array(k).keys()].map((i) => x.ndim - k + i);
  const mu = x.mean(axes, true);
  const d = x.sub(mu);
  const v = d.square().mean(axes, true);
  let y = d.mul(v.add(eps).rsqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

export interface CrossEntropyOptions {
  /** Targets equal to this give no loss and no gradient (default -100, as torch). */
  ignoreIndex?: number;
  /** Label smoothing in [0, 1] (torch's definition). */
  labelSmoothing?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (per-row losses). */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy of logits (..., C) against integer targets (...): torch.nn.functional.cross_entropy with the
 * classes on the LAST axis (reshape (B, C, T) inputs first). The fused path keeps no probability tensor.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const smoothing = opts.labelSmoothing ?? 0;
  const reduction = opts.reduction ?? 'mean';
  if (targets.dtype !== 'int32' && targets.dtype !== 'int64') throw new TesseraError(`crossEntropy: targets must be int32 or int64, got ${targets.dtype}`);
  if (smoothing < 0 || smoothing > 1) throw new TesseraError(`crossEntropy: labelSmoothing ${smoothing} is outside [0, 1]`);
  logits.sameDevice(targets, 'crossEntropy');
  const C = logits.dim(-1);
  const lead = logits.shape.slice(0, -1);
  if (lead.join() !== targets.shape.join()) {
    throw new ShapeError(`crossEntropy: logits of shape ${shapeStr(logits.shape)} (classes last) do not match targets of shape ${shapeStr(targets.shape)}`);
  }
  const rows = targets.size;
  const be = logits.backend;
  const t = targets.reshape([-1]).contiguous();
  let losses: Tensor;
  if (fused(be, 'crossEntropy')) {
    // half-precision logits stay half on backends that compute in that type: no float32 copy of (rows, V)
    const flat = logits.reshape([rows, C]);
    const L = flat.dtype !== 'float32' && isFloat(flat.dtype) && be.computeDTypes.includes(flat.dtype) ? flat.contiguous() : dense(flat);
    const r = be.crossEntropy!(L.storage, t.storage, rows, C, ignoreIndex, smoothing);
    losses = Tensor.record(Tensor.fromStorage(r.losses, [rows], be), 'crossEntropy', [L], (g) => {
      const G = dense(g);
      return [Tensor.fromStorage(be.crossEntropyBackward!(L.storage, t.storage, r.lse, G.storage, rows, C, ignoreIndex, smoothing), [rows, C], be)];
    });
  } else {
    const lp = logSoftmax(logits.reshape([rows, C]));
    const valid = t.ne(ignoreIndex);
    const safe = where(valid, t, 0).to(t.dtype);
    const nll = gather(lp, 1, safe.unsqueeze(1)).squeeze(1).neg();
    const full = smoothing > 0 ? nll.mul(1 - smoothing).add(lp.mean(-1).neg().mul(smoothing)) : nll;
    losses = where(valid, full, 0);
  }
  if (reduction === 'none') return losses.reshape(lead);
  if (reduction === 'sum') return losses.sum();
  const count = t.ne(ignoreIndex).to('float32').sum();
  return losses.sum().div(count);
}

/** Binary cross-entropy with logits, mean-reduced (numerically stable: max(x,0) - x*y + log(1 + exp(-|x|))). */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor, reduction: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  const y = isFloat(targets.dtype) ? targets : targets.to('float32');
  const l = logits.relu().sub(logits.mul(y)).add(logits.abs().neg().exp().add(1).log());
  return reduction === 'none' ? l : reduction === 'sum' ? l.sum() : l.mean();
}

/** Mean squared error. */
export function mseLoss(input: Tensor, target: Tensor, reduction: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  const l = input.sub(target).square();
  return reduction === 'none' ? l : reduction === 'sum' ? l.sum() : l.mean();
}

export interface AttentionOptions {
  /** Additive float mask (0 keep, large negative drop) or bool mask (true = attend), broadcastable to (B, H, Tq, Tk). */
  mask?: Tensor | null;
  /** Key j is hidden from query i when j > i + (Tk - Tq). */
  causal?: boolean;
  /** Score scale; default 1/sqrt(D). */
  scale?: number;
  /** Dropout on the attention probabilities (only when > 0). */
  dropoutP?: number;
  /** Also return the attention probabilities (B, H, Tq, Tk). */
  returnProbs?: boolean;
}

/** Scaled dot-product attention of q (B, H, Tq, D), k and v (B, H, Tk, D): { out (B, H, Tq, D), probs? }. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): { out: Tensor; probs?: Tensor } {
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) {
    throw new ShapeError(`attention: q, k, v must be (B, H, T, D), got ${shapeStr(q.shape)}, ${shapeStr(k.shape)}, ${shapeStr(v.shape)}`);
  }
  const [B, H, Tq, D] = q.shape as [number, number, number, number];
  const Tk = k.dim(2);
  if (k.dim(0) !== B || k.dim(1) !== H || k.dim(3) !== D || v.dim(0) !== B || v.dim(1) !== H || v.dim(2) !== Tk) {
    throw new ShapeError(`attention: q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)} and v ${shapeStr(v.shape)} do not agree`);
  }
  q.sameDevice(k, 'attention');
  q.sameDevice(v, 'attention');
  const Dv = v.dim(3);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const dropoutP = opts.dropoutP ?? 0;
  let mask = opts.mask ?? null;
  if (mask && !isFloat(mask.dtype)) mask = where(mask, 0, -Infinity);
  const be = q.backend;
  if (fused(be, 'attention') && Dv === D) {
    // autocast (see ../autocast.ts): q, k, v and the output in the half type; the mask stays float32
    // (and half inputs outside autocast stay half on backends that compute in that type)
    const same = q.dtype === k.dtype && q.dtype === v.dtype && q.dtype !== 'float32' && isFloat(q.dtype) && be.computeDTypes.includes(q.dtype);
    const ac = autocastTarget(be, [q.dtype, k.dtype, v.dtype]) ?? (same ? q.dtype : null);
    let maskArg;
    if (mask) {
      const m = mask.dtype === 'float32' ? mask : mask.to('float32');
      const ml = m.expand([B, H, Tq, Tk]);
      maskArg = { storage: ml.storage, layout: ml.layout };
    }
    const needsBackward = isGradEnabled() && (q.requiresGrad || k.requiresGrad || v.requiresGrad);
    const base = { shape: { B, H, Tq, Tk, D }, mask: maskArg, causal: opts.causal ?? false, scale, dropoutP, returnProbs: opts.returnProbs ?? false, needsBackward };
    const want: DType = ac ?? 'float32';
    const unitLast = (t: Tensor) => t.dtype === want && (D === 1 || t.layout.strides[3] === 1);
    const strided = !!be.attentionStrided && (be.attentionStridedDTypes ?? ['float32']).includes(want);
    if (strided && unitLast(q) && unitLast(k) && unitLast(v)) {
      // q, k, v read in place (e.g. heads of a (B, T, H * D) projection) and the output written as
      // (B, Tq, H, D), so splitting and merging heads around attention are views, not copies
      // the gradients may come back as (B, T, H, D) too: the projection's gradient is then a view, not a permute
      // q, k and v that are the three parts of one (B, T, 3 * H * D) projection get their gradients in one
      // storage laid out as that projection, so the slices' gradients need no copy (see writeSlices)
      const args = { ...base, q: q.storage, k: k.storage, v: v.storage, layouts: { q: q.layout, k: k.layout, v: v.layout }, outLayout: 'bthd' as const,
        gradLayout: packedHeads(q, k, v) ? 'packed' as const : 'bthd' as const };
      const r = be.attention!(args);
      const view = Tensor.fromStorage(r.out, [B, Tq, H, D], be).transpose(1, 2);
      const out = Tensor.record(view, 'attention', [q, k, v], (g) => {
        const d = be.attentionBackward!(args, r, (ac ? g.to(ac).contiguous() : dense(g)).storage);
        if (d.layout === 'packed') {
          const all = Tensor.fromStorage(d.dq, [B, Tq, 3, H, D], be);
          return [0, 1, 2].map((i) => all.select(2, i).transpose(1, 2));
        }
        const grad = (s: Storage, T: number) => (d.layout === 'bthd' ? Tensor.fromStorage(s, [B, T, H, D], be).transpose(1, 2) : Tensor.fromStorage(s, [B, H, T, D], be));
        return [grad(d.dq, Tq), grad(d.dk, Tk), grad(d.dv, Tk)];
      });
      return { out, probs: r.probs ? Tensor.fromStorage(r.probs, [B, H, Tq, Tk], be) : undefined };
    }
    const prep = (t: Tensor) => (ac ? t.to(ac).contiguous() : dense(t));
    const Q = prep(q), K = prep(k), V = prep(v);
    const args = { ...base, q: Q.storage, k: K.storage, v: V.storage };
    const r = be.attention!(args);
    const out = Tensor.record(Tensor.fromStorage(r.out, [B, H, Tq, D], be), 'attention', [Q, K, V], (g) => {
      const G = ac ? g.to(ac).contiguous() : dense(g);
      const d = be.attentionBackward!(args, r, G.storage);
      return [Tensor.fromStorage(d.dq, Q.shape, be), Tensor.fromStorage(d.dk, K.shape, be), Tensor.fromStorage(d.dv, V.shape, be)];
    });
    return { out, probs: r.probs ? Tensor.fromStorage(r.probs, [B, H, Tq, Tk], be) : undefined };
  }
  let scores = matmul(q, k.transpose(-2, -1)).mul(scale);
  if (mask) scores = scores.add(mask);
  if (opts.causal) {
    const i = Tensor.fromStorage(be.arange('int32', Tk - Tq, 1, Tq), [Tq, 1], be);
    const j = Tensor.fromStorage(be.arange('int32', 0, 1, Tk), [1, Tk], be);
    scores = where(j.gt(i), -Infinity, scores);
  }
  let probs = softmax(scores, -1);
  // rows with every key masked give zeros, as the fused kernels do
  probs = where(probs.ne(probs), 0, probs);
  const attn = dropoutP > 0 ? dropout(probs, dropoutP, true) : probs;
  return { out: matmul(attn, v), probs: opts.returnProbs ? probs : undefined };
}

/**
 * Whether q, k and v (B, H, T, D) are the heads of one (B, T, 3, H, D) block: one storage, the strides of
 * that block, and k and v H * D elements after q and k.
 */
function packedHeads(q: Tensor, k: Tensor, v: Tensor): boolean {
  const [B, H, T, D] = q.shape as [number, number, number, number];
  if (k.dim(2) !== T || q.storage !== k.storage || q.storage !== v.storage) return false;
  const HD = H * D;
  const want = [3 * T * HD, D, 3 * HD, 1];
  const stridesMatch = (t: Tensor) => t.layout.strides.every((s, i) => s === want[i] || t.shape[i] === 1);
  return B > 0 && stridesMatch(q) && stridesMatch(k) && stridesMatch(v) && k.layout.offset === q.layout.offset + HD && v.layout.offset === q.layout.offset + 2 * HD;
}

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p) (training only). */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  if (p < 0 || p > 1) throw new TesseraError(`dropout: probability ${p} is outside [0, 1]`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const be = x.backend;
  const u = Tensor.fromStorage(be.random('uniform', x.size, 0, 1), x.shape, be);
  const keep = u.ge(p).to(isFloat(x.dtype) ? x.dtype : 'float32').mul(1 / (1 - p));
  return x.mul(keep);
}

/** 2-D convolution of x (B, C, H, W) with weight (O, C, kh, kw) and optional bias (O): im2col + matmul. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, stride: number | [number, number] = 1, padding: number | [number, number] = 0): Tensor {
  if (x.ndim !== 4 || weight.ndim !== 4) throw new ShapeError(`conv2d: input ${shapeStr(x.shape)} and weight ${shapeStr(weight.shape)} must both be 4-D`);
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cw, kh, kw] = weight.shape as [number, number, number, number];
  if (C !== Cw) throw new ShapeError(`conv2d: input has ${C} channels but weight ${shapeStr(weight.shape)} expects ${Cw}`);
  const st: [number, number] = typeof stride === 'number' ? [stride, stride] : stride;
  const pd: [number, number] = typeof padding === 'number' ? [padding, padding] : padding;
  const Ho = Math.floor((H + 2 * pd[0] - kh) / st[0]) + 1, Wo = Math.floor((W + 2 * pd[1] - kw) / st[1]) + 1;
  if (Ho <= 0 || Wo <= 0) throw new ShapeError(`conv2d: kernel ${kh}x${kw} does not fit input ${H}x${W} with padding ${pd.join('x')}`);
  const be = x.backend;
  const X = dense(x);
  const cols = Tensor.record(
    Tensor.fromStorage(be.unfold(X.storage, X.layout, [kh, kw], st, pd), [B, C * kh * kw, Ho * Wo], be),
    'unfold', [X],
    (g) => {
      const G = dense(g);
      return [Tensor.fromStorage(be.fold(G.storage, [B, C, H, W], [kh, kw], st, pd), [B, C, H, W], be)];
    },
  );
  // (O, C*kh*kw) @ (B, C*kh*kw, L) -> (B, O, L)
  let y = matmul(weight.reshape([O, C * kh * kw]), cols);
  if (bias) y = y.add(bias.reshape([O, 1]));
  return y.reshape([B, O, Ho, Wo]);
}

/**
 * The pointwise LSTM cell: gates (B, 4H) pre-activations in PyTorch's order i, f, g, o, and cPrev (B, H),
 * give { h, c } with c = f*cPrev + i*g, h = o*tanh(c).
 */
export function lstmCell(gates: Tensor, cPrev: Tensor): { h: Tensor; c: Tensor } {
  const [B, H4] = gates.shape as [number, number];
  const H = H4 / 4;
  if (gates.ndim !== 2 || !Number.isInteger(H) || cPrev.dim(0) !== B || cPrev.dim(1) !== H) {
    throw new ShapeError(`lstmCell: gates ${shapeStr(gates.shape)} and cell ${shapeStr(cPrev.shape)} do not agree`);
  }
  const be = gates.backend;
  if (fused(be, 'lstmCell')) {
    const G = dense(gates), Cp = dense(cPrev);
    const r = be.lstmCell!(G.storage, Cp.storage, B, H);
    const h = Tensor.fromStorage(r.h, [B, H], be), c = Tensor.fromStorage(r.c, [B, H], be);
    // one node with output (2, B, H) = [h; c] so both outputs share the backward
    const hc = Tensor.record(cat([h, c], 0).detach(), 'lstmCell', [G, Cp], (g) => {
      const gh = dense(g.narrow(0, 0, B)), gc = dense(g.narrow(0, B, B));
      const d = be.lstmCellBackward!(G.storage, Cp.storage, r.c, gh.storage, gc.storage, B, H);
      return [Tensor.fromStorage(d.dgates, [B, 4 * H], be), Tensor.fromStorage(d.dcPrev, [B, H], be)];
    });
    return { h: hc.narrow(0, 0, B), c: hc.narrow(0, B, B) };
  }
  const [i, f, g, o] = gates.split(H, 1) as [Tensor, Tensor, Tensor, Tensor];
  const c = f.sigmoid().mul(cPrev).add(i.sigmoid().mul(g.tanh()));
  return { h: o.sigmoid().mul(c.tanh()), c };
}
