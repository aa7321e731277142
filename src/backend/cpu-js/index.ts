// cpu-js: the pure-TypeScript reference backend. Readable loops over typed arrays, contiguous fast paths,
// a cache-blocked matmul; runs anywhere Node or a browser runs.
import { TesseraError } from '../../errors.js';
import {
  contiguousLayout, isContiguous, numel,
  type AdamWParams, type AttentionArgs, type AttentionResult, type Backend, type BinaryOp, type Layout,
  type MapOp, type MatmulEpilogue, type ReduceOp, type Storage,
} from '../backend.js';
import { registerBackend } from '../registry.js';
import { bf16ToFloat, f16ToFloat, floatToBf16, floatToF16, type DType, type HostArray } from '../../tensor/dtype.js';
import * as fused from './fused.js';
import { gemmAccumulate } from './matmul.js';
import { Xoshiro128 } from './random.js';
import { allocCpu, CpuJsStorage, type CpuArray } from './storage.js';
import { elementOffsets, subOffsets } from './strided.js';

const SQRT1_2 = Math.SQRT1_2;
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

/** erf with ~1e-7 absolute error (Abramowitz-Stegun 7.1.26 is too coarse; this is W. J. Cody's rational form). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const t = x * x;
    const p = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const q = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return (x * p) / q;
  }
  if (ax >= 6) return x > 0 ? 1 : -1;
  return x > 0 ? 1 - erfc(ax) : erfc(ax) - 1;
}

function erfc(ax: number): number {
  if (ax < 4) {
    const p = (((((((5.64188496988670089e-1 * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725);
    const q = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
    return Math.exp(-ax * ax) * (p / q);
  }
  const z = 1 / (ax * ax);
  const p = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z + 1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
  const q = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 5.27905102951428412e-1) * z + 6.05183413124413191e-2) * z + 2.33520497626869185e-3;
  return (Math.exp(-ax * ax) / ax) * (0.564189583547756287 - (z * p) / q);
}

const gelu = (x: number) => 0.5 * x * (1 + erf(x * SQRT1_2));
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x)));
const geluGrad = (x: number) => 0.5 * (1 + erf(x * SQRT1_2)) + x * Math.exp(-0.5 * x * x) * 0.3989422804014327;
const geluTanhGrad = (x: number) => {
  const u = GELU_TANH_C * (x + 0.044715 * x * x * x);
  const t = Math.tanh(u);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_TANH_C * (1 + 3 * 0.044715 * x * x);
};

function mapFn(op: MapOp, args: readonly number[]): (x: number) => number {
  const a = args[0] ?? 0, b = args[1] ?? 0;
  switch (op) {
    case 'neg': return (x) => -x;
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'abs': return Math.abs;
    case 'tanh': return Math.tanh;
    case 'sigmoid': return (x) => 1 / (1 + Math.exp(-x));
    case 'relu': return (x) => (x > 0 ? x : 0);
    case 'gelu': return gelu;
    case 'geluTanh': return geluTanh;
    case 'erf': return erf;
    case 'sin': return Math.sin;
    case 'cos': return Math.cos;
    case 'square': return (x) => x * x;
    case 'reciprocal': return (x) => 1 / x;
    case 'sign': return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'floor': return Math.floor;
    case 'ceil': return Math.ceil;
    case 'round': return (x) => {
      // round half to even, as torch.round
      const r = Math.round(x);
      return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    };
    case 'logicalNot': return (x) => (x === 0 ? 1 : 0);
    case 'addScalar': return (x) => x + a;
    case 'mulScalar': return (x) => x * a;
    case 'powScalar': return a === 2 ? (x) => x * x : a === 0.5 ? Math.sqrt : (x) => x ** a;
    case 'rsubScalar': return (x) => a - x;
    case 'clamp': return (x) => {
      let y = x;
      if (!Number.isNaN(a) && y < a) y = a;
      if (!Number.isNaN(b) && y > b) y = b;
      return y;
    };
  }
}

function binaryFn(op: BinaryOp): (x: number, y: number) => number {
  switch (op) {
    case 'add': return (x, y) => x + y;
    case 'sub': return (x, y) => x - y;
    case 'mul': return (x, y) => x * y;
    case 'div': return (x, y) => x / y;
    case 'pow': return (x, y) => x ** y;
    case 'maximum': return (x, y) => (x !== x || y !== y ? NaN : x > y ? x : y);
    case 'minimum': return (x, y) => (x !== x || y !== y ? NaN : x < y ? x : y);
    case 'eq': return (x, y) => (x === y ? 1 : 0);
    case 'ne': return (x, y) => (x !== y ? 1 : 0);
    case 'lt': return (x, y) => (x < y ? 1 : 0);
    case 'le': return (x, y) => (x <= y ? 1 : 0);
    case 'gt': return (x, y) => (x > y ? 1 : 0);
    case 'ge': return (x, y) => (x >= y ? 1 : 0);
    case 'and': return (x, y) => (x !== 0 && y !== 0 ? 1 : 0);
    case 'or': return (x, y) => (x !== 0 || y !== 0 ? 1 : 0);
    case 'reluGrad': return (x, dy) => (x > 0 ? dy : 0);
    case 'geluGrad': return (x, dy) => dy * geluGrad(x);
    case 'geluTanhGrad': return (x, dy) => dy * geluTanhGrad(x);
  }
}

const BOOL_OPS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or']);

function data(s: Storage): CpuArray {
  if (!(s instanceof CpuJsStorage)) throw new TesseraError('cpu-js: got a storage of another device');
  return s.data;
}

function f32(s: Storage, what: string): Float32Array {
  const d = data(s);
  if (!(d instanceof Float32Array)) throw new TesseraError(`cpu-js ${what}: expected float32, got ${s.dtype}`);
  return d;
}

/** Reads element i of a cpu-js array as a number, decoding half types. */
function reader(arr: CpuArray, dtype: DType): (i: number) => number {
  if (dtype === 'bfloat16') return (i) => bf16ToFloat(arr[i]!);
  if (dtype === 'float16') return (i) => f16ToFloat(arr[i]!);
  return (i) => arr[i]!;
}

