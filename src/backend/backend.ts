// The Backend contract: the whole device boundary. Tensor front-end code above this line is written once;
// cpu-js, the native cpu and cuda backends implement it. See docs/backend.md.
import type { DType, HostArray } from '../tensor/dtype.js';

/**
 * How a tensor's elements sit in its storage: element (i0, i1, ...) is at `offset + sum(ik * strides[k])`.
 * Strides are in elements, may be 0 (broadcast) and need not be contiguous (transposes, slices).
 */
export interface Layout {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** An opaque block of device memory owned by one backend. Only its backend looks inside. */
export interface Storage {
  readonly dtype: DType;
  /** Number of elements. */
  readonly length: number;
}

/** Elementwise maps of one input. Those marked (a) / (a, b) read scalar `args`. */
export type MapOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu'
  | 'gelu' /* erf form */ | 'geluTanh' | 'erf' | 'sin' | 'cos' | 'square' | 'reciprocal' | 'sign'
  | 'floor' | 'ceil' | 'round' | 'logicalNot'
  | 'addScalar' /* (a) */ | 'mulScalar' /* (a) */ | 'powScalar' /* (a) */ | 'rsubScalar' /* (a): a - x */
  | 'clamp' /* (min, max); NaN means unbounded */;

/**
 * Elementwise ops of two inputs of one dtype, already broadcast to the output shape (0 strides).
 * Comparisons and logical ops give 'bool'. The *Grad ops take (x, dy) and give dy * f'(x).
 */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'and' | 'or'
  | 'reluGrad' | 'geluGrad' | 'geluTanhGrad';

/** Reductions over a set of axes; argmax/argmin over exactly one axis and give int64. */
export type ReduceOp = 'sum' | 'max' | 'min' | 'prod' | 'argmax' | 'argmin';

/** Matmul epilogue applied after the optional bias. */
export type Activation = 'none' | 'relu' | 'gelu' | 'geluTanh';

/** Optional epilogue of `matmul`: `act(a @ b + bias)`, bias broadcast along the last dim (N). */
export interface MatmulEpilogue {
  bias?: Storage;
  activation?: Activation;
}

/** Hyper-parameters of one fused AdamW step (decoupled weight decay, bias-corrected). */
export interface AdamWParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
}

/**
 * Attention inputs of the fused scaled-dot-product op. q: (B, H, Tq, D), k and v: (B, H, Tk, D), contiguous
 * unless `layouts` says otherwise (only on backends that declare `attentionStrided`).
 */
export interface AttentionArgs {
  q: Storage;
  k: Storage;
  v: Storage;
  shape: { B: number; H: number; Tq: number; Tk: number; D: number };
  /** Additive float mask broadcast to (B, H, Tq, Tk) by this layout (0 strides), added to the scores. */
  mask?: { storage: Storage; layout: Layout };
  /** Masks key j > query i + (Tk - Tq) (so a cached decoder step sees its whole past). */
  causal: boolean;
  scale: number;
  /** Dropout on the probabilities (training); the mask is drawn from the backend's generator. */
  dropoutP: number;
  /** Also return the probabilities (the softmax output, before dropout), (B, H, Tq, Tk). */
  returnProbs: boolean;
  /**
   * False when no backward will run (inference): a backend may then keep nothing for attentionBackward.
   * Absent means true.
   */
  needsBackward?: boolean;
  /**
   * Views of q, k and v in their storages as (B, H, T, D) layouts at any strides with unit stride along D
   * (e.g. heads of a (B, T, H * D) projection). Absent: contiguous. Only passed where `attentionStrided` is set.
   */
  layouts?: { q: Layout; k: Layout; v: Layout };
  /**
   * Order of the output storage: 'bhtd' (default) or 'bthd', (B, Tq, H, D) contiguous — heads already merged
   * as (B, Tq, H * D). Only passed where `attentionStrided` is set. Gradients are (B, H, T, D) contiguous either way.
   */
  outLayout?: 'bhtd' | 'bthd';
  /**
   * Order the backward may write dq, dk and dv in: 'bthd' asks for (B, T, H, D) contiguous (heads merged, so
   * the gradient of a (B, T, H * D) projection needs no permute); 'packed' (self-attention, Tq = Tk) asks for
   * one (B, T, 3, H, D) storage holding dq, dk and dv side by side: the gradient of a fused q/k/v projection,
   * with nothing left to copy. A backend may ignore it; its result says which order it wrote. Only passed
   * where `attentionStrided` is set.
   */
  gradLayout?: 'bhtd' | 'bthd' | 'packed';
}

/**
 * What attentionBackward returns: the gradients in (B, H, T, D) order, or (B, T, H, D) when `layout` is 'bthd'.
 * With 'packed', dq, dk and dv are one (B, T, 3, H, D) storage (dq at offset 0, dk at H * D, dv at 2 * H * D).
 */
