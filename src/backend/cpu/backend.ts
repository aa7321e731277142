// The native cpu backend: every Backend method forwards to the C++ addon (SIMD kernels, thread pool), with
// the same semantics as cpu-js. Results are fresh native storages; the addon runs each op to completion
// inside the call, a valid implementation of the asynchronous contract. bfloat16 is a compute type: matmul
// runs on bf16 operands (AVX512-BF16 where present); other ops compute bf16 inputs through float32 copies.
import { TesseraError } from '../../errors.js';
import {
  contiguousLayout, numel,
  type AdamWParams, type AttentionArgs, type AttentionResult, type Backend, type BinaryOp, type Layout, type MapOp,
  type MatmulEpilogue, type ReduceOp, type Storage,
} from '../backend.js';
import type { DType, HostArray } from '../../tensor/dtype.js';
import type { Handle, NativeAddon } from './addon.js';
import { ACTIVATION_CODES, BINARY_CODES, COMPARE_OPS, DTYPE_CODES, encodeLayout, MAP_CODES, REDUCE_CODES } from './codes.js';
import { handleOf, NativeStorage } from './storage.js';

/** What the fused attention forward keeps for its backward: the probabilities and the dropout mask. */
interface NativeAttentionSaved {
  probs: NativeStorage;
  keep: NativeStorage | null;
}

function hostArrayOf(buf: ArrayBuffer, dtype: DType): HostArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float16': case 'bfloat16': return new Uint16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint8': case 'bool': return new Uint8Array(buf);
  }
}

/** The host array kind the addon copies bytes from for a dtype, converting other kinds as a typed-array set does. */
function hostForDType(data: HostArray, dtype: DType): ArrayBufferView {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number | bigint>, Number);
    case 'float16': case 'bfloat16': return data instanceof Uint16Array ? data : Uint16Array.from(data as ArrayLike<number | bigint>, Number);
    case 'int32': return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number | bigint>, Number);
    case 'int64': {
      if (data instanceof BigInt64Array) return data;
      const out = new BigInt64Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = BigInt(Math.trunc(Number(data[i]!)));
      return out;
    }
    case 'uint8': return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number | bigint>, Number);
    case 'bool': {
      if (data instanceof Uint8Array) return data;
      const out = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!) !== 0 ? 1 : 0;
      return out;
    }
  }
}

const f64 = (xs: readonly number[]) => Float64Array.from(xs);

/** The q, k, v views of strided attention as one array of three encoded layouts (null: all contiguous). */
function encodeAttentionLayouts(args: AttentionArgs): Float64Array | null {
  const l = args.layouts;
  if (!l) return null;
  const parts = [encodeLayout(l.q), encodeLayout(l.k), encodeLayout(l.v)];
  for (const [i, p] of parts.entries()) {
    if (p.length !== 10) throw new TesseraError(`cpu attention: ${'qkv'[i]} layout must be 4-D (B, H, T, D), got ${p[0]} dims`);
  }
  const out = new Float64Array(30);
  parts.forEach((p, i) => out.set(p, 10 * i));
  return out;
}

export class NativeCpuBackend implements Backend {
  readonly name = 'cpu';
  readonly device = 'cpu';
  readonly computeDTypes: readonly DType[] = ['float32', 'bfloat16', 'int32', 'int64', 'uint8', 'bool'];
  readonly attentionStrided = true;

  constructor(private readonly addon: NativeAddon) {}

  /** A float32 storage with the elements of (s, layout) — s itself when it already is one (layout unchanged). */
  private asF32(s: Storage, layout: Layout): { s: Storage; layout: Layout; temp: boolean } {
    if (s.dtype === 'float32') return { s, layout, temp: false };
    return { s: this.copy(s, layout, 'float32'), layout: contiguousLayout(layout.shape), temp: true };
  }

  /** Float32 copy of a contiguous storage of a half type (the fused ops' inputs), else the storage itself. */
  private denseF32(s: Storage): Storage {
    return s.dtype === 'bfloat16' || s.dtype === 'float16' ? this.copy(s, contiguousLayout([s.length]), 'float32') : s;
  }

  private toBf16(s: Storage): Storage {
    const out = this.copy(s, contiguousLayout([s.length]), 'bfloat16');
    this.release(s);
    return out;
  }