function writer(arr: CpuArray, dtype: DType): (i: number, v: number) => void {
  switch (dtype) {
    case 'bfloat16': return (i, v) => { arr[i] = floatToBf16(v); };
    case 'float16': return (i, v) => { arr[i] = floatToF16(v); };
    case 'bool': return (i, v) => { arr[i] = v !== 0 ? 1 : 0; };
    case 'int32': case 'int64': case 'uint8': return (i, v) => { arr[i] = Math.trunc(v); };
    default: return (i, v) => { arr[i] = v; };
  }
}

/** A contiguous Float32Array view or copy of (storage, layout), which must be float32. */
function contiguousF32(s: Storage, layout: Layout): Float32Array {
  const d = f32(s, 'op');
  const n = numel(layout.shape);
  if (isContiguous(layout)) return d.subarray(layout.offset, layout.offset + n);
  const offs = elementOffsets(layout)!;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = d[offs[i]!]!;
  return out;
}

function readIndex(index: Storage, layout: Layout): Float64Array {
  const d = data(index);
  if (index.dtype !== 'int32' && index.dtype !== 'int64') throw new TesseraError(`index must be int32 or int64, got ${index.dtype}`);
  const n = numel(layout.shape);
  const offs = elementOffsets(layout);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = d[offs ? offs[i]! : layout.offset + i]!;
  return out;
}

export class CpuJsBackend implements Backend {
  readonly name = 'cpu-js';
  readonly device = 'cpu-js';
  readonly computeDTypes: readonly DType[] = ['float32', 'int32', 'int64', 'uint8', 'bool'];
  private gen = new Xoshiro128(0);

  // --- memory ---
  zeros(dtype: DType, length: number): Storage {
    return new CpuJsStorage(dtype, allocCpu(dtype, length));
  }

  full(dtype: DType, length: number, value: number): Storage {
    const s = new CpuJsStorage(dtype, allocCpu(dtype, length));
    const w = writer(s.data, dtype);
    if (length > 0) {
      w(0, value);
      s.data.fill(s.data[0]!);
    }
    return s;
  }

  arange(dtype: DType, start: number, step: number, length: number): Storage {
    const s = new CpuJsStorage(dtype, allocCpu(dtype, length));
    const w = writer(s.data, dtype);
    for (let i = 0; i < length; i++) w(i, start + i * step);
    return s;
  }