export interface AttentionGrads {
  dq: Storage;
  dk: Storage;
  dv: Storage;
  layout?: 'bhtd' | 'bthd' | 'packed';
}

/** What the fused attention forward returns; `saved` is what its backward needs (opaque to the caller). */
export interface AttentionResult {
  out: Storage;
  probs?: Storage;
  saved: unknown;
}

/**
 * A compute device. Every method enqueues work and returns at once; only `toHost` (and `item`-style reads
 * built on it) waits for the work to finish. Outputs are always fresh contiguous storages unless a method
 * says it writes in place. Inputs are never modified unless the method says so.
 */
export interface Backend {
  /** Backend name: 'cpu-js', 'cpu', 'cuda'. */
  readonly name: string;
  /** Device string tensors report: 'cpu-js', 'cpu', 'cuda:0'. */
  readonly device: string;
  /** Dtypes elementwise/reduction/matmul kernels compute in; the front end casts other inputs first. */
  readonly computeDTypes: readonly DType[];
  /** Set when `attention` takes strided q/k/v (`AttentionArgs.layouts`) and writes either output order (`outLayout`). */
  readonly attentionStrided?: true;
  /** The dtypes of q/k/v the strided attention takes; absent: float32 only. */
  readonly attentionStridedDTypes?: readonly DType[];
  /**
   * Binary ops that take a float32 operand with a bfloat16 or float16 one as they are, when both are
   * contiguous with one shape, and return float32 (a half branch added onto a float32 residual stream needs
   * no cast pass first). Absent: binary operands always share a dtype.
   */
  readonly mixedFloatBinary?: readonly BinaryOp[];

  /**
   * Backends that compute asynchronously may say what the host knows of an integer storage's values (they
   * were uploaded from it) so front ends can check ids without waiting for the device: min and max, and
   * the values when kept. null: unknown (the backend's kernels then check ids themselves). Absent on
   * synchronous backends, where front ends read the values.
   */
  knownInts?(s: Storage): { min: number; max: number; values?: ArrayLike<number> } | null;

  // --- memory ---
  /** A zero-filled storage. */
  zeros(dtype: DType, length: number): Storage;
  full(dtype: DType, length: number, value: number): Storage;
  /** 0, step, 2*step ... plus start, n values. */
  arange(dtype: DType, start: number, step: number, length: number): Storage;
  fromHost(data: HostArray, dtype: DType): Storage;
  /** The elements of (storage, layout) in row-major order of layout.shape, as a new host array. Synchronises. */
  toHost(src: Storage, layout: Layout): HostArray;
  /** A contiguous copy of (src, layout), cast to `dtype`. */
  copy(src: Storage, layout: Layout, dtype: DType): Storage;
  /** Writes src (broadcast to dstLayout.shape) into dst at dstLayout, in place. Same dtype. */
  copyInto(dst: Storage, dstLayout: Layout, src: Storage, srcLayout: Layout): void;
  /** Hints that a storage is no longer used (native backends free or cache it; cpu-js ignores it). */
  release?(s: Storage): void;
  /** Waits for all enqueued work. */
  synchronize(): void;

  // --- elementwise ---
  map(op: MapOp, x: Storage, layout: Layout, args?: readonly number[]): Storage;
  binary(op: BinaryOp, a: Storage, aLayout: Layout, b: Storage, bLayout: Layout): Storage;
  /** cond ? a : b, all three broadcast to one shape; a and b of one dtype. */
  where(cond: Storage, condLayout: Layout, a: Storage, aLayout: Layout, b: Storage, bLayout: Layout): Storage;

  // --- reductions ---
  /** Reduces `axes` (sorted, unique); the result has layout.shape with those axes set to 1, contiguous. */
  reduce(op: ReduceOp, x: Storage, layout: Layout, axes: readonly number[]): Storage;

  // --- matmul ---
  /**
   * Batched matmul: a is (...batch, M, K), b is (...batch, K, N) with identical batch shapes (broadcast by
   * 0 strides); any strides (a transpose is a stride swap). Returns (...batch, M, N) contiguous, same dtype.
   */
  matmul(a: Storage, aLayout: Layout, b: Storage, bLayout: Layout, epilogue?: MatmulEpilogue): Storage;