  private done(...temps: { s: Storage; temp: boolean }[]): void {
    for (const t of temps) if (t.temp) this.release(t.s);
  }

  private wrap(dtype: DType, length: number, h: Handle): NativeStorage {
    return new NativeStorage(dtype, length, h);
  }

  private f32(h: Handle, length: number): NativeStorage {
    return new NativeStorage('float32', length, h);
  }

  // --- memory ---
  zeros(dtype: DType, length: number): Storage {
    return this.wrap(dtype, length, this.addon.zeros(DTYPE_CODES[dtype], length));
  }

  full(dtype: DType, length: number, value: number): Storage {
    return this.wrap(dtype, length, this.addon.full(DTYPE_CODES[dtype], length, value));
  }

  arange(dtype: DType, start: number, step: number, length: number): Storage {
    return this.wrap(dtype, length, this.addon.arange(DTYPE_CODES[dtype], start, step, length));
  }

  fromHost(data: HostArray, dtype: DType): Storage {
    return this.wrap(dtype, data.length, this.addon.fromHost(hostForDType(data, dtype), DTYPE_CODES[dtype]));
  }

  toHost(src: Storage, layout: Layout): HostArray {
    return hostArrayOf(this.addon.toHost(handleOf(src, 'toHost'), encodeLayout(layout)), src.dtype);
  }

  copy(src: Storage, layout: Layout, dtype: DType): Storage {
    return this.wrap(dtype, numel(layout.shape), this.addon.copy(handleOf(src, 'copy'), encodeLayout(layout), DTYPE_CODES[dtype]));
  }

  copyInto(dst: Storage, dstLayout: Layout, src: Storage, srcLayout: Layout): void {
    if (dst.dtype !== src.dtype) throw new TesseraError(`copyInto: dtype ${src.dtype} into ${dst.dtype}`);
    this.addon.copyInto(handleOf(dst, 'copyInto'), encodeLayout(dstLayout), handleOf(src, 'copyInto'), encodeLayout(srcLayout));
  }

  /** Frees the storage's memory now; using it afterwards throws. */
  release(s: Storage): void {
    this.addon.release(handleOf(s, 'release'));
  }

  synchronize(): void {}

  // --- elementwise ---
  map(op: MapOp, x: Storage, layout: Layout, args: readonly number[] = []): Storage {
    if (x.dtype === 'bfloat16') {
      const f = this.asF32(x, layout);
      const r = this.map(op, f.s, f.layout, args);
      this.done(f);
      return r.dtype === 'float32' ? this.toBf16(r) : r;
    }
    const out: DType = op === 'logicalNot' ? 'bool' : x.dtype;
    const h = this.addon.map(MAP_CODES.get(op)!, handleOf(x, `map ${op}`), encodeLayout(layout), args[0] ?? 0, args[1] ?? 0);
    return this.wrap(out, numel(layout.shape), h);
  }

  binary(op: BinaryOp, a: Storage, aLayout: Layout, b: Storage, bLayout: Layout): Storage {
    if (a.dtype !== b.dtype) throw new TesseraError(`binary ${op}: dtypes ${a.dtype} and ${b.dtype} differ`);
    if (a.dtype === 'bfloat16') {
      const fa = this.asF32(a, aLayout), fb = this.asF32(b, bLayout);
      const r = this.binary(op, fa.s, fa.layout, fb.s, fb.layout);
      this.done(fa, fb);
      return r.dtype === 'float32' ? this.toBf16(r) : r;
    }
    const out: DType = COMPARE_OPS.has(op) ? 'bool' : a.dtype;
    const h = this.addon.binary(BINARY_CODES.get(op)!, handleOf(a, `binary ${op}`), encodeLayout(aLayout), handleOf(b, `binary ${op}`), encodeLayout(bLayout));
    return this.wrap(out, numel(aLayout.shape), h);
  }

  where(cond: Storage, cl: Layout, a: Storage, al: Layout, b: Storage, bl: Layout): Storage {
    if (a.dtype !== b.dtype) throw new TesseraError(`where: dtypes ${a.dtype} and ${b.dtype} differ`);
    const h = this.addon.where(handleOf(cond, 'where'), encodeLayout(cl), handleOf(a, 'where'), encodeLayout(al), handleOf(b, 'where'), encodeLayout(bl));
    return this.wrap(a.dtype, numel(al.shape), h);
  }