  fromHost(host: HostArray, dtype: DType): Storage {
    if (host instanceof BigInt64Array) {
      const out = new Float64Array(host.length);
      for (let i = 0; i < host.length; i++) out[i] = Number(host[i]!);
      return new CpuJsStorage(dtype, out);
    }
    const arr = allocCpu(dtype, host.length);
    arr.set(host as ArrayLike<number>);
    return new CpuJsStorage(dtype, arr);
  }

  toHost(src: Storage, layout: Layout): HostArray {
    const c = this.copy(src, layout, src.dtype) as CpuJsStorage;
    if (src.dtype === 'int64') {
      const out = new BigInt64Array(c.data.length);
      for (let i = 0; i < out.length; i++) out[i] = BigInt(c.data[i]!);
      return out;
    }
    return c.data as HostArray;
  }

  copy(src: Storage, layout: Layout, dtype: DType): Storage {
    const d = data(src);
    const n = numel(layout.shape);
    const offs = elementOffsets(layout);
    if (dtype === src.dtype) {
      if (!offs) return new CpuJsStorage(dtype, d.slice(layout.offset, layout.offset + n));
      const out = allocCpu(dtype, n);
      for (let i = 0; i < n; i++) out[i] = d[offs[i]!]!;
      return new CpuJsStorage(dtype, out);
    }
    const out = allocCpu(dtype, n);
    const r = reader(d, src.dtype);
    const w = writer(out, dtype);
    for (let i = 0; i < n; i++) w(i, r(offs ? offs[i]! : layout.offset + i));
    return new CpuJsStorage(dtype, out);
  }

  copyInto(dst: Storage, dstLayout: Layout, src: Storage, srcLayout: Layout): void {
    if (dst.dtype !== src.dtype) throw new TesseraError(`copyInto: dtype ${src.dtype} into ${dst.dtype}`);
    const dd = data(dst), sd = data(src);
    const n = numel(dstLayout.shape);
    const doffs = elementOffsets(dstLayout);
    const soffs = elementOffsets(srcLayout);
    // copy the source first: src and dst may overlap
    const tmp = allocCpu(src.dtype, n);
    for (let i = 0; i < n; i++) tmp[i] = sd[soffs ? soffs[i]! : srcLayout.offset + i]!;
    for (let i = 0; i < n; i++) dd[doffs ? doffs[i]! : dstLayout.offset + i] = tmp[i]!;
  }

  synchronize(): void {}

  // --- elementwise ---
  map(op: MapOp, x: Storage, layout: Layout, args: readonly number[] = []): Storage {
    const d = data(x);
    const n = numel(layout.shape);
    const outDtype: DType = op === 'logicalNot' ? 'bool' : x.dtype;
    const out = allocCpu(outDtype, n);
    const f = mapFn(op, args);
    const offs = elementOffsets(layout);
    if (!offs) {
      const o = layout.offset;
      for (let i = 0; i < n; i++) out[i] = f(d[o + i]!);
    } else {
      for (let i = 0; i < n; i++) out[i] = f(d[offs[i]!]!);
    }
    return new CpuJsStorage(outDtype, out);
  }

  binary(op: BinaryOp, a: Storage, aLayout: Layout, b: Storage, bLayout: Layout): Storage {
    if (a.dtype !== b.dtype) throw new TesseraError(`binary ${op}: dtypes ${a.dtype} and ${b.dtype} differ`);
    const A = data(a), B = data(b);
    const n = numel(aLayout.shape);
    const outDtype: DType = BOOL_OPS.has(op) ? 'bool' : a.dtype;
    const out = allocCpu(outDtype, n);
    const ao = elementOffsets(aLayout), bo = elementOffsets(bLayout);
    const a0 = aLayout.offset, b0 = bLayout.offset;
    if (!ao && !bo) {
      // contiguous fast paths for the hot ops
      switch (op) {
        case 'add': for (let i = 0; i < n; i++) out[i] = A[a0 + i]! + B[b0 + i]!; return new CpuJsStorage(outDtype, out);
        case 'sub': for (let i = 0; i < n; i++) out[i] = A[a0 + i]! - B[b0 + i]!; return new CpuJsStorage(outDtype, out);
        case 'mul': for (let i = 0; i < n; i++) out[i] = A[a0 + i]! * B[b0 + i]!; return new CpuJsStorage(outDtype, out);
        case 'div': for (let i = 0; i < n; i++) out[i] = A[a0 + i]! / B[b0 + i]!; return new CpuJsStorage(outDtype, out);
        default: {
          const f = binaryFn(op);
          for (let i = 0; i < n; i++) out[i] = f(A[a0 + i]!, B[b0 + i]!);
          return new CpuJsStorage(outDtype, out);
        }
      }
    }
    const f = binaryFn(op);
    if (ao && bo) for (let i = 0; i < n; i++) out[i] = f(A[ao[i]!]!, B[bo[i]!]!);
    else if (ao) for (let i = 0; i < n; i++) out[i] = f(A[ao[i]!]!, B[b0 + i]!);
    else for (let i = 0; i < n; i++) out[i] = f(A[a0 + i]!, B[bo![i]!]!);
    return new CpuJsStorage(outDtype, out);
  }

