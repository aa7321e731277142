// The cuda backend: every Backend method enqueues kernels on the device's stream and returns at once;
// only toHost (and synchronize) wait. Storages come from the addon's caching allocator and go back to it
// when their JS objects are collected (see memory.ts). AdamW steps issued back to back with the same
// hyper-parameters are sent as one multi-tensor launch when the next other op (or a read) arrives.
import { TesseraError } from '../../errors.js';
import {
  contiguousLayout, isContiguous, numel,
  type AdamWParams, type AttentionArgs, type AttentionGrads, type AttentionResult, type Backend, type BinaryOp, type Layout, type MapOp,
  type MatmulEpilogue, type ReduceOp, type Storage,
} from '../backend.js';
import { allocHost, type DType, type HostArray } from '../../tensor/dtype.js';
import type { CudaAddon, Handle } from './addon.js';
import { composedAttention, composedAttentionBackward, type ComposedSaved } from './attention-composed.js';
import {
  ACTIVATION_CODES, BINARY_CODES, COMPARE_OPS, DTYPE_CODES, encodeLayout, hostArrayOf, hostBytesFor, MAP_CODES, REDUCE_CODES,
} from './codes.js';
import { DeviceMemory } from './memory.js';
import { constantInts, CudaStorage, handleOf, intValuesOf, type IntValues } from './storage.js';

/**
 * What the fused attention forward keeps: its output, the per-row logsumexp, the dropout stream position and,
 * with dropout on the tensor-core path, the keep bits (one per probability) the backward reads instead of
 * drawing the mask again.
 */
interface FlashSaved {
  kind: 'flash';
  out: CudaStorage;
  lse: CudaStorage;
  rng: [number, number, number, number];
  keepBits: CudaStorage | null;
}

interface PendingAdam {
  handles: Handle[];
  /** The storages the pending steps read or write: an op touching one of them launches the steps first. */
  storages: Set<Storage>;
  p: AdamWParams;
}

/** The largest head dim the fused attention kernels take; above it attention is composed. */
export const FUSED_ATTENTION_MAX_HEAD_DIM = 128;

const f64 = (xs: readonly number[]) => Float64Array.from(xs);

const HALF: ReadonlySet<DType> = new Set(['bfloat16', 'float16']);

/** The gradient orders of attentionBackward, by the code the addon takes and returns. */
const GRAD_LAYOUTS = ['bhtd', 'bthd', 'packed'] as const;

/** Settings shared by every cuda device of the process. */
export const cudaSettings = {
  /** Let float32 matmuls and the attention forward use TF32 tensor cores (10-bit mantissa products, float32 accumulation). */
  allowTF32: process.env.TESSERA_CUDA_TF32 === '1',
};

/** Offsets of every element of a layout in row-major order (host-side walk, for range checks of small id tensors). */
function* layoutOffsets(l: Layout): Generator<number> {
  const n = numel(l.shape);
  const nd = l.shape.length;
  const idx = new Array<number>(nd).fill(0);
  for (let k = 0; k < n; k++) {
    let off = l.offset;
    for (let d = 0; d < nd; d++) off += idx[d]! * l.strides[d]!;
    yield off;
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d]! < l.shape[d]!) break;
      idx[d] = 0;
    }
  }
}

export class CudaBackend implements Backend {
  readonly name = 'cuda';
  readonly device: string;
  readonly computeDTypes: readonly DType[] = ['float32', 'bfloat16', 'float16', 'int32', 'int64', 'uint8', 'bool'];
  /** Attention reads strided head views in place and writes (B, Tq, H, D) when asked. */
  readonly attentionStrided = true;
  /** Half head views are read in place too (the tensor-core kernels take 8-element-aligned views). */
  readonly attentionStridedDTypes: readonly DType[] = ['float32', 'bfloat16', 'float16'];
  /** A float32 and a half operand, dense and of one shape, add/sub/mul/div as they are (float32 out). */
  readonly mixedFloatBinary: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div'];
  /** addLayerNorm reads half x / residual as they are (sums in float32). */
  readonly addLayerNormDTypes: readonly DType[] = ['float32', 'bfloat16', 'float16'];
  readonly memory: DeviceMemory;
  private pendingAdam: PendingAdam | null = null;

