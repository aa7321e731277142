// The Tensor: a (storage, layout) pair on one backend, with autograd bookkeeping. Views are new layouts over
// the same storage; every computing op goes through the backend of the tensor (one dispatch point).
import { runBackward, isGradEnabled, SliceGrad, type BackwardOptions, type GradNode, type InputGrad } from '../autograd/engine.js';
import { contiguousLayout, isContiguous, numel, type Backend, type Layout, type Storage } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { DeviceMismatchError, ShapeError, TesseraError } from '../errors.js';
import { allocHost, convertHost, isFloat, type DType, type HostArray } from './dtype.js';
import { broadcastLayout, normAxis, shapeStr, viewStrides, type Shape } from './shape.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as la from './ops/linalg.js';
import * as ix from './ops/indexing.js';
import { keep, trackStorage } from './scope.js';

/** Nested number arrays, as given to `tensor()`. */
export type NestedArray = number | boolean | readonly NestedArray[];

export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

/** The numeric arrays `toArray()` returns: float types as Float32Array, int64 as Float64Array (exact to 2^53). */
export type NumericArray = Float32Array | Int32Array | Float64Array | Uint8Array;

export class Tensor {
  /** @internal */ storage: Storage;
  /** @internal */ layout: Layout;
  /** The backend holding the storage (changes only through toDevice_ on parameters). */
  backend: Backend;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** The op that produced this tensor (null for leaves). */
  gradFn: GradNode | null = null;
  /** @internal set by retainGrad() */ retainsGrad = false;
  /** @internal Bumped by every in-place write (assign_, optimizer steps): tells caches their copy is stale. */
  version = 0;

  /** @internal Use the factory functions (tensor, zeros, ...) or ops instead. */
  constructor(storage: Storage, layout: Layout, backend: Backend, requiresGrad = false) {
    this.storage = storage;
    this.layout = layout;
    this.backend = backend;
    this.requiresGrad = requiresGrad;
  }