  // --- reductions ---
  reduce(op: ReduceOp, x: Storage, layout: Layout, axes: readonly number[]): Storage {
    if (x.dtype === 'bfloat16') {
      const f = this.asF32(x, layout);
      const r = this.reduce(op, f.s, f.layout, axes);
      this.done(f);
      return r.dtype === 'float32' ? this.toBf16(r) : r;
    }
    let out: DType = x.dtype;
    if (op === 'argmax' || op === 'argmin') out = 'int64';
    else if ((x.dtype === 'bool' || x.dtype === 'uint8') && (op === 'sum' || op === 'prod')) out = 'int64';
    const n = numel(layout.shape.filter((_, i) => !axes.includes(i)));
    return this.wrap(out, n, this.addon.reduce(REDUCE_CODES.get(op)!, handleOf(x, `reduce ${op}`), encodeLayout(layout), f64(axes)));
  }

  // --- matmul ---
  matmul(a: Storage, al: Layout, b: Storage, bl: Layout, epilogue?: MatmulEpilogue): Storage {
    const nd = al.shape.length;
    const n = numel(al.shape.slice(0, nd - 1)) * bl.shape[nd - 1]!;
    const bias = epilogue?.bias ? handleOf(epilogue.bias, 'matmul') : null;
    const act = ACTIVATION_CODES[epilogue?.activation ?? 'none'];
    const h = this.addon.matmul(handleOf(a, 'matmul'), encodeLayout(al), handleOf(b, 'matmul'), encodeLayout(bl), bias, act);
    return this.wrap(a.dtype === 'bfloat16' && b.dtype === 'bfloat16' ? 'bfloat16' : 'float32', n, h);
  }

  // --- indexing ---
  indexSelect(x: Storage, layout: Layout, axis: number, index: Storage, indexLayout: Layout): Storage {
    const shape = [...layout.shape];
    shape[axis] = numel(indexLayout.shape);
    const h = this.addon.indexSelect(handleOf(x, 'indexSelect'), encodeLayout(layout), axis, handleOf(index, 'indexSelect'), encodeLayout(indexLayout));
    return this.wrap(x.dtype, numel(shape), h);
  }

  indexAdd(shape: readonly number[], axis: number, index: Storage, indexLayout: Layout, src: Storage, srcLayout: Layout): Storage {
    const h = this.addon.indexAdd(f64(shape), axis, handleOf(index, 'indexAdd'), encodeLayout(indexLayout), handleOf(src, 'indexAdd'), encodeLayout(srcLayout));
    return this.f32(h, numel(shape));
  }

  gather(x: Storage, layout: Layout, axis: number, index: Storage, indexLayout: Layout): Storage {
    const h = this.addon.gather(handleOf(x, 'gather'), encodeLayout(layout), axis, handleOf(index, 'gather'), encodeLayout(indexLayout));
    return this.wrap(x.dtype, numel(indexLayout.shape), h);
  }

  scatterAdd(shape: readonly number[], axis: number, index: Storage, indexLayout: Layout, src: Storage, srcLayout: Layout): Storage {
    const h = this.addon.scatterAdd(f64(shape), axis, handleOf(index, 'scatterAdd'), encodeLayout(indexLayout), handleOf(src, 'scatterAdd'), encodeLayout(srcLayout));
    return this.f32(h, numel(shape));
  }