  constructor(readonly addon: CudaAddon, readonly index: number) {
    this.device = `cuda:${index}`;
    this.memory = new DeviceMemory(addon, index, addon.deviceInfo(index).totalMemory);
  }

  // --- plumbing ---

  /** Runs one addon call with an out-of-memory retry, then the collector check. */
  private call<T>(fn: () => T): T {
    const r = this.memory.retryOnOom(fn);
    this.memory.afterAlloc();
    return r;
  }

  /** The handle of a storage an op uses; pending AdamW steps on that storage are launched first (stream order). */
  private h(s: Storage, op: string): Handle {
    if (this.pendingAdam && this.pendingAdam.storages.has(s)) this.flushAdam();
    return handleOf(s, op, this.index);
  }

  private wrap(dtype: DType, length: number, handle: Handle, ints?: IntValues): CudaStorage {
    return new CudaStorage(dtype, length, handle, this.index, ints);
  }

  /** A float32 copy of a storage of another float dtype (the fused kernels take float32). */
  private asF32(s: Storage, op: string): Storage {
    if (s.dtype === 'float32') return s;
    return this.wrap('float32', s.length, this.addon.copy(this.h(s, op), encodeLayout(contiguousLayout([s.length])), DTYPE_CODES.float32));
  }

  private flushAdam(): void {
    const pending = this.pendingAdam;
    if (!pending) return;
    this.pendingAdam = null;
    const { p } = pending;
    this.memory.retryOnOom(() => this.addon.adamwMulti(pending.handles, p.lr, p.beta1, p.beta2, p.eps, p.weightDecay, p.step));
  }

  knownInts(s: Storage): IntValues | null {
    return s instanceof CudaStorage ? (s.ints ?? null) : null;
  }

  /** Throws the cpu-js message for the first id outside [0, size) when the host knows the ids. */
  private checkIds(op: string, index: Storage, layout: Layout, size: number, axis: number): void {
    const ints = index instanceof CudaStorage ? index.ints : undefined;
    if (!ints || (ints.min >= 0 && ints.max < size)) return;
    const bad = (id: number) => new TesseraError(`${op}: index ${id} is out of range for dimension ${axis} of size ${size}`);
    if (ints.values) {
      for (const off of layoutOffsets(layout)) {
        const id = ints.values[off]!;
        if (id < 0 || id >= size) throw bad(id);
      }
      return;
    }
    if (layout.offset === 0 && numel(layout.shape) === index.length) throw bad(ints.min < 0 ? ints.min : ints.max);
    // a partial view of a large id tensor: the device checks and reports at the next read
  }

  // --- memory ---
  zeros(dtype: DType, length: number): Storage {
    return this.call(() => this.wrap(dtype, length, this.addon.zeros(this.index, DTYPE_CODES[dtype], length), constantInts(0, dtype)));
  }

  full(dtype: DType, length: number, value: number): Storage {
    return this.call(() => this.wrap(dtype, length, this.addon.full(this.index, DTYPE_CODES[dtype], length, value), constantInts(value, dtype)));
  }

  arange(dtype: DType, start: number, step: number, length: number): Storage {
    const last = start + Math.max(length - 1, 0) * step;
    const ints = constantInts(Math.min(start, last), dtype);
    if (ints) ints.max = Math.max(start, last);
    return this.call(() => this.wrap(dtype, length, this.addon.arange(this.index, DTYPE_CODES[dtype], start, step, length), ints));
  }