  // --- indexing ---
  /** out[..., i, ...] = x[..., index[i], ...] along `axis`; index is 1-D int32/int64, range-checked. */
  indexSelect(x: Storage, layout: Layout, axis: number, index: Storage, indexLayout: Layout): Storage;
  /** A zero tensor of `shape` with src's slices added at index along axis (indexSelect's backward). */
  indexAdd(shape: readonly number[], axis: number, index: Storage, indexLayout: Layout, src: Storage, srcLayout: Layout): Storage;
  /** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for axis 1; index has the output's shape. */
  gather(x: Storage, layout: Layout, axis: number, index: Storage, indexLayout: Layout): Storage;
  /** A zero tensor of `shape` with src scattered and summed at index along axis (gather's backward). */
  scatterAdd(shape: readonly number[], axis: number, index: Storage, indexLayout: Layout, src: Storage, srcLayout: Layout): Storage;

  // --- convolution helpers ---
  /** im2col of x (B, C, H, W): returns (B, C*kh*kw, Ho*Wo), zero padding. */
  unfold(x: Storage, layout: Layout, kernel: [number, number], stride: [number, number], padding: [number, number]): Storage;
  /** col2im, unfold's adjoint: cols (B, C*kh*kw, Ho*Wo) summed back into (B, C, H, W). */
  fold(cols: Storage, shape: readonly [number, number, number, number], kernel: [number, number], stride: [number, number], padding: [number, number]): Storage;

  // --- randomness (one seeded generator per device) ---
  manualSeed(seed: number): void;
  /** 'uniform': U[a, b); 'normal': N(a, b^2). float32. */
  random(kind: 'uniform' | 'normal', length: number, a: number, b: number): Storage;
  /** The generator state, to store in a checkpoint and restore exactly. */
  getRngState(): number[];
  setRngState(state: readonly number[]): void;

  // --- fused ops: optional, the front end composes them from the primitives above when absent ---
  /** Softmax (or log-softmax) over the last dim of a contiguous (rows, n) storage. */
  softmax?(x: Storage, rows: number, n: number, log: boolean): Storage;
  /** dx from y = softmax(x) (or log-softmax) and dy. */
  softmaxBackward?(y: Storage, dy: Storage, rows: number, n: number, log: boolean): Storage;
  /** LayerNorm over the last dim of (rows, n): y, and the per-row mean and 1/std saved for backward. */
  layerNorm?(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, n: number, eps: number): { y: Storage; mean: Storage; rstd: Storage };
  layerNormBackward?(dy: Storage, x: Storage, weight: Storage | null, mean: Storage, rstd: Storage, rows: number, n: number): { dx: Storage; dweight: Storage | null; dbias: Storage | null };
  /** Inference only: layerNorm(x + residual) over contiguous float32 rows, the sum never stored whole. */
  addLayerNorm?(x: Storage, residual: Storage, weight: Storage | null, bias: Storage | null, rows: number, n: number, eps: number): Storage;
  /** The dtypes `addLayerNorm` takes for x and residual (the result is float32); absent: float32 only. */
  readonly addLayerNormDTypes?: readonly DType[];
  /**
   * Per-row cross-entropy of logits (rows, n) against int targets (rows); rows whose target equals
   * ignoreIndex give 0. With label smoothing s: (1 - s) * nll + s * mean(-log p). Also returns logsumexp per row.
   */
  crossEntropy?(logits: Storage, targets: Storage, rows: number, n: number, ignoreIndex: number, labelSmoothing: number): { losses: Storage; lse: Storage };
  /** dlogits for per-row upstream gradients dlosses (rows). */
  crossEntropyBackward?(logits: Storage, targets: Storage, lse: Storage, dlosses: Storage, rows: number, n: number, ignoreIndex: number, labelSmoothing: number): Storage;
  attention?(args: AttentionArgs): AttentionResult;
  attentionBackward?(args: AttentionArgs, result: AttentionResult, dout: Storage): AttentionGrads;
  /** One AdamW step, in place on param, m and v (all float32, same length). */
  adamw?(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamWParams): void;
  /**
   * LSTM cell pointwise part: gates (B, 4H) pre-activations in PyTorch order i, f, g, o and cPrev (B, H)
   * give c = f*cPrev + i*g and h = o*tanh(c).
   */
  lstmCell?(gates: Storage, cPrev: Storage, B: number, H: number): { h: Storage; c: Storage };
  lstmCellBackward?(gates: Storage, cPrev: Storage, c: Storage, dh: Storage, dc: Storage, B: number, H: number): { dgates: Storage; dcPrev: Storage };
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A contiguous layout of `shape` at offset 0. */
export function contiguousLayout(shape: readonly number[]): Layout {
  return { shape: [...shape], strides: contiguousStrides(shape), offset: 0 };
}

/** True when the layout walks its storage densely in row-major order (size-1 dims may have any stride). */
export function isContiguous(layout: Layout): boolean {
  let expected = 1;
  for (let i = layout.shape.length - 1; i >= 0; i--) {
    const d = layout.shape[i]!;
    if (d !== 1 && layout.strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}