  // --- convolution helpers ---
  unfold(x: Storage, layout: Layout, kernel: [number, number], stride: [number, number], padding: [number, number]): Storage {
    const [B, C, H, W] = layout.shape as [number, number, number, number];
    const Ho = Math.floor((H + 2 * padding[0] - kernel[0]) / stride[0]) + 1, Wo = Math.floor((W + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
    const h = this.addon.unfold(handleOf(x, 'unfold'), encodeLayout(layout), f64(kernel), f64(stride), f64(padding));
    return this.f32(h, B * C * kernel[0] * kernel[1] * Ho * Wo);
  }

  fold(cols: Storage, shape: readonly [number, number, number, number], kernel: [number, number], stride: [number, number], padding: [number, number]): Storage {
    return this.f32(this.addon.fold(handleOf(cols, 'fold'), f64(shape), f64(kernel), f64(stride), f64(padding)), numel(shape));
  }

  // --- randomness ---
  manualSeed(seed: number): void {
    this.addon.manualSeed(seed);
  }

  random(kind: 'uniform' | 'normal', length: number, a: number, b: number): Storage {
    return this.f32(this.addon.random(kind === 'uniform' ? 0 : 1, length, a, b), length);
  }

  getRngState(): number[] {
    return this.addon.getRngState();
  }

  setRngState(state: readonly number[]): void {
    this.addon.setRngState(f64(state));
  }

  // --- fused ---
  softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    return this.f32(this.addon.softmax(handleOf(x, 'softmax'), rows, n, log), rows * n);
  }

  softmaxBackward(y: Storage, dy: Storage, rows: number, n: number, log: boolean): Storage {
    return this.f32(this.addon.softmaxBackward(handleOf(y, 'softmax'), handleOf(dy, 'softmax'), rows, n, log), rows * n);
  }

  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, n: number, eps: number) {
    const [y, mean, rstd] = this.addon.layerNorm(handleOf(x, 'layerNorm'), weight && handleOf(weight, 'layerNorm'), bias && handleOf(bias, 'layerNorm'), rows, n, eps);
    return { y: this.f32(y, rows * n), mean: this.f32(mean, rows), rstd: this.f32(rstd, rows) };
  }

  addLayerNorm(x: Storage, residual: Storage, weight: Storage | null, bias: Storage | null, rows: number, n: number, eps: number): Storage {
    const h = this.addon.addLayerNorm(handleOf(x, 'addLayerNorm'), handleOf(residual, 'addLayerNorm'), weight && handleOf(weight, 'addLayerNorm'),
      bias && handleOf(bias, 'addLayerNorm'), rows, n, eps);
    return this.f32(h, rows * n);
  }

  layerNormBackward(dy: Storage, x: Storage, weight: Storage | null, mean: Storage, rstd: Storage, rows: number, n: number) {
    const [dx, dw, db] = this.addon.layerNormBackward(handleOf(dy, 'layerNorm'), handleOf(x, 'layerNorm'), weight && handleOf(weight, 'layerNorm'),
      handleOf(mean, 'layerNorm'), handleOf(rstd, 'layerNorm'), rows, n);
    return { dx: this.f32(dx, rows * n), dweight: dw ? this.f32(dw, n) : null, dbias: this.f32(db, n) };
  }

  crossEntropy(logits: Storage, targets: Storage, rows: number, n: number, ignoreIndex: number, labelSmoothing: number): { losses: Storage; lse: Storage } {
    if (logits.dtype !== 'float32') {
      // half logits: losses and logsumexp in float32 from a float32 copy
      const l32 = this.denseF32(logits);
      const r = this.crossEntropy(l32, targets, rows, n, ignoreIndex, labelSmoothing);
      this.release(l32);
      return r;
    }
    const [losses, lse] = this.addon.crossEntropy(handleOf(logits, 'crossEntropy'), handleOf(targets, 'crossEntropy'), rows, n, ignoreIndex, labelSmoothing);
    return { losses: this.f32(losses, rows), lse: this.f32(lse, rows) };
  }

  crossEntropyBackward(logits: Storage, targets: Storage, lse: Storage, dlosses: Storage, rows: number, n: number, ignoreIndex: number, labelSmoothing: number): Storage {
    if (logits.dtype !== 'float32') {
      // the gradient takes the logits' dtype
      const l32 = this.denseF32(logits);
      const d = this.crossEntropyBackward(l32, targets, lse, this.denseF32(dlosses), rows, n, ignoreIndex, labelSmoothing);
      this.release(l32);
      return logits.dtype === 'bfloat16' ? this.toBf16(d) : d;
    }
    const h = this.addon.crossEntropyBackward(handleOf(logits, 'crossEntropy'), handleOf(targets, 'crossEntropy'), handleOf(lse, 'crossEntropy'),
      handleOf(dlosses, 'crossEntropy'), rows, n, ignoreIndex, labelSmoothing);
    return this.f32(h, rows * n);
  }

