// Element types: float32 is the compute type; float16/bfloat16 are storage types; int32/int64 hold ids.
import { TesseraError } from '../errors.js';

/** The element types a Tensor can hold. */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'int32' | 'int64' | 'uint8' | 'bool';

/** Host arrays handed to and read from backends. int64 travels as BigInt64Array; bool and uint8 as Uint8Array. */
export type HostArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'int32', 'int64', 'uint8', 'bool'];

/** Bytes per element. */
export function dtypeSize(dtype: DType): number {
  switch (dtype) {
    case 'float32': case 'int32': return 4;
    case 'float16': case 'bfloat16': return 2;
    case 'int64': return 8;
    case 'uint8': case 'bool': return 1;
  }
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16';
}

export function isInt(dtype: DType): boolean {
  return dtype === 'int32' || dtype === 'int64' || dtype === 'uint8' || dtype === 'bool';
}

export function checkDType(dtype: string): DType {
  if (!(DTYPES as readonly string[]).includes(dtype)) throw new TesseraError(`unknown dtype '${dtype}' (expected one of ${DTYPES.join(', ')})`);
  return dtype as DType;
}

/** A zeroed host array of the given dtype. */
export function allocHost(dtype: DType, n: number): HostArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float16': case 'bfloat16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
  }
}

/**
 * The dtype of `a op b` (PyTorch's promotion for the types we have): any float wins over ints, float32 over
 * the half types, two different half types give float32; int64 over int32 over uint8 over bool.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  const fa = isFloat(a), fb = isFloat(b);
  if (fa && fb) return 'float32';
  if (fa) return a;
  if (fb) return b;
  const rank: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, int64: 3, float16: 9, bfloat16: 9, float32: 9 };
  return rank[a] >= rank[b] ? a : b;
}

// --- half-precision conversion (round to nearest even), used by every host-side conversion ---

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> bfloat16 bits, round to nearest even (NaN kept quiet). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/** float32 -> IEEE half bits, round to nearest even, overflow to inf, subnormals kept. */
export function floatToF16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (m & 1))) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rem = mant & 0x1fff;
  let out = sign | (e << 10) | m;
  if (rem > 0x1000 || (rem === 0x1000 && (m & 1))) out++;
  return out;
}

export function f16ToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Converts a host array between dtypes (float <-> half bits, float <-> ints with truncation as PyTorch casts). */
export function convertHost(src: HostArray, from: DType, to: DType): HostArray {
  const n = src.length;
  if (from === to) return src.slice() as HostArray;
  const out = allocHost(to, n);
  const read = hostReader(src, from);
  switch (to) {
    case 'float32': { const o = out as Float32Array; for (let i = 0; i < n; i++) o[i] = read(i); break; }
    case 'bfloat16': { const o = out as Uint16Array; for (let i = 0; i < n; i++) o[i] = floatToBf16(read(i)); break; }
    case 'float16': { const o = out as Uint16Array; for (let i = 0; i < n; i++) o[i] = floatToF16(read(i)); break; }
    case 'int32': { const o = out as Int32Array; for (let i = 0; i < n; i++) o[i] = Math.trunc(read(i)); break; }
    case 'int64': { const o = out as BigInt64Array; for (let i = 0; i < n; i++) o[i] = BigInt(Math.trunc(read(i))); break; }
    case 'uint8': { const o = out as Uint8Array; for (let i = 0; i < n; i++) o[i] = Math.trunc(read(i)); break; }
    case 'bool': { const o = out as Uint8Array; for (let i = 0; i < n; i++) o[i] = read(i) !== 0 ? 1 : 0; break; }
  }
  return out;
}

/** A function reading element i of a host array as a JS number. */
export function hostReader(src: HostArray, dtype: DType): (i: number) => number {
  switch (dtype) {
    case 'bfloat16': { const s = src as Uint16Array; return (i) => bf16ToFloat(s[i]!); }
    case 'float16': { const s = src as Uint16Array; return (i) => f16ToFloat(s[i]!); }
    case 'int64': { const s = src as BigInt64Array; return (i) => Number(s[i]!); }
    default: { const s = src as Float32Array; return (i) => s[i]!; }
  }
}
