// The fused ops of cpu-js: softmax, layer norm, cross-entropy, attention, AdamW, LSTM cell (forward and
// backward), written as plain loops over contiguous Float32Arrays.
import { TesseraError } from '../../errors.js';
import type { AdamWParams, AttentionArgs } from '../backend.js';
import { elementOffsets } from './strided.js';
import type { Xoshiro128 } from './random.js';

export function softmaxRows(x: Float32Array, rows: number, n: number, log: boolean): Float32Array {
  const y = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (x[o + j]! > max) max = x[o + j]!;
    if (max === -Infinity) {
      // a fully masked row: softmax is undefined; give zeros (log-softmax: -inf)
      for (let j = 0; j < n; j++) y[o + j] = log ? -Infinity : 0;
      continue;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(x[o + j]! - max);
    if (log) {
      const lse = max + Math.log(sum);
      for (let j = 0; j < n; j++) y[o + j] = x[o + j]! - lse;
    } else {
      const inv = 1 / sum;
      for (let j = 0; j < n; j++) y[o + j] = Math.exp(x[o + j]! - max) * inv;
    }
  }
  return y;
}

export function softmaxRowsBackward(y: Float32Array, dy: Float32Array, rows: number, n: number, log: boolean): Float32Array {
  const dx = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    if (log) {
      // dx = dy - softmax * sum(dy)
      let s = 0;
      for (let j = 0; j < n; j++) s += dy[o + j]!;
      for (let j = 0; j < n; j++) dx[o + j] = dy[o + j]! - Math.exp(y[o + j]!) * s;
    } else {
      // dx = y * (dy - sum(dy * y))
      let s = 0;
      for (let j = 0; j < n; j++) s += dy[o + j]! * y[o + j]!;
      for (let j = 0; j < n; j++) dx[o + j] = y[o + j]! * (dy[o + j]! - s);
    }
  }
  return dx;
}

export function layerNormRows(x: Float32Array, w: Float32Array | null, b: Float32Array | null, rows: number, n: number, eps: number) {
  const y = new Float32Array(rows * n);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += x[o + j]!;
    const mu = s / n;
    let v = 0;
    for (let j = 0; j < n; j++) {
      const d = x[o + j]! - mu;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / n + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < n; j++) {
      let t = (x[o + j]! - mu) * rs;
      if (w) t *= w[j]!;
      if (b) t += b[j]!;
      y[o + j] = t;
    }
  }
  return { y, mean, rstd };
}

export function layerNormRowsBackward(
  dy: Float32Array, x: Float32Array, w: Float32Array | null, mean: Float32Array, rstd: Float32Array, rows: number, n: number,
  withBias: boolean,
) {
  const dx = new Float32Array(rows * n);
  const dw = w ? new Float64Array(n) : null;
  const db = withBias ? new Float64Array(n) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    const mu = mean[r]!, rs = rstd[r]!;
    // g = dy * w; dx = rs * (g - mean(g) - xhat * mean(g * xhat))
    let sg = 0, sgx = 0;
    for (let j = 0; j < n; j++) {
      const xh = (x[o + j]! - mu) * rs;
      const g = w ? dy[o + j]! * w[j]! : dy[o + j]!;
      sg += g;
      sgx += g * xh;
      if (dw) dw[j] += dy[o + j]! * xh;
      if (db) db[j] += dy[o + j]!;
    }
    sg /= n;
    sgx /= n;
    for (let j = 0; j < n; j++) {
      const xh = (x[o + j]! - mu) * rs;
      const g = w ? dy[o + j]! * w[j]! : dy[o + j]!;
      dx[o + j] = rs * (g - sg - xh * sgx);
    }
  }
  return { dx, dw: dw ? Float32Array.from(dw) : null, db: db ? Float32Array.from(db) : null };
}

function checkTarget(t: number, n: number, ignoreIndex: number): void {
  if (t !== ignoreIndex && (t < 0 || t >= n || !Number.isInteger(t))) {
    throw new TesseraError(`crossEntropy: target ${t} is out of range for ${n} classes`);
  }
}