  where(cond: Storage, cl: Layout, a: Storage, al: Layout, b: Storage, bl: Layout): Storage {
    if (a.dtype !== b.dtype) throw new TesseraError(`where: dtypes ${a.dtype} and ${b.dtype} differ`);
    const C = data(cond), A = data(a), B = data(b);
    const n = numel(al.shape);
    const out = allocCpu(a.dtype, n);
    const co = elementOffsets(cl), ao = elementOffsets(al), bo = elementOffsets(bl);
    for (let i = 0; i < n; i++) {
      const c = C[co ? co[i]! : cl.offset + i]!;
      out[i] = c !== 0 ? A[ao ? ao[i]! : al.offset + i]! : B[bo ? bo[i]! : bl.offset + i]!;
    }
    return new CpuJsStorage(a.dtype, out);
  }

  // --- reductions ---
  reduce(op: ReduceOp, x: Storage, layout: Layout, axes: readonly number[]): Storage {
    const d = data(x);
    const nd = layout.shape.length;
    const kept = [...Array(nd).keys()].filter((i) => !axes.includes(i));
    const keptOffs = subOffsets(layout, kept);
    const redOffs = subOffsets(layout, axes);
    const outN = keptOffs.length, R = redOffs.length;
    const base = layout.offset;
    if (op === 'argmax' || op === 'argmin') {
      const out = new Float64Array(outN);
      const better = op === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
      for (let o = 0; o < outN; o++) {
        const ko = base + keptOffs[o]!;
        let best = d[ko + redOffs[0]!]!, bi = 0;
        for (let r = 1; r < R; r++) {
          const v = d[ko + redOffs[r]!]!;
          if (v !== v && best === best) { best = v; bi = r; break; } // NaN wins, as in torch
          if (better(v, best)) { best = v; bi = r; }
        }
        out[o] = bi;
      }
      return new CpuJsStorage('int64', out);
    }
    const outDtype: DType = x.dtype === 'bool' || x.dtype === 'uint8' ? (op === 'sum' || op === 'prod' ? 'int64' : x.dtype) : x.dtype;
    const out = allocCpu(outDtype, outN);
    if (R === 0) throw new TesseraError(`reduce ${op}: cannot reduce an empty set of elements`);
    for (let o = 0; o < outN; o++) {
      const ko = base + keptOffs[o]!;
      let acc: number;
      switch (op) {
        case 'sum': acc = 0; for (let r = 0; r < R; r++) acc += d[ko + redOffs[r]!]!; break;
        case 'prod': acc = 1; for (let r = 0; r < R; r++) acc *= d[ko + redOffs[r]!]!; break;
        case 'max': acc = -Infinity; for (let r = 0; r < R; r++) { const v = d[ko + redOffs[r]!]!; if (v > acc || v !== v) acc = v; if (acc !== acc) break; } break;
        case 'min': acc = Infinity; for (let r = 0; r < R; r++) { const v = d[ko + redOffs[r]!]!; if (v < acc || v !== v) acc = v; if (acc !== acc) break; } break;
      }
      out[o] = acc;
    }
    return new CpuJsStorage(outDtype, out);
  }