  attention(args: AttentionArgs): AttentionResult {
    if (args.q.dtype === 'bfloat16') {
      // bf16 attention (autocast): computed in float32, the output rounded to bf16
      if (args.layouts || args.outLayout === 'bthd') throw new TesseraError('cpu attention: strided q/k/v and the bthd output are float32 only');
      const q = this.denseF32(args.q), k = this.denseF32(args.k), v = this.denseF32(args.v);
      const r = this.attention({ ...args, q, k, v });
      for (const t of [q, k, v]) this.release(t);
      return { out: this.toBf16(r.out), probs: r.probs, saved: r.saved };
    }
    const { B, H, Tq, Tk, D } = args.shape;
    const [out, probs, keep] = this.addon.attention(handleOf(args.q, 'attention'), handleOf(args.k, 'attention'), handleOf(args.v, 'attention'),
      B, H, Tq, Tk, D, args.mask ? handleOf(args.mask.storage, 'attention') : null, args.mask ? encodeLayout(args.mask.layout) : null,
      args.causal, args.scale, args.dropoutP, args.returnProbs || args.needsBackward !== false,
      encodeAttentionLayouts(args), args.outLayout === 'bthd');
    if (!probs) return { out: this.f32(out, B * H * Tq * D), saved: null };
    const saved: NativeAttentionSaved = {
      probs: this.f32(probs, B * H * Tq * Tk),
      keep: keep ? this.wrap('uint8', B * H * Tq * Tk, keep) : null,
    };
    return { out: this.f32(out, B * H * Tq * D), probs: args.returnProbs ? saved.probs : undefined, saved };
  }

  attentionBackward(args: AttentionArgs, result: AttentionResult, dout: Storage): { dq: Storage; dk: Storage; dv: Storage } {
    if (args.q.dtype === 'bfloat16') {
      const q = this.denseF32(args.q), k = this.denseF32(args.k), v = this.denseF32(args.v), d = this.denseF32(dout);
      const g = this.attentionBackward({ ...args, q, k, v }, result, d);
      for (const t of [q, k, v, d]) this.release(t);
      return { dq: this.toBf16(g.dq), dk: this.toBf16(g.dk), dv: this.toBf16(g.dv) };
    }
    const { B, H, Tq, Tk, D } = args.shape;
    const saved = result.saved as NativeAttentionSaved;
    if (!saved || !(saved.probs instanceof NativeStorage)) throw new TesseraError('cpu attentionBackward: the forward result is not from the cpu device');
    const [dq, dk, dv] = this.addon.attentionBackward(handleOf(args.q, 'attention'), handleOf(args.k, 'attention'), handleOf(args.v, 'attention'),
      B, H, Tq, Tk, D, saved.probs.handle, saved.keep ? saved.keep.handle : null, args.dropoutP, args.scale, handleOf(dout, 'attention'), args.causal,
      encodeAttentionLayouts(args));
    return { dq: this.f32(dq, B * H * Tq * D), dk: this.f32(dk, B * H * Tk * D), dv: this.f32(dv, B * H * Tk * D) };
  }

  adamw(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamWParams): void {
    this.addon.adamw(handleOf(param, 'adamw'), handleOf(grad, 'adamw'), handleOf(m, 'adamw'), handleOf(v, 'adamw'),
      p.lr, p.beta1, p.beta2, p.eps, p.weightDecay, p.step);
  }

  lstmCell(gates: Storage, cPrev: Storage, B: number, H: number) {
    const [h, c] = this.addon.lstmCell(handleOf(gates, 'lstmCell'), handleOf(cPrev, 'lstmCell'), B, H);
    return { h: this.f32(h, B * H), c: this.f32(c, B * H) };
  }

  lstmCellBackward(gates: Storage, cPrev: Storage, c: Storage, dh: Storage, dc: Storage, B: number, H: number) {
    const [dgates, dcPrev] = this.addon.lstmCellBackward(handleOf(gates, 'lstmCell'), handleOf(cPrev, 'lstmCell'), handleOf(c, 'lstmCell'),
      handleOf(dh, 'lstmCell'), handleOf(dc, 'lstmCell'), B, H);
    return { dgates: this.f32(dgates, B * 4 * H), dcPrev: this.f32(dcPrev, B * H) };
  }
}