export function crossEntropyRows(
  logits: Float32Array, targets: ArrayLike<number>, rows: number, n: number, ignoreIndex: number, smoothing: number,
) {
  const losses = new Float32Array(rows);
  const lse = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (logits[o + j]! > max) max = logits[o + j]!;
    let s = 0, sumLogits = 0;
    for (let j = 0; j < n; j++) {
      s += Math.exp(logits[o + j]! - max);
      sumLogits += logits[o + j]!;
    }
    const l = max + Math.log(s);
    lse[r] = l;
    const t = targets[r]!;
    checkTarget(t, n, ignoreIndex);
    if (t === ignoreIndex) continue;
    const nll = l - logits[o + t]!;
    losses[r] = smoothing > 0 ? (1 - smoothing) * nll + smoothing * (l - sumLogits / n) : nll;
  }
  return { losses, lse };
}

export function crossEntropyRowsBackward(
  logits: Float32Array, targets: ArrayLike<number>, lse: Float32Array, dl: Float32Array, rows: number, n: number,
  ignoreIndex: number, smoothing: number,
): Float32Array {
  const dx = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const o = r * n;
    const g = dl[r]!, l = lse[r]!;
    const u = smoothing / n;
    for (let j = 0; j < n; j++) dx[o + j] = g * (Math.exp(logits[o + j]! - l) - u);
    dx[o + t] -= g * (1 - smoothing);
  }
  return dx;
}

interface AttentionSaved {
  probs: Float32Array; // softmax output (B, H, Tq, Tk)
  keep: Float32Array | null; // dropout multipliers (0 or 1/(1-p)), same shape
}