  // --- matmul ---
  matmul(a: Storage, al: Layout, b: Storage, bl: Layout, epilogue?: MatmulEpilogue): Storage {
    const A = f32(a, 'matmul'), B = f32(b, 'matmul');
    const nd = al.shape.length;
    const M = al.shape[nd - 2]!, K = al.shape[nd - 1]!, N = bl.shape[nd - 1]!;
    const batchDims = [...Array(nd - 2).keys()];
    const aBatch = subOffsets(al, batchDims), bBatch = subOffsets(bl, batchDims);
    const nb = aBatch.length;
    const C = new Float32Array(nb * M * N);
    const aMat: Layout = { shape: [M, K], strides: [al.strides[nd - 2]!, al.strides[nd - 1]!], offset: 0 };
    const bMat: Layout = { shape: [K, N], strides: [bl.strides[nd - 2]!, bl.strides[nd - 1]!], offset: 0 };
    const aRow = isContiguous(aMat), bRow = isContiguous(bMat);
    const aOffs = aRow ? null : elementOffsets(aMat)!;
    const bOffs = bRow ? null : elementOffsets(bMat)!;
    const pa = aRow ? null : new Float32Array(M * K);
    const pb = bRow ? null : new Float32Array(K * N);
    let lastB = -1;
    for (let i = 0; i < nb; i++) {
      const ao = al.offset + aBatch[i]!, bo = bl.offset + bBatch[i]!;
      let Am = A, aOff = ao, Bm = B, bOff = bo;
      if (pa) {
        for (let j = 0; j < M * K; j++) pa[j] = A[ao + aOffs![j]!]!;
        Am = pa; aOff = 0;
      }
      if (pb) {
        if (bo !== lastB) for (let j = 0; j < K * N; j++) pb[j] = B[bo + bOffs![j]!]!;
        lastB = bo;
        Bm = pb; bOff = 0;
      }
      gemmAccumulate(M, N, K, Am, aOff, Bm, bOff, C, i * M * N);
    }
    if (epilogue?.bias || (epilogue?.activation && epilogue.activation !== 'none')) {
      const bias = epilogue.bias ? f32(epilogue.bias, 'matmul bias') : null;
      const act = epilogue.activation && epilogue.activation !== 'none' ? mapFn(epilogue.activation, []) : null;
      for (let r = 0; r < nb * M; r++) {
        const o = r * N;
        for (let j = 0; j < N; j++) {
          let v = C[o + j]!;
          if (bias) v += bias[j]!;
          C[o + j] = act ? act(v) : v;
        }
      }
    }
    return new CpuJsStorage('float32', C);
  }