  get shape(): number[] {
    return [...this.layout.shape];
  }
  get ndim(): number {
    return this.layout.shape.length;
  }
  get size(): number {
    return numel(this.layout.shape);
  }
  get dtype(): DType {
    return this.storage.dtype;
  }
  get device(): string {
    return this.backend.device;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Size of one axis (negative counts from the end). */
  dim(axis: number): number {
    return this.layout.shape[normAxis(axis, this.ndim, 'dim')]!;
  }

  toString(): string {
    return `Tensor(shape=${shapeStr(this.layout.shape)}, dtype=${this.dtype}, device=${this.device})`;
  }

  // --- construction helpers ---

  /** @internal A new tensor from a contiguous storage of `shape` on `backend`. */
  static fromStorage(storage: Storage, shape: Shape, backend: Backend): Tensor {
    trackStorage(storage, backend);
    return new Tensor(storage, contiguousLayout(shape), backend);
  }

  /** @internal A tensor from a host array (copied to the device). */
  static fromHost(data: HostArray, shape: Shape, dtype: DType, device?: string): Tensor {
    const backend = getBackend(device);
    if (data.length !== numel(shape)) throw new ShapeError(`tensor: ${data.length} values do not fill shape ${shapeStr(shape)}`);
    return Tensor.fromStorage(backend.fromHost(data, dtype), shape, backend);
  }

  // --- autograd ---

  /** Marks this leaf as needing gradients (returns this). */
  requiresGrad_(flag = true): this {
    if (flag && !isFloat(this.dtype)) throw new TesseraError(`requiresGrad: only float tensors can require gradients, got ${this.dtype}`);
    this.requiresGrad = flag;
    return this;
  }

  /** Keeps `.grad` on this non-leaf tensor after backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.layout, this.backend, false);
  }

  /** @internal Adds g into .grad (summed to this shape). */
  accumulateGrad(g: Tensor, keepGraph = false): void {
    const gg = g.dtype === this.dtype ? g : g.to(this.dtype);
    const sum = this.grad ? this.grad.add(gg) : gg;
    this.grad = keep(keepGraph ? sum : sum.detach());
  }

  /** Backpropagates from this tensor: a scalar unless `grad` (of this shape) is given. */
  backward(grad?: Tensor, opts: BackwardOptions = {}): void {
    if (!this.requiresGrad) throw new TesseraError('backward: this tensor does not require grad (no input of the computation requires it)');
    let g = grad;
    if (!g) {
      if (this.size !== 1) throw new ShapeError(`backward: a gradient is needed for a non-scalar output of shape ${shapeStr(this.shape)}`);
      g = Tensor.fromStorage(this.backend.full('float32', 1, 1), this.shape, this.backend);
    } else if (g.size !== this.size) {
      throw new ShapeError(`backward: gradient of shape ${shapeStr(g.shape)} for an output of shape ${shapeStr(this.shape)}`);
    }
    runBackward(this, g, opts);
  }

  /** @internal Attaches a grad node when grad mode is on and an input requires grad. */
  static record(out: Tensor, name: string, inputs: readonly (Tensor | null)[], backward: (g: Tensor) => InputGrad[]): Tensor {
    if (isGradEnabled() && inputs.some((t) => t?.requiresGrad)) {
      out.requiresGrad = true;
      out.gradFn = { name, inputs, backward };
    }
    return out;
  }

  /** @internal Throws a DeviceMismatchError unless `other` is on this tensor's device. */
  sameDevice(other: Tensor, op: string): void {
    if (other.backend !== this.backend) {
      throw new DeviceMismatchError(`${op}: tensors on different devices: ${shapeStr(this.shape)} on ${this.device} and ${shapeStr(other.shape)} on ${other.device}`);
    }
  }

  /**
   * Replaces this tensor's values with src's (same shape; cast to this dtype, copied to this device), in
   * place and outside autograd: what optimizers and state-dict loading use. Returns this.
   */
  assign_(src: Tensor): this {
    if (src.size !== this.size || src.ndim !== this.ndim || src.shape.some((d, i) => d !== this.layout.shape[i])) {
      throw new ShapeError(`assign: source of shape ${shapeStr(src.shape)} does not match ${shapeStr(this.shape)}`);
    }
    let s = src.backend === this.backend ? src : src.detach().toDevice(this.device);
    if (s.dtype !== this.dtype) s = s.detach().to(this.dtype);
    const storage = s.backend.copy(s.storage, s.layout, this.dtype);
    this.storage = storage;
    this.layout = contiguousLayout(this.layout.shape);
    this.version++;
    keep(this);
    return this;
  }

  /** Moves this tensor's data to another device in place, keeping the object (and so parameter ties). */
  toDevice_(device: string): this {
    const moved = this.detach().toDevice(device);
    this.storage = moved.storage;
    this.layout = moved.layout;
    this.backend = moved.backend;
    this.version++;
    keep(this);
    if (this.grad) this.grad = keep(this.grad.toDevice(device));
    return this;
  }

  /** Casts this tensor's storage to dtype in place (for Module.toDtype). */
  assignCast_(dtype: DType): this {
    if (dtype === this.dtype) return this;
    this.storage = this.backend.copy(this.storage, this.layout, dtype);
    this.layout = contiguousLayout(this.layout.shape);
    this.version++;
    keep(this);
    return this;
  }

  // --- reading values (synchronises) ---

  /** The values in row-major order: float types as Float32Array, int32 Int32Array, int64 Float64Array, bool/uint8 Uint8Array. */
  toArray(): NumericArray {
    const host = this.backend.toHost(this.storage, this.layout);
    if (this.dtype === 'float16' || this.dtype === 'bfloat16') return convertHost(host, this.dtype, 'float32') as Float32Array;
    if (host instanceof BigInt64Array) return Float64Array.from(host, (v) => Number(v));
    return host as NumericArray;
  }

  /** The exact host representation of this dtype (raw half bits, BigInt64Array for int64). */
  toHost(): HostArray {
    return this.backend.toHost(this.storage, this.layout);
  }

  /** Nested JS arrays of numbers. */
  toList(): NestedArray {
    const flat = this.toArray();
    const shape = this.layout.shape;
    if (shape.length === 0) return flat[0]!;
    const build = (d: number, off: number): NestedArray[] => {
      const n = shape[d]!;
      const step = numel(shape.slice(d + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(d === shape.length - 1 ? flat[off + i]! : build(d + 1, off + i * step));
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor of shape ${shapeStr(this.shape)} has ${this.size} elements, not 1`);
    return this.toArray()[0]!;
  }

  // --- device and dtype ---

  /** A copy on another device ('cpu', 'cuda:0'...), or this tensor when already there. Differentiable. */
  toDevice(device: string): Tensor {
    const target = getBackend(device);
    if (target === this.backend) return this;
    const host = this.backend.toHost(this.storage, this.layout);
    const out = Tensor.fromStorage(target.fromHost(host, this.dtype), this.shape, target);
    return Tensor.record(out, 'toDevice', [this], (g) => [g.toDevice(this.device)]);
  }

  /** A copy cast to dtype (this tensor when already of it). Differentiable between float types. */
  to(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    const out = Tensor.fromStorage(this.backend.copy(this.storage, this.layout, dtype), this.shape, this.backend);
    if (!isFloat(dtype)) return out;
    return Tensor.record(out, 'to', [this], (g) => [g.to(this.dtype)]);
  }

  float(): Tensor {
    return this.to('float32');
  }

  // --- views ---

  /** A contiguous tensor with the same values (this one if already contiguous and starting at 0). */
  contiguous(): Tensor {
    if (isContiguous(this.layout) && this.layout.offset === 0 && this.storage.length === this.size) return this;
    const out = Tensor.fromStorage(this.backend.copy(this.storage, this.layout, this.dtype), this.shape, this.backend);
    return Tensor.record(out, 'contiguous', [this], (g) => [g]);
  }

  /** A copy with its own storage (differentiable, like torch.clone). */
  clone(): Tensor {
    const out = Tensor.fromStorage(this.backend.copy(this.storage, this.layout, this.dtype), this.shape, this.backend);
    return Tensor.record(out, 'clone', [this], (g) => [g]);
  }

  /** @internal A view of this tensor with another layout, recording `backward`. */
  view_(layout: Layout, name: string, backward: (g: Tensor) => Tensor): Tensor {
    const out = new Tensor(this.storage, layout, this.backend);
    return Tensor.record(out, name, [this], (g) => [backward(g)]);
  }

  /** Same values in a new shape (one dim may be -1). A view when the layout allows it, else a copy. */
  reshape(...shapeArg: (number | readonly number[])[]): Tensor {
    const req = (shapeArg.length === 1 && Array.isArray(shapeArg[0]) ? shapeArg[0] : shapeArg) as readonly number[];
    const shape = [...req];
    const neg = shape.indexOf(-1);
    if (neg !== shape.lastIndexOf(-1)) throw new ShapeError(`reshape: only one dim may be -1, got ${shapeStr(shape)}`);
    if (neg >= 0) {
      const rest = numel(shape.filter((_, i) => i !== neg));
      if (rest === 0 || this.size % rest !== 0) throw new ShapeError(`reshape: cannot reshape ${shapeStr(this.shape)} to ${shapeStr(req)}`);
      shape[neg] = this.size / rest;
    }
    if (numel(shape) !== this.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`reshape: cannot reshape ${shapeStr(this.shape)} (${this.size} elements) to ${shapeStr(req)}`);
    }
    const inShape = this.shape;
    if (!isContiguous(this.layout)) {
      // a strided tensor reshapes without a copy when its memory allows (splitting a head dim, say)
      const strides = viewStrides(this.layout.shape, this.layout.strides, shape);
      if (strides) return this.view_({ shape, strides, offset: this.layout.offset }, 'reshape', (g) => g.reshape(inShape));
    }
    const src = isContiguous(this.layout) ? this : this.contiguous();
    const layout: Layout = { ...contiguousLayout(shape), offset: src.layout.offset };
    return src.view_(layout, 'reshape', (g) => g.reshape(inShape));
  }

  /** Alias of reshape. */
  view(...shape: (number | readonly number[])[]): Tensor {
    return this.reshape(...shape);
  }

  /** Flattens dims start..end into one. */
  flatten(start = 0, end = -1): Tensor {
    if (this.ndim === 0) return this.reshape([1]);
    const s = normAxis(start, this.ndim, 'flatten'), e = normAxis(end, this.ndim, 'flatten');
    const shape = this.shape;
    return this.reshape([...shape.slice(0, s), numel(shape.slice(s, e + 1)), ...shape.slice(e + 1)]);
  }

  /** Reorders dims: out.shape[i] = in.shape[dims[i]]. */
  permute(...dimsArg: (number | readonly number[])[]): Tensor {
    const dims = ((dimsArg.length === 1 && Array.isArray(dimsArg[0]) ? dimsArg[0] : dimsArg) as number[]).map((d) => normAxis(d, this.ndim, 'permute'));
    if (dims.length !== this.ndim || new Set(dims).size !== dims.length) {
      throw new ShapeError(`permute: ${shapeStr(dims)} is not a permutation of the ${this.ndim} dims of ${shapeStr(this.shape)}`);
    }
    const layout: Layout = {
      shape: dims.map((d) => this.layout.shape[d]!),
      strides: dims.map((d) => this.layout.strides[d]!),
      offset: this.layout.offset,
    };
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return this.view_(layout, 'permute', (g) => g.permute(inverse));
  }

  /** Swaps two dims. */
  transpose(a = -2, b = -1): Tensor {
    const dims = [...Array(this.ndim).keys()];
    const x = normAxis(a, this.ndim, 'transpose'), y = normAxis(b, this.ndim, 'transpose');
    [dims[x], dims[y]] = [dims[y]!, dims[x]!];
    return this.permute(dims);
  }

  /** The matrix transpose of a 2-D tensor (or the last two dims). */
  get T(): Tensor {
    return this.transpose(-2, -1);
  }

  /** A view of `length` entries of `axis` starting at `start`. */
  narrow(axis: number, start: number, length: number): Tensor {
    const a = normAxis(axis, this.ndim, 'narrow');
    const size = this.layout.shape[a]!;
    const s = start < 0 ? start + size : start;
    if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
      throw new ShapeError(`narrow: range [${start}, ${start}+${length}) is out of bounds for axis ${axis} of size ${size}`);
    }
    const shape = this.shape;
    shape[a] = length;
    const layout: Layout = { shape, strides: [...this.layout.strides], offset: this.layout.offset + s * this.layout.strides[a]! };
    const inShape = this.shape;
    const out = new Tensor(this.storage, layout, this.backend);
    return Tensor.record(out, 'narrow', [this], (g) => [new SliceGrad(inShape, a, s, g)]);
  }

  /** Python-style slice of one axis: [start, end) with negative indices from the end. */
  slice(axis: number, start = 0, end?: number): Tensor {
    const a = normAxis(axis, this.ndim, 'slice');
    const size = this.layout.shape[a]!;
    const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
    const s = clampIdx(start), e = clampIdx(end ?? size);
    return this.narrow(a, s, Math.max(0, e - s));
  }

  /** Picks index i of axis (removing that axis). */
  select(axis: number, index: number): Tensor {
    const a = normAxis(axis, this.ndim, 'select');
    return this.narrow(a, index, 1).squeeze(a);
  }

  /** A zero tensor of `shape` holding this tensor at [start, start + this.shape[axis]) of axis (narrow's adjoint). */
  padTo(shape: readonly number[], axis: number, start: number): Tensor {
    return ix.padNarrow(this, shape, axis, start);
  }

  /** A broadcast view to `shape` (-1 keeps a dim). Differentiable (the backward sums). */
  expand(...shapeArg: (number | readonly number[])[]): Tensor {
    const req = (shapeArg.length === 1 && Array.isArray(shapeArg[0]) ? shapeArg[0] : shapeArg) as readonly number[];
    const off = req.length - this.ndim;
    const shape = req.map((d, i) => (d === -1 ? this.layout.shape[i - off]! : d));
    const layout = broadcastLayout(this.layout, shape, 'expand');
    const inShape = this.shape;
    return this.view_(layout, 'expand', (g) => red.sumTo(g, inShape));
  }

  /** Inserts a size-1 dim at axis. */
  unsqueeze(axis: number): Tensor {
    const a = normAxis(axis, this.ndim + 1, 'unsqueeze');
    const shape = this.shape;
    shape.splice(a, 0, 1);
    return this.reshape(shape);
  }

  /** Removes size-1 dims (all, or the given one). */
  squeeze(axis?: number): Tensor {
    const shape = this.shape;
    if (axis === undefined) return this.reshape(shape.filter((d) => d !== 1));
    const a = normAxis(axis, this.ndim, 'squeeze');
    if (shape[a] !== 1) return this;
    shape.splice(a, 1);
    return this.reshape(shape);
  }

  /** Splits along axis into pieces of `size` (the last may be smaller), or of the given sizes. */
  split(size: number | readonly number[], axis = 0): Tensor[] {
    const a = normAxis(axis, this.ndim, 'split');
    const n = this.layout.shape[a]!;
    const sizes = typeof size === 'number' ? Array.from({ length: Math.ceil(n / size) }, (_, i) => Math.min(size, n - i * size)) : [...size];
    if (sizes.reduce((x, y) => x + y, 0) !== n) throw new ShapeError(`split: sizes ${shapeStr(sizes)} do not add up to ${n} along axis ${axis}`);
    let start = 0;
    return sizes.map((s) => {
      const t = this.narrow(a, start, s);
      start += s;
      return t;
    });
  }

  /** Splits along axis into `chunks` nearly equal pieces (torch.chunk). */
  chunk(chunks: number, axis = 0): Tensor[] {
    const n = this.dim(axis);
    return this.split(Math.ceil(n / chunks), axis);
  }

  // --- elementwise (see ops/elementwise.ts) ---
  add(other: Tensor | number): Tensor { return ew.add(this, other); }
  sub(other: Tensor | number): Tensor { return ew.sub(this, other); }
  mul(other: Tensor | number): Tensor { return ew.mul(this, other); }
  div(other: Tensor | number): Tensor { return ew.div(this, other); }
  pow(other: Tensor | number): Tensor { return ew.pow(this, other); }
  maximum(other: Tensor | number): Tensor { return ew.maximum(this, other); }
  minimum(other: Tensor | number): Tensor { return ew.minimum(this, other); }
  neg(): Tensor { return ew.unary(this, 'neg'); }
  exp(): Tensor { return ew.unary(this, 'exp'); }
  log(): Tensor { return ew.unary(this, 'log'); }
  sqrt(): Tensor { return ew.unary(this, 'sqrt'); }
  rsqrt(): Tensor { return ew.unary(this, 'rsqrt'); }
  abs(): Tensor { return ew.unary(this, 'abs'); }
  tanh(): Tensor { return ew.unary(this, 'tanh'); }
  sigmoid(): Tensor { return ew.unary(this, 'sigmoid'); }
  relu(): Tensor { return ew.unary(this, 'relu'); }
  /** GELU: exact erf form by default, or the tanh approximation ('tanh', GPT-2's gelu_new). */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return ew.unary(this, approximate === 'tanh' ? 'geluTanh' : 'gelu'); }
  erf(): Tensor { return ew.unary(this, 'erf'); }
  sin(): Tensor { return ew.unary(this, 'sin'); }
  cos(): Tensor { return ew.unary(this, 'cos'); }
  square(): Tensor { return ew.unary(this, 'square'); }
  reciprocal(): Tensor { return ew.unary(this, 'reciprocal'); }
  sign(): Tensor { return ew.unary(this, 'sign'); }
  floor(): Tensor { return ew.unary(this, 'floor'); }
  ceil(): Tensor { return ew.unary(this, 'ceil'); }
  round(): Tensor { return ew.unary(this, 'round'); }
  /** Clamps into [min, max]; either bound may be undefined. */
  clamp(min?: number, max?: number): Tensor { return ew.clamp(this, min, max); }
  eq(other: Tensor | number): Tensor { return ew.compare(this, other, 'eq'); }
  ne(other: Tensor | number): Tensor { return ew.compare(this, other, 'ne'); }
  lt(other: Tensor | number): Tensor { return ew.compare(this, other, 'lt'); }
  le(other: Tensor | number): Tensor { return ew.compare(this, other, 'le'); }
  gt(other: Tensor | number): Tensor { return ew.compare(this, other, 'gt'); }
  ge(other: Tensor | number): Tensor { return ew.compare(this, other, 'ge'); }
  logicalAnd(other: Tensor): Tensor { return ew.compare(this, other, 'and'); }
  logicalOr(other: Tensor): Tensor { return ew.compare(this, other, 'or'); }
  logicalNot(): Tensor { return ew.logicalNot(this); }
  /** Where mask is true, `value`; elsewhere this tensor's value. */
  maskedFill(mask: Tensor, value: number): Tensor { return ew.maskedFill(this, mask, value); }

  // --- reductions (see ops/reduce.ts) ---
  sum(axes?: number | readonly number[], keepdim = false): Tensor { return red.sum(this, axes, keepdim); }
  mean(axes?: number | readonly number[], keepdim = false): Tensor { return red.mean(this, axes, keepdim); }
  max(axes?: number | readonly number[], keepdim = false): Tensor { return red.amax(this, axes, keepdim, 'max'); }
  min(axes?: number | readonly number[], keepdim = false): Tensor { return red.amax(this, axes, keepdim, 'min'); }
  argmax(axis?: number, keepdim = false): Tensor { return red.argReduce(this, axis, keepdim, 'argmax'); }
  argmin(axis?: number, keepdim = false): Tensor { return red.argReduce(this, axis, keepdim, 'argmin'); }
  /** Variance with Bessel's correction by default (correction = 1), as torch.var. */
  var(axes?: number | readonly number[], keepdim = false, correction = 1): Tensor { return red.variance(this, axes, keepdim, correction); }
  std(axes?: number | readonly number[], keepdim = false, correction = 1): Tensor { return red.variance(this, axes, keepdim, correction).sqrt(); }

  // --- linear algebra (see ops/linalg.ts) ---
  /** Matrix product with batch broadcasting (torch.matmul rules, 1-D operands included). */
  matmul(other: Tensor): Tensor { return la.matmul(this, other); }

  // --- indexing (see ops/indexing.ts) ---
  /** Rows of this tensor picked by integer ids along axis (torch.index_select). */
  indexSelect(axis: number, index: Tensor): Tensor { return ix.indexSelect(this, axis, index); }
  /** torch.gather along axis. */
  gather(axis: number, index: Tensor): Tensor { return ix.gather(this, axis, index); }
}

/** Makes a tensor from nested arrays, a typed array or a number (dtype inferred: float32, or int64 from BigInt64Array). */
export function tensor(data: NestedArray | HostArray | Float64Array | readonly number[], opts: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  let flat: number[] | HostArray;
  let shape: number[];
  let dtype: DType = opts.dtype ?? 'float32';
  if (ArrayBuffer.isView(data)) {
    const arr = data as HostArray | Float64Array;
    shape = opts.shape ? [...opts.shape] : [arr.length];
    if (arr instanceof BigInt64Array) {
      if (!opts.dtype) dtype = 'int64';
      flat = dtype === 'int64' ? arr : Array.from(arr, (v) => Number(v));
    } else if (arr instanceof Int32Array && !opts.dtype) {
      dtype = 'int32';
      flat = arr;
    } else flat = Array.from(arr as ArrayLike<number>);
  } else {
    shape = [];
    let probe: NestedArray = data as NestedArray;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = (probe as readonly NestedArray[])[0] as NestedArray;
      if (probe === undefined) break;
    }
    flat = (Array.isArray(data) ? (data as unknown[]).flat(Infinity as 1) : [data]).map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : (v as number)));
    if (typeof probe === 'boolean' && !opts.dtype) dtype = 'bool';
    if (numel(shape) !== flat.length) throw new ShapeError(`tensor: ragged nested array (shape ${shapeStr(shape)} but ${flat.length} values)`);
    if (opts.shape) shape = [...opts.shape];
  }
  let host: HostArray;
  if (Array.isArray(flat)) {
    if (dtype === 'float16' || dtype === 'bfloat16') host = convertHost(Float32Array.from(flat), 'float32', dtype);
    else if (dtype === 'int64') host = BigInt64Array.from(flat, (v) => BigInt(Math.trunc(v)));
    else {
      host = allocHost(dtype, flat.length);
      (host as Float32Array).set(flat);
    }
  } else host = flat as HostArray;
  const t = Tensor.fromHost(host, shape, dtype, opts.device);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}