/** Fused attention forward over contiguous (B, H, T, D) Float32Arrays. */
export function attentionForward(args: AttentionArgs, q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, gen: Xoshiro128): { out: Float32Array; probs: Float32Array; saved: unknown } {
  const { B, H, Tq, Tk, D } = args.shape;
  const out = new Float32Array(B * H * Tq * D);
  const probs = new Float32Array(B * H * Tq * Tk);
  const maskOffs = args.mask ? elementOffsets(args.mask.layout) : null;
  const maskBase = args.mask ? args.mask.layout.offset : 0;
  const p = args.dropoutP;
  const keep = p > 0 ? new Float32Array(B * H * Tq * Tk) : null;
  const shift = Tk - Tq;
  const row = new Float32Array(Tk);
  for (let bh = 0; bh < B * H; bh++) {
    const qb = bh * Tq * D, kb = bh * Tk * D;
    for (let i = 0; i < Tq; i++) {
      const qo = qb + i * D;
      const po = (bh * Tq + i) * Tk;
      let max = -Infinity;
      for (let j = 0; j < Tk; j++) {
        let s: number;
        if (args.causal && j > i + shift) s = -Infinity;
        else {
          const ko = kb + j * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qo + d]! * k[ko + d]!;
          s = dot * args.scale;
          if (mask) s += mask[maskOffs ? maskOffs[po + j]! : maskBase + po + j]!;
        }
        row[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      if (max === -Infinity) {
        row.fill(0);
      } else {
        for (let j = 0; j < Tk; j++) {
          const e = Math.exp(row[j]! - max);
          row[j] = e;
          sum += e;
        }
        for (let j = 0; j < Tk; j++) row[j] = row[j]! / sum;
      }
      const oo = (bh * Tq + i) * D;
      for (let j = 0; j < Tk; j++) {
        probs[po + j] = row[j]!;
        let pj = row[j]!;
        if (keep) {
          const kj = gen.uniform() < p ? 0 : 1 / (1 - p);
          keep[po + j] = kj;
          pj *= kj;
        }
        if (pj === 0) continue;
        const vo = kb + j * D;
        for (let d = 0; d < D; d++) out[oo + d] += pj * v[vo + d]!;
      }
    }
  }
  const saved: AttentionSaved = { probs, keep };
  return { out, probs, saved };
}

/** Fused attention backward; returns raw arrays (the backend wraps them). */
export function attentionBackward(args: AttentionArgs, q: Float32Array, k: Float32Array, v: Float32Array, savedAny: unknown, dout: Float32Array) {
  const { B, H, Tq, Tk, D } = args.shape;
  const saved = savedAny as AttentionSaved;
  const dq = new Float32Array(B * H * Tq * D);
  const dk = new Float32Array(B * H * Tk * D);
  const dv = new Float32Array(B * H * Tk * D);
  const dp = new Float32Array(Tk);
  for (let bh = 0; bh < B * H; bh++) {
    const qb = bh * Tq * D, kb = bh * Tk * D;
    for (let i = 0; i < Tq; i++) {
      const po = (bh * Tq + i) * Tk;
      const oo = (bh * Tq + i) * D;
      // dP' = dO V^T; dV += P'^T dO
      let s = 0;
      for (let j = 0; j < Tk; j++) {
        const pr = saved.probs[po + j]!;
        const kj = saved.keep ? saved.keep[po + j]! : 1;
        const vo = kb + j * D;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += dout[oo + d]! * v[vo + d]!;
        const dpj = dot * kj; // through dropout
        dp[j] = dpj;
        s += dpj * pr;
        const pj = pr * kj;
        if (pj !== 0) for (let d = 0; d < D; d++) dv[vo + d] += pj * dout[oo + d]!;
      }
      // dS = P * (dP - sum(dP * P)) * scale
      const qo = qb + i * D;
      for (let j = 0; j < Tk; j++) {
        const ds = saved.probs[po + j]! * (dp[j]! - s) * args.scale;
        if (ds === 0) continue;
        const ko = kb + j * D;
        for (let d = 0; d < D; d++) {
          dq[qo + d] += ds * k[ko + d]!;
          dk[ko + d] += ds * q[qo + d]!;
        }
      }
    }
  }
  return { dq, dk, dv };
}

export function adamwStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamWParams): void {
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  const stepSize = h.lr / bc1;
  const sqrtBc2 = Math.sqrt(bc2);
  const decay = 1 - h.lr * h.weightDecay;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = h.beta1 * m[i]! + (1 - h.beta1) * gi;
    const vi = h.beta2 * v[i]! + (1 - h.beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! * decay - stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + h.eps);
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function lstmCellForward(gates: Float32Array, cPrev: Float32Array, B: number, H: number) {
  const h = new Float32Array(B * H);
  const c = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const go = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const ig = sigmoid(gates[go + j]!);
      const fg = sigmoid(gates[go + H + j]!);
      const gg = Math.tanh(gates[go + 2 * H + j]!);
      const og = sigmoid(gates[go + 3 * H + j]!);
      const cj = fg * cPrev[b * H + j]! + ig * gg;
      c[b * H + j] = cj;
      h[b * H + j] = og * Math.tanh(cj);
    }
  }
  return { h, c };
}

export function lstmCellBackwardRows(gates: Float32Array, cPrev: Float32Array, c: Float32Array, dh: Float32Array, dc: Float32Array, B: number, H: number) {
  const dgates = new Float32Array(B * 4 * H);
  const dcPrev = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const go = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const ig = sigmoid(gates[go + j]!);
      const fg = sigmoid(gates[go + H + j]!);
      const gg = Math.tanh(gates[go + 2 * H + j]!);
      const og = sigmoid(gates[go + 3 * H + j]!);
      const tc = Math.tanh(c[b * H + j]!);
      const dhj = dh[b * H + j]!;
      const dct = dc[b * H + j]! + dhj * og * (1 - tc * tc);
      dgates[go + j] = dct * gg * ig * (1 - ig);
      dgates[go + H + j] = dct * cPrev[b * H + j]! * fg * (1 - fg);
      dgates[go + 2 * H + j] = dct * ig * (1 - gg * gg);
      dgates[go + 3 * H + j] = dhj * tc * og * (1 - og);
      dcPrev[b * H + j] = dct * fg;
    }
  }
  return { dgates, dcPrev };
}