  // --- indexing ---
  indexSelect(x: Storage, layout: Layout, axis: number, index: Storage, indexLayout: Layout): Storage {
    const idx = readIndex(index, indexLayout);
    // a contiguous input is read in place; others are made contiguous once
    const dense = isContiguous(layout);
    const src = dense ? (x as CpuJsStorage) : (this.copy(x, layout, x.dtype) as CpuJsStorage);
    const base = dense ? layout.offset : 0;
    const shape = layout.shape;
    const size = shape[axis]!;
    const outer = numel(shape.slice(0, axis)), inner = numel(shape.slice(axis + 1));
    const out = allocCpu(x.dtype, outer * idx.length * inner);
    for (let i = 0; i < idx.length; i++) {
      const id = idx[i]!;
      if (id < 0 || id >= size) throw new TesseraError(`indexSelect: index ${id} is out of range for dimension ${axis} of size ${size}`);
    }
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < idx.length; i++) {
        const s = base + (o * size + idx[i]!) * inner;
        out.set(src.data.subarray(s, s + inner), (o * idx.length + i) * inner);
      }
    }
    return new CpuJsStorage(x.dtype, out);
  }

  indexAdd(shape: readonly number[], axis: number, index: Storage, indexLayout: Layout, src: Storage, srcLayout: Layout): Storage {
    const idx = readIndex(index, indexLayout);
    const s = contiguousF32(src, srcLayout);
    const size = shape[axis]!;
    const outer = numel(shape.slice(0, axis)), inner = numel(shape.slice(axis + 1));
    const out = new Float32Array(numel(shape));
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < idx.length; i++) {
        const id = idx[i]!;
        if (id < 0 || id >= size) throw new TesseraError(`indexAdd: index ${id} is out of range for dimension ${axis} of size ${size}`);
        const d = (o * size + id) * inner, so = (o * idx.length + i) * inner;
        for (let j = 0; j < inner; j++) out[d + j] += s[so + j]!;
      }
    }
    return new CpuJsStorage('float32', out);
  }

  gather(x: Storage, layout: Layout, axis: number, index: Storage, indexLayout: Layout): Storage {
    const d = data(x);
    const idx = readIndex(index, indexLayout);
    const size = layout.shape[axis]!;
    const strides = [...layout.strides];
    const axisStride = strides[axis]!;
    strides[axis] = 0;
    const base = elementOffsets({ shape: indexLayout.shape, strides, offset: layout.offset })
      ?? Int32Array.from({ length: idx.length }, (_, i) => layout.offset + i);
    const out = allocCpu(x.dtype, idx.length);
    for (let i = 0; i < idx.length; i++) {
      const id = idx[i]!;
      if (id < 0 || id >= size) throw new TesseraError(`gather: index ${id} is out of range for dimension ${axis} of size ${size}`);
      out[i] = d[base[i]! + id * axisStride]!;
    }
    return new CpuJsStorage(x.dtype, out);
  }

  scatterAdd(shape: readonly number[], axis: number, index: Storage, indexLayout: Layout, src: Storage, srcLayout: Layout): Storage {
    const idx = readIndex(index, indexLayout);
    const s = contiguousF32(src, srcLayout);
    const outLayout = contiguousLayout(shape);
    const strides = [...outLayout.strides];
    const axisStride = strides[axis]!;
    strides[axis] = 0;
    const base = elementOffsets({ shape: indexLayout.shape, strides, offset: 0 })
      ?? Int32Array.from({ length: idx.length }, (_, i) => i);
    const out = new Float32Array(numel(shape));
    const size = shape[axis]!;
    for (let i = 0; i < idx.length; i++) {
      const id = idx[i]!;
      if (id < 0 || id >= size) throw new TesseraError(`scatterAdd: index ${id} is out of range for dimension ${axis} of size ${size}`);
      out[base[i]! + id * axisStride] += s[i]!;
    }
    return new CpuJsStorage('float32', out);
  }

  // --- convolution helpers ---
  unfold(x: Storage, layout: Layout, kernel: [number, number], stride: [number, number], padding: [number, number]): Storage {
    const X = contiguousF32(x, layout);
    const [B, C, H, W] = layout.shape as [number, number, number, number];
    const [kh, kw] = kernel, [sh, sw] = stride, [ph, pw] = padding;
    const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1, Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
    const L = Ho * Wo, rowsPer = C * kh * kw;
    const out = new Float32Array(B * rowsPer * L);
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const row = ((b * C + c) * kh + i) * kw + j;
            const ro = row * L;
            for (let oy = 0; oy < Ho; oy++) {
              const y = oy * sh - ph + i;
              if (y < 0 || y >= H) continue;
              const xo = ((b * C + c) * H + y) * W;
              for (let ox = 0; ox < Wo; ox++) {
                const xx = ox * sw - pw + j;
                if (xx >= 0 && xx < W) out[ro + oy * Wo + ox] = X[xo + xx]!;
              }
            }
          }
    return new CpuJsStorage('float32', out);
  }

  fold(cols: Storage, shape: readonly [number, number, number, number], kernel: [number, number], stride: [number, number], padding: [number, number]): Storage {
    const Cc = f32(cols, 'fold');
    const [B, C, H, W] = shape;
    const [kh, kw] = kernel, [sh, sw] = stride, [ph, pw] = padding;
    const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1, Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
    const L = Ho * Wo;
    const out = new Float32Array(B * C * H * W);
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const ro = (((b * C + c) * kh + i) * kw + j) * L;
            for (let oy = 0; oy < Ho; oy++) {
              const y = oy * sh - ph + i;
              if (y < 0 || y >= H) continue;
              const xo = ((b * C + c) * H + y) * W;
              for (let ox = 0; ox < Wo; ox++) {
                const xx = ox * sw - pw + j;
                if (xx >= 0 && xx < W) out[xo + xx] += Cc[ro + oy * Wo + ox]!;
              }
            }
          }
    return new CpuJsStorage('float32', out);
  }

  // --- randomness ---
  manualSeed(seed: number): void {
    this.gen.seed(seed);
  }

  random(kind: 'uniform' | 'normal', length: number, a: number, b: number): Storage {
    const out = new Float32Array(length);
    if (kind === 'uniform') this.gen.fillUniform(out, a, b);
    else this.gen.fillNormal(out, a, b);
    return new CpuJsStorage('float32', out);
  }

  getRngState(): number[] {
    return this.gen.getState();
  }

  setRngState(state: readonly number[]): void {
    this.gen.setState(state);
  }

  // --- fused ---
  softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    return new CpuJsStorage('float32', fused.softmaxRows(f32(x, 'softmax'), rows, n, log));
  }

  softmaxBackward(y: Storage, dy: Storage, rows: number, n: number, log: boolean): Storage {
    return new CpuJsStorage('float32', fused.softmaxRowsBackward(f32(y, 'softmax'), f32(dy, 'softmax'), rows, n, log));
  }

  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, n: number, eps: number) {
    const r = fused.layerNormRows(f32(x, 'layerNorm'), weight && f32(weight, 'layerNorm'), bias && f32(bias, 'layerNorm'), rows, n, eps);
    return { y: new CpuJsStorage('float32', r.y), mean: new CpuJsStorage('float32', r.mean), rstd: new CpuJsStorage('float32', r.rstd) };
  }

  layerNormBackward(dy: Storage, x: Storage, weight: Storage | null, mean: Storage, rstd: Storage, rows: number, n: number) {
    const r = fused.layerNormRowsBackward(f32(dy, 'layerNorm'), f32(x, 'layerNorm'), weight && f32(weight, 'layerNorm'), f32(mean, 'layerNorm'), f32(rstd, 'layerNorm'), rows, n, true);
    return {
      dx: new CpuJsStorage('float32', r.dx),
      dweight: r.dw ? new CpuJsStorage('float32', r.dw) : null,
      dbias: r.db ? new CpuJsStorage('float32', r.db) : null,
    };
  }

  crossEntropy(logits: Storage, targets: Storage, rows: number, n: number, ignoreIndex: number, labelSmoothing: number) {
    const r = fused.crossEntropyRows(f32(logits, 'crossEntropy'), data(targets), rows, n, ignoreIndex, labelSmoothing);
    return { losses: new CpuJsStorage('float32', r.losses), lse: new CpuJsStorage('float32', r.lse) };
  }

  crossEntropyBackward(logits: Storage, targets: Storage, lse: Storage, dlosses: Storage, rows: number, n: number, ignoreIndex: number, labelSmoothing: number): Storage {
    return new CpuJsStorage('float32', fused.crossEntropyRowsBackward(f32(logits, 'crossEntropy'), data(targets), f32(lse, 'crossEntropy'), f32(dlosses, 'crossEntropy'), rows, n, ignoreIndex, labelSmoothing));
  }

  attention(args: AttentionArgs): AttentionResult {
    const mask = args.mask ? f32(args.mask.storage, 'attention mask') : null;
    const r = fused.attentionForward(args, f32(args.q, 'attention'), f32(args.k, 'attention'), f32(args.v, 'attention'), mask, this.gen);
    return {
      out: new CpuJsStorage('float32', r.out),
      probs: args.returnProbs ? new CpuJsStorage('float32', r.probs) : undefined,
      saved: r.saved,
    };
  }

  attentionBackward(args: AttentionArgs, result: AttentionResult, dout: Storage) {
    const r = fused.attentionBackward(args, f32(args.q, 'attention'), f32(args.k, 'attention'), f32(args.v, 'attention'), result.saved, f32(dout, 'attention'));
    return { dq: new CpuJsStorage('float32', r.dq), dk: new CpuJsStorage('float32', r.dk), dv: new CpuJsStorage('float32', r.dv) };
  }

  adamw(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamWParams): void {
    fused.adamwStep(f32(param, 'adamw'), f32(grad, 'adamw'), f32(m, 'adamw'), f32(v, 'adamw'), p);
  }

  lstmCell(gates: Storage, cPrev: Storage, B: number, H: number) {
    const r = fused.lstmCellForward(f32(gates, 'lstmCell'), f32(cPrev, 'lstmCell'), B, H);
    return { h: new CpuJsStorage('float32', r.h), c: new CpuJsStorage('float32', r.c) };
  }

  lstmCellBackward(gates: Storage, cPrev: Storage, c: Storage, dh: Storage, dc: Storage, B: number, H: number) {
    const r = fused.lstmCellBackwardRows(f32(gates, 'lstmCell'), f32(cPrev, 'lstmCell'), f32(c, 'lstmCell'), f32(dh, 'lstmCell'), f32(dc, 'lstmCell'), B, H);
    return { dgates: new CpuJsStorage('float32', r.dgates), dcPrev: new CpuJsStorage('float32', r.dcPrev) };
  }
}

registerBackend('cpu-js', () => new CpuJsBackend());