  fromHost(data: HostArray, dtype: DType): Storage {
    const bytes = hostBytesFor(data, dtype);
    return this.call(() => this.wrap(dtype, data.length, this.addon.fromHost(this.index, bytes, DTYPE_CODES[dtype]), intValuesOf(data as ArrayLike<number | bigint>, dtype)));
  }

  toHost(src: Storage, layout: Layout): HostArray {
    // ids made from host data are still known exactly on the host: no device round trip
    if (this.pendingAdam?.storages.has(src)) this.flushAdam();
    const known = src instanceof CudaStorage ? src.ints?.values : undefined;
    if (known && known.length === src.length && src.dtype !== 'bool') {
      const out = allocHost(src.dtype, numel(layout.shape));
      const n = out.length;
      if (isContiguous(layout)) {
        const o = layout.offset;
        if (out instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = BigInt(known[o + i]!);
        else for (let i = 0; i < n; i++) out[i] = known[o + i]!;
        return out;
      }
      let i = 0;
      if (out instanceof BigInt64Array) for (const off of layoutOffsets(layout)) out[i++] = BigInt(known[off]!);
      else for (const off of layoutOffsets(layout)) out[i++] = known[off]!;
      return out;
    }
    return this.call(() => hostArrayOf(this.addon.toHost(this.h(src, 'toHost'), encodeLayout(layout)), src.dtype));
  }

  copy(src: Storage, layout: Layout, dtype: DType): Storage {
    const n = numel(layout.shape);
    let ints: IntValues | undefined;
    if (src instanceof CudaStorage && src.ints && dtype !== 'bool' && DTYPE_CODES[dtype] >= 3 && layout.offset === 0 && n === src.length && isContiguous(layout)) {
      ints = src.ints;
    }
    return this.call(() => this.wrap(dtype, n, this.addon.copy(this.h(src, 'copy'), encodeLayout(layout), DTYPE_CODES[dtype]), ints));
  }

  copyInto(dst: Storage, dstLayout: Layout, src: Storage, srcLayout: Layout): void {
    if (dst.dtype !== src.dtype) throw new TesseraError(`copyInto: dtype ${src.dtype} into ${dst.dtype}`);
    if (dst instanceof CudaStorage) dst.ints = undefined;
    this.call(() => this.addon.copyInto(this.h(dst, 'copyInto'), encodeLayout(dstLayout), this.h(src, 'copyInto'), encodeLayout(srcLayout)));
  }

  /** Gives the storage's block back to the caching allocator now; using it afterwards throws. */
  release(s: Storage): void {
    this.call(() => this.addon.release(this.h(s, 'release')));
  }

  synchronize(): void {
    this.flushAdam();
    this.call(() => this.addon.synchronize(this.index));
  }

  // --- elementwise ---
  map(op: MapOp, x: Storage, layout: Layout, args: readonly number[] = []): Storage {
    const out: DType = op === 'logicalNot' ? 'bool' : x.dtype;
    return this.call(() => this.wrap(out, numel(layout.shape), this.addon.map(MAP_CODES.get(op)!, this.h(x, `map ${op}`), encodeLayout(layout), args[0] ?? 0, args[1] ?? 0)));
  }

  binary(op: BinaryOp, a: Storage, aLayout: Layout, b: Storage, bLayout: Layout): Storage {
    const mixed = a.dtype !== b.dtype && this.mixedFloatBinary.includes(op) && (a.dtype === 'float32' || b.dtype === 'float32') &&
      HALF.has(a.dtype === 'float32' ? b.dtype : a.dtype);
    if (a.dtype !== b.dtype && !mixed) throw new TesseraError(`binary ${op}: dtypes ${a.dtype} and ${b.dtype} differ`);
    const out: DType = COMPARE_OPS.has(op) ? 'bool' : mixed ? 'float32' : a.dtype;
    return this.call(() => this.wrap(out, numel(aLayout.shape),
      this.addon.binary(BINARY_CODES.get(op)!, this.h(a, `binary ${op}`), encodeLayout(aLayout), this.h(b, `binary ${op}`), encodeLayout(bLayout))));
  }

  where(cond: Storage, cl: Layout, a: Storage, al: Layout, b: Storage, bl: Layout): Storage {
    if (a.dtype !== b.dtype) throw new TesseraError(`where: dtypes ${a.dtype} and ${b.dtype} differ`);
    let c = cond, cLayout = cl;
    if (cond.dtype !== 'bool' && cond.dtype !== 'uint8') {
      c = this.copy(cond, cl, 'bool');
      cLayout = contiguousLayout(cl.shape);
    }
    return this.call(() => this.wrap(a.dtype, numel(al.shape),
      this.addon.where(this.h(c, 'where'), encodeLayout(cLayout), this.h(a, 'where'), encodeLayout(al), this.h(b, 'where'), encodeLayout(bl))));
  }

  // --- reductions ---
  reduce(op: ReduceOp, x: Storage, layout: Layout, axes: readonly number[]): Storage {
    let out: DType = x.dtype;
    if (op === 'argmax' || op === 'argmin') out = 'int64';
    else if ((x.dtype === 'bool' || x.dtype === 'uint8') && (op === 'sum' || op === 'prod')) out = 'int64';
    const n = numel(layout.shape.filter((_, i) => !axes.includes(i)));
    return this.call(() => this.wrap(out, n, this.addon.reduce(REDUCE_CODES.get(op)!, this.h(x, `reduce ${op}`), encodeLayout(layout), f64(axes))));
  }

  // --- matmul ---
  matmul(a: Storage, al: Layout, b: Storage, bl: Layout, epilogue?: MatmulEpilogue): Storage {
    if (a.dtype !== b.dtype) throw new TesseraError(`matmul: dtypes ${a.dtype} and ${b.dtype} differ`);
    const nd = al.shape.length;
    const n = numel(al.shape.slice(0, nd - 1)) * bl.shape[nd - 1]!;
    const bias = epilogue?.bias ? this.h(epilogue.bias, 'matmul') : null;
    const act = ACTIVATION_CODES[epilogue?.activation ?? 'none'];
    return this.call(() => this.wrap(a.dtype, n,
      this.addon.matmul(this.h(a, 'matmul'), encodeLayout(al), this.h(b, 'matmul'), encodeLayout(bl), bias, act, cudaSettings.allowTF32)));
  }

  // --- indexing ---
  indexSelect(x: Storage, layout: Layout, axis: number, index: Storage, indexLayout: Layout): Storage {
    this.checkIds('indexSelect', index, indexLayout, layout.shape[axis]!, axis);
    const shape = [...layout.shape];
    shape[axis] = numel(indexLayout.shape);
    return this.call(() => this.wrap(x.dtype, numel(shape),
      this.addon.indexSelect(this.h(x, 'indexSelect'), encodeLayout(layout), axis, this.h(index, 'indexSelect'), encodeLayout(indexLayout))));
  }

  indexAdd(shape: readonly number[], axis: number, index: Storage, indexLayout: Layout, src: Storage, srcLayout: Layout): Storage {
    this.checkIds('indexAdd', index, indexLayout, shape[axis]!, axis);
    return this.call(() => this.wrap('float32', numel(shape),
      this.addon.indexAdd(this.index, f64(shape), axis, this.h(index, 'indexAdd'), encodeLayout(indexLayout), this.h(src, 'indexAdd'), encodeLayout(srcLayout))));
  }

  gather(x: Storage, layout: Layout, axis: number, index: Storage, indexLayout: Layout): Storage {
    this.checkIds('gather', index, indexLayout, layout.shape[axis]!, axis);
    return this.call(() => this.wrap(x.dtype, numel(indexLayout.shape),
      this.addon.gather(this.h(x, 'gather'), encodeLayout(layout), axis, this.h(index, 'gather'), encodeLayout(indexLayout))));
  }

  scatterAdd(shape: readonly number[], axis: number, index: Storage, indexLayout: Layout, src: Storage, srcLayout: Layout): Storage {
    this.checkIds('scatterAdd', index, indexLayout, shape[axis]!, axis);
    return this.call(() => this.wrap('float32', numel(shape),
      this.addon.scatterAdd(this.index, f64(shape), axis, this.h(index, 'scatterAdd'), encodeLayout(indexLayout), this.h(src, 'scatterAdd'), encodeLayout(srcLayout))));
  }

  // --- convolution helpers ---
  unfold(x: Storage, layout: Layout, kernel: [number, number], stride: [number, number], padding: [number, number]): Storage {
    const [B, C, H, W] = layout.shape as [number, number, number, number];
    const Ho = Math.floor((H + 2 * padding[0] - kernel[0]) / stride[0]) + 1, Wo = Math.floor((W + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
    return this.call(() => this.wrap('float32', B * C * kernel[0] * kernel[1] * Ho * Wo,
      this.addon.unfold(this.h(x, 'unfold'), encodeLayout(layout), f64(kernel), f64(stride), f64(padding))));
  }

  fold(cols: Storage, shape: readonly [number, number, number, number], kernel: [number, number], stride: [number, number], padding: [number, number]): Storage {
    const c = this.asF32(cols, 'fold');
    return this.call(() => this.wrap('float32', numel(shape), this.addon.fold(this.h(c, 'fold'), f64(shape), f64(kernel), f64(stride), f64(padding))));
  }

  // --- randomness ---
  manualSeed(seed: number): void {
    this.call(() => this.addon.manualSeed(this.index, seed));
  }

  random(kind: 'uniform' | 'normal', length: number, a: number, b: number): Storage {
    return this.call(() => this.wrap('float32', length, this.addon.random(this.index, kind === 'uniform' ? 0 : 1, length, a, b)));
  }

  getRngState(): number[] {
    return this.call(() => this.addon.getRngState(this.index));
  }

  setRngState(state: readonly number[]): void {
    if (state.length !== 4) throw new TesseraError(`cuda generator state must have 4 words (seed and Philox counter), got ${state.length}`);
    this.call(() => this.addon.setRngState(this.index, f64(state)));
  }

  // --- fused ---
  softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    const X = this.asF32(x, 'softmax');
    return this.call(() => this.wrap('float32', rows * n, this.addon.softmax(this.h(X, 'softmax'), rows, n, log)));
  }

  softmaxBackward(y: Storage, dy: Storage, rows: number, n: number, log: boolean): Storage {
    const Y = this.asF32(y, 'softmaxBackward'), G = this.asF32(dy, 'softmaxBackward');
    return this.call(() => this.wrap('float32', rows * n, this.addon.softmaxBackward(this.h(Y, 'softmaxBackward'), this.h(G, 'softmaxBackward'), rows, n, log)));
  }

  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, n: number, eps: number) {
    const X = this.asF32(x, 'layerNorm');
    const W = weight && this.asF32(weight, 'layerNorm'), B = bias && this.asF32(bias, 'layerNorm');
    const [y, mean, rstd] = this.call(() => this.addon.layerNorm(this.h(X, 'layerNorm'), W && this.h(W, 'layerNorm'), B && this.h(B, 'layerNorm'), rows, n, eps));
    return { y: this.wrap('float32', rows * n, y), mean: this.wrap('float32', rows, mean), rstd: this.wrap('float32', rows, rstd) };
  }

  /** layerNorm(x + residual) for inference; x and residual may be float32, bf16 or f16 (read as they are). */
  addLayerNorm(x: Storage, residual: Storage, weight: Storage | null, bias: Storage | null, rows: number, n: number, eps: number): Storage {
    const W = weight && this.asF32(weight, 'addLayerNorm'), B = bias && this.asF32(bias, 'addLayerNorm');
    return this.call(() => this.wrap('float32', rows * n, this.addon.addLayerNorm(this.h(x, 'addLayerNorm'), this.h(residual, 'addLayerNorm'),
      W && this.h(W, 'addLayerNorm'), B && this.h(B, 'addLayerNorm'), rows, n, eps)));
  }

  layerNormBackward(dy: Storage, x: Storage, weight: Storage | null, mean: Storage, rstd: Storage, rows: number, n: number) {
    const G = this.asF32(dy, 'layerNormBackward'), X = this.asF32(x, 'layerNormBackward');
    const W = weight && this.asF32(weight, 'layerNormBackward');
    const [dx, dw, db] = this.call(() => this.addon.layerNormBackward(this.h(G, 'layerNormBackward'), this.h(X, 'layerNormBackward'),
      W && this.h(W, 'layerNormBackward'), this.h(mean, 'layerNormBackward'), this.h(rstd, 'layerNormBackward'), rows, n));
    return { dx: this.wrap('float32', rows * n, dx), dweight: dw ? this.wrap('float32', n, dw) : null, dbias: this.wrap('float32', n, db) };
  }

  /** Checks targets against [0, n) on the host when their values are known there (cpu-js's message). */
  private checkTargets(targets: Storage, rows: number, n: number, ignoreIndex: number): void {
    const ints = targets instanceof CudaStorage ? targets.ints : undefined;
    if (!ints || (ints.min >= 0 && ints.max < n)) return;
    if (ints.values) {
      for (let r = 0; r < rows; r++) {
        const t = ints.values[r]!;
        if (t !== ignoreIndex && (t < 0 || t >= n)) throw new TesseraError(`crossEntropy: target ${t} is out of range for ${n} classes`);
      }
    } else if (ints.max >= n) {
      throw new TesseraError(`crossEntropy: target ${ints.max} is out of range for ${n} classes`);
    }
  }

  crossEntropy(logits: Storage, targets: Storage, rows: number, n: number, ignoreIndex: number, labelSmoothing: number) {
    this.checkTargets(targets, rows, n, ignoreIndex);
    const L = logits;
    const [losses, lse] = this.call(() => this.addon.crossEntropy(this.h(L, 'crossEntropy'), this.h(targets, 'crossEntropy'), rows, n, ignoreIndex, labelSmoothing));
    return { losses: this.wrap('float32', rows, losses), lse: this.wrap('float32', rows, lse) };
  }

  crossEntropyBackward(logits: Storage, targets: Storage, lse: Storage, dlosses: Storage, rows: number, n: number, ignoreIndex: number, labelSmoothing: number): Storage {
    const L = logits, G = this.asF32(dlosses, 'crossEntropyBackward');
    return this.call(() => this.wrap(logits.dtype, rows * n, this.addon.crossEntropyBackward(this.h(L, 'crossEntropyBackward'),
      this.h(targets, 'crossEntropyBackward'), this.h(lse, 'crossEntropyBackward'), this.h(G, 'crossEntropyBackward'), rows, n, ignoreIndex, labelSmoothing)));
  }

  attention(args: AttentionArgs): AttentionResult {
    const { B, H, Tq, Tk, D } = args.shape;
    const bthd = args.outLayout === 'bthd';
    if (D > FUSED_ATTENTION_MAX_HEAD_DIM) {
      // composed from matmuls: strided q/k/v are copied to (B, H, T, D) first, the output permuted after
      const dense = this.denseAttentionArgs(args);
      const r = composedAttention(this, dense);
      const out = bthd ? this.copy(r.out, { shape: [B, Tq, H, D], strides: [H * Tq * D, D, Tq * D, 1], offset: 0 }, r.out.dtype) : r.out;
      return { out, probs: args.returnProbs ? r.probs : undefined, saved: r.saved };
    }
    const mask = args.mask ? this.asF32Mask(args.mask.storage) : null;
    const maskLayout = args.mask ? encodeLayout(args.mask.layout) : null;
    const [ql, kl, vl] = this.attentionLayouts(args);
    const r = this.call(() => this.addon.attention(this.h(args.q, 'attention'), this.h(args.k, 'attention'), this.h(args.v, 'attention'),
      B, H, Tq, Tk, D, mask && this.h(mask, 'attention'), maskLayout, args.causal, args.scale, args.dropoutP, ql, kl, vl, bthd, cudaSettings.allowTF32,
      args.needsBackward !== false));
    const out = this.wrap(args.q.dtype, B * H * Tq * D, r[0]);
    const lse = this.wrap('float32', B * H * Tq, r[1]);
    // keep bits: int32 words, two per (b, h, 64-key tile, query row padded to even)
    const keepBits = r[6] ? this.wrap('int32', 2 * B * H * Math.ceil(Tk / 64) * (Tq + (Tq & 1)), r[6]) : null;
    const saved: FlashSaved = { kind: 'flash', out, lse, rng: [r[2], r[3], r[4], r[5]], keepBits };
    let probs: Storage | undefined;
    if (args.returnProbs) {
      probs = this.call(() => this.wrap('float32', B * H * Tq * Tk, this.addon.attentionProbs(this.h(args.q, 'attention'), this.h(args.k, 'attention'),
        lse.handle, B, H, Tq, Tk, D, mask && this.h(mask, 'attention'), maskLayout, args.causal, args.scale, ql, kl)));
    }
    return { out, probs, saved };
  }

  /** The encoded (B, H, T, D) views of q, k and v (null: contiguous); the head dim must have unit stride. */
  private attentionLayouts(args: AttentionArgs): [Float64Array | null, Float64Array | null, Float64Array | null] {
    const l = args.layouts;
    if (!l) return [null, null, null];
    const { B, H, Tq, Tk, D } = args.shape;
    const enc = (what: string, x: Layout, T: number) => {
      const want = [B, H, T, D];
      if (x.shape.length !== 4 || x.shape.some((n, i) => n !== want[i])) {
        throw new TesseraError(`cuda attention: the ${what} view must be (B, H, T, D) = (${want.join(', ')}), got (${x.shape.join(', ')})`);
      }
      if (D > 1 && x.strides[3] !== 1) throw new TesseraError(`cuda attention: the ${what} view needs unit stride along the head dim, got ${x.strides[3]}`);
      return encodeLayout(x);
    };
    return [enc('q', l.q, Tq), enc('k', l.k, Tk), enc('v', l.v, Tk)];
  }

  /** Attention arguments with q, k and v copied to contiguous (B, H, T, D) storages (for the composed path). */
  private denseAttentionArgs(args: AttentionArgs): AttentionArgs {
    const l = args.layouts;
    if (!l) return { ...args, outLayout: undefined };
    this.attentionLayouts(args);
    const c = (s: Storage, x: Layout) => this.copy(s, x, s.dtype);
    return { ...args, q: c(args.q, l.q), k: c(args.k, l.k), v: c(args.v, l.v), layouts: undefined, outLayout: undefined };
  }

  private asF32Mask(m: Storage): Storage {
    if (m.dtype === 'float32') return m;
    throw new TesseraError(`cuda attention: the additive mask must be float32, got ${m.dtype}`);
  }

  attentionBackward(args: AttentionArgs, result: AttentionResult, dout: Storage): AttentionGrads {
    const saved = result.saved as FlashSaved | ComposedSaved;
    if (saved?.kind === 'composed') return composedAttentionBackward(this, args, saved, dout);
    if (saved?.kind !== 'flash' || !(saved.out instanceof CudaStorage)) throw new TesseraError('cuda attentionBackward: the forward result is not from a cuda device');
    const { B, H, Tq, Tk, D } = args.shape;
    const G = dout.dtype === args.q.dtype ? dout : this.copy(dout, contiguousLayout([dout.length]), args.q.dtype);
    const mask = args.mask ? this.asF32Mask(args.mask.storage) : null;
    const [ql, kl, vl] = this.attentionLayouts(args);
    const [dq, dk, dv, order] = this.call(() => this.addon.attentionBackward(this.h(args.q, 'attention'), this.h(args.k, 'attention'), this.h(args.v, 'attention'),
      saved.out.handle, saved.lse.handle, this.h(G, 'attention'), B, H, Tq, Tk, D, mask && this.h(mask, 'attention'),
      args.mask ? encodeLayout(args.mask.layout) : null, args.causal, args.scale, args.dropoutP, ...saved.rng, ql, kl, vl, args.outLayout === 'bthd',
      cudaSettings.allowTF32, saved.keepBits?.handle ?? null, GRAD_LAYOUTS.indexOf(args.gradLayout ?? 'bhtd')));
    const dt = args.q.dtype;
    if (order === 2) {
      const packed = this.wrap(dt, 3 * B * H * Tq * D, dq);
      return { dq: packed, dk: packed, dv: packed, layout: 'packed' };
    }
    return { dq: this.wrap(dt, B * H * Tq * D, dq), dk: this.wrap(dt, B * H * Tk * D, dk!), dv: this.wrap(dt, B * H * Tk * D, dv!), layout: GRAD_LAYOUTS[order] };
  }

  adamw(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamWParams): void {
    for (const [s, what] of [[param, 'param'], [grad, 'grad'], [m, 'exp_avg'], [v, 'exp_avg_sq']] as const) {
      if (s.dtype !== 'float32') throw new TesseraError(`cuda adamw: ${what} must be float32, got ${s.dtype}`);
      if (s.length < param.length) throw new TesseraError(`cuda adamw: ${what} has ${s.length} elements, the parameter ${param.length}`);
    }
    const q = this.pendingAdam;
    const same = q && q.p.lr === p.lr && q.p.beta1 === p.beta1 && q.p.beta2 === p.beta2 && q.p.eps === p.eps && q.p.weightDecay === p.weightDecay && q.p.step === p.step;
    if (q && !same) this.flushAdam();
    // one storage twice in a batch (a shared parameter) would race inside the launch: launch the batch first
    const handles = [this.h(param, 'adamw'), this.h(grad, 'adamw'), this.h(m, 'adamw'), this.h(v, 'adamw')];
    const batch = this.pendingAdam;
    if (batch) {
      batch.handles.push(...handles);
      for (const s of [param, grad, m, v]) batch.storages.add(s);
      return;
    }
    this.pendingAdam = { handles, storages: new Set([param, grad, m, v]), p: { ...p } };
  }

  lstmCell(gates: Storage, cPrev: Storage, B: number, H: number) {
    const G = this.asF32(gates, 'lstmCell'), C = this.asF32(cPrev, 'lstmCell');
    const [h, c] = this.call(() => this.addon.lstmCell(this.h(G, 'lstmCell'), this.h(C, 'lstmCell'), B, H));
    return { h: this.wrap('float32', B * H, h), c: this.wrap('float32', B * H, c) };
  }

  lstmCellBackward(gates: Storage, cPrev: Storage, c: Storage, dh: Storage, dc: Storage, B: number, H: number) {
    const f = (s: Storage) => this.h(this.asF32(s, 'lstmCellBackward'), 'lstmCellBackward');
    const [dgates, dcPrev] = this.call(() => this.addon.lstmCellBackward(f(gates), f(cPrev), f(c), f(dh), f(dc), B, H));
    return { dgates: this.wrap('float32', B * 4 * H, dgates), dcPrev: this.wrap('float32', B * H, dcPrev) };
  }
}
