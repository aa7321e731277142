// The vector primitives of the training kernels as a tiny WebAssembly module with 128-bit SIMD, assembled
// here byte by byte (no toolchain) over a shared WebAssembly.Memory, so that every worker thread runs them
// on the same weights. Float32 arithmetic, four lanes at a time: what gcc -O3 makes of word2vec.c's loops.
//   dot(a, b, n) -> f32          sum a[k] * b[k]
//   update(err, out, h, g, n)    err += g * out; out += g * h   (out read before its update)
//   axpy(y, x, a, n)             y += a * x
//   divide(y, d, n)              y /= d
//   negative(h, out, err, targets, count, alpha, n, exp)          negative sampling over `count` targets
//   hierarchical(h, out, err, points, codes, len, alpha, n, exp)  hierarchical softmax along a path
// (the last two as RowOps.negative / RowOps.hierarchical, in float arithmetic as word2vec.c, reading the
// sigmoid table at `exp`). Pointers are byte offsets into the memory; any alignment works.

/** The module's exports. */
export interface SimdOps {
  dot(a: number, b: number, n: number): number;
  update(err: number, out: number, h: number, g: number, n: number): void;
  axpy(y: number, x: number, a: number, n: number): void;
  divide(y: number, d: number, n: number): void;
  negative(h: number, out: number, err: number, targets: number, count: number, alpha: number, n: number, exp: number): void;
  hierarchical(h: number, out: number, err: number, points: number, codes: number, len: number, alpha: number, n: number, exp: number): void;
}

import { EXP_INDEX_SCALE, MAX_EXP } from './exptable.js';

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

// Opcodes used below.
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  if: 0x04,
  else: 0x05,
  call: 0x10,
  select: 0x1b,
  i32Load: 0x28,
  f32Load: 0x2a,
  i32Load8U: 0x2d,
  f32Store: 0x38,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32GtS: 0x4a,
  f32Lt: 0x5d,
  f32Gt: 0x5e,
  f32Le: 0x5f,
  f32Ge: 0x60,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  f32Sub: 0x93,
  f32ConvertI32U: 0xb3,
  prefixFC: 0xfc,
  i32Const: 0x41,
  f32Const: 0x43,
  i32GeS: 0x4e,
  i32LtS: 0x48,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  f32Add: 0x92,
  f32Mul: 0x94,
  f32Div: 0x95,
  simd: 0xfd,
} as const;
const simdOp = {
  load: 0x00,
  store: 0x0b,
  f32x4Splat: 0x13,
  f32x4ExtractLane: 0x1f,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
} as const;
const EMPTY_BLOCK = 0x40;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** A function body builder with named instruction helpers. */
class Body {
  readonly code: number[] = [];
  get(i: number): this {
    this.code.push(op.localGet, ...uleb(i));
    return this;
  }
  set(i: number): this {
    this.code.push(op.localSet, ...uleb(i));
    return this;
  }
  i32(n: number): this {
    this.code.push(op.i32Const, ...sleb(n));
    return this;
  }
  f32(x: number): this {
    const b = new Uint8Array(new Float32Array([x]).buffer);
    this.code.push(op.f32Const, ...b);
    return this;
  }
  raw(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  simd(code: number, ...imm: number[]): this {
    this.code.push(op.simd, ...uleb(code), ...imm);
    return this;
  }
  /** v128.load / v128.store with align 2^2 and offset `offset`. */
  vload(offset = 0): this {
    return this.simd(simdOp.load, 2, ...uleb(offset));
  }
  vstore(offset = 0): this {
    return this.simd(simdOp.store, 2, ...uleb(offset));
  }
  fload(offset = 0): this {
    this.code.push(op.f32Load, 2, ...uleb(offset));
    return this;
  }
  fstore(offset = 0): this {
    this.code.push(op.f32Store, 2, ...uleb(offset));
    return this;
  }
  /** `ptr += bytes` for an i32 local. */
  advance(local: number, bytes: number): this {
    return this.get(local).i32(bytes).raw(op.i32Add).set(local);
  }
}

/**
 * Emits `for (i = 0; i + 4 <= n; i += 4) vectorBody; for (; i < n; i++) scalarBody` over local `i`
 * (element index) and `n`; the bodies address memory through pointers they advance themselves.
 */
function loops(b: Body, i: number, n: number, vectorBody: (b: Body) => void, scalarBody: (b: Body) => void): void {
  // while (n - i >= 4) { vectorBody; i += 4 }
  b.raw(op.block, EMPTY_BLOCK, op.loop, EMPTY_BLOCK);
  b.get(n).get(i).raw(op.i32Sub).i32(4).raw(op.i32LtS, op.brIf, 1);
  vectorBody(b);
  b.advance(i, 4);
  b.raw(op.br, 0, op.end, op.end);
  // while (i < n) { scalarBody; i += 1 }
  b.raw(op.block, EMPTY_BLOCK, op.loop, EMPTY_BLOCK);
  b.get(i).get(n).raw(op.i32GeS, op.brIf, 1);
  scalarBody(b);
  b.advance(i, 1);
  b.raw(op.br, 0, op.end, op.end);
}

/** Pushes exp[trunc_sat((f + 6) * 83)] (word2vec.c's table read, in float) for f32 local `f`, table at i32 local `exp`. */
function sigmoidFromTable(b: Body, f: number, exp: number): void {
  b.get(exp).get(f).f32(MAX_EXP).raw(op.f32Add).f32(EXP_INDEX_SCALE).raw(op.f32Mul);
  b.raw(op.prefixFC, 0x00); // i32.trunc_sat_f32_s: a NaN reads entry 0 instead of trapping
  b.i32(2).raw(op.i32Shl, op.i32Add).fload();
}

/** `while (i < count) { body; i++ }` where `body` may `br 0` to continue (it runs inside a block). */
function countedLoop(b: Body, i: number, count: number, body: (b: Body) => void): void {
  b.i32(0).set(i);
  b.raw(op.block, EMPTY_BLOCK, op.loop, EMPTY_BLOCK);
  b.get(i).get(count).raw(op.i32GeS, op.brIf, 1);
  b.raw(op.block, EMPTY_BLOCK);
  body(b);
  b.raw(op.end);
  b.advance(i, 1);
  b.raw(op.br, 0, op.end, op.end);
}

function buildModule(): Uint8Array {
  const types = [
    [0x60, 3, I32, I32, I32, 1, F32], // dot
    [0x60, 5, I32, I32, I32, F32, I32, 0], // update
    [0x60, 4, I32, I32, F32, I32, 0], // axpy
    [0x60, 3, I32, F32, I32, 0], // divide
    [0x60, 8, I32, I32, I32, I32, I32, F32, I32, I32, 0], // negative
    [0x60, 9, I32, I32, I32, I32, I32, I32, F32, I32, I32, 0], // hierarchical
  ];
  const DOT = 0;
  const UPDATE = 1;

  // dot(a=0, b=1, n=2) locals: i=3 (i32), acc=4 (v128), s=5 (f32)
  const dot = new Body();
  loops(
    dot,
    3,
    2,
    (b) => {
      b.get(4).get(0).vload().get(1).vload().simd(simdOp.f32x4Mul).simd(simdOp.f32x4Add).set(4);
      b.advance(0, 16).advance(1, 16);
    },
    (b) => {
      b.get(5).get(0).fload().get(1).fload().raw(op.f32Mul, op.f32Add).set(5);
      b.advance(0, 4).advance(1, 4);
    },
  );
  // (lane0 + lane1) + (lane2 + lane3) + tail
  dot.get(4).simd(simdOp.f32x4ExtractLane, 0).get(4).simd(simdOp.f32x4ExtractLane, 1).raw(op.f32Add);
  dot.get(4).simd(simdOp.f32x4ExtractLane, 2).get(4).simd(simdOp.f32x4ExtractLane, 3).raw(op.f32Add, op.f32Add);
  dot.get(5).raw(op.f32Add);
  const dotLocals = vec([[1, I32], [1, V128], [1, F32]]);

  // update(err=0, out=1, h=2, g=3, n=4) locals: i=5 (i32), gv=6 (v128), o=7 (v128), of=8 (f32)
  const upd = new Body();
  upd.get(3).simd(simdOp.f32x4Splat).set(6);
  loops(
    upd,
    5,
    4,
    (b) => {
      b.get(1).vload().set(7);
      // err += g * out
      b.get(0).get(0).vload().get(6).get(7).simd(simdOp.f32x4Mul).simd(simdOp.f32x4Add).vstore();
      // out = out + g * h
      b.get(1).get(7).get(6).get(2).vload().simd(simdOp.f32x4Mul).simd(simdOp.f32x4Add).vstore();
      b.advance(0, 16).advance(1, 16).advance(2, 16);
    },
    (b) => {
      b.get(1).fload().set(8);
      b.get(0).get(0).fload().get(3).get(8).raw(op.f32Mul, op.f32Add).fstore();
      b.get(1).get(8).get(3).get(2).fload().raw(op.f32Mul, op.f32Add).fstore();
      b.advance(0, 4).advance(1, 4).advance(2, 4);
    },
  );
  const updLocals = vec([[1, I32], [2, V128], [1, F32]]);

  // axpy(y=0, x=1, a=2, n=3) locals: i=4, av=5
  const axpy = new Body();
  axpy.get(2).simd(simdOp.f32x4Splat).set(5);
  loops(
    axpy,
    4,
    3,
    (b) => {
      b.get(0).get(0).vload().get(5).get(1).vload().simd(simdOp.f32x4Mul).simd(simdOp.f32x4Add).vstore();
      b.advance(0, 16).advance(1, 16);
    },
    (b) => {
      b.get(0).get(0).fload().get(2).get(1).fload().raw(op.f32Mul, op.f32Add).fstore();
      b.advance(0, 4).advance(1, 4);
    },
  );
  const axpyLocals = vec([[1, I32], [1, V128]]);

  // divide(y=0, d=1, n=2) locals: i=3, dv=4
  const div = new Body();
  div.get(1).simd(simdOp.f32x4Splat).set(4);
  loops(
    div,
    3,
    2,
    (b) => {
      b.get(0).get(0).vload().get(4).simd(simdOp.f32x4Div).vstore();
      b.advance(0, 16);
    },
    (b) => {
      b.get(0).get(0).fload().get(1).raw(op.f32Div).fstore();
      b.advance(0, 4);
    },
  );
  const divLocals = vec([[1, I32], [1, V128]]);

  // negative(h=0, out=1, err=2, targets=3, count=4, alpha=5, n=6, exp=7)
  // locals: d=8, t=9, o=10 (i32); f=11, g=12, label=13 (f32)
  const neg = new Body();
  countedLoop(neg, 8, 4, (b) => {
    b.get(3).get(8).i32(2).raw(op.i32Shl, op.i32Add, op.i32Load, 2, 0).set(9); // t = targets[d]
    // a negative equal to the word (targets[0]) is skipped
    b.get(8).i32(0).raw(op.i32GtS).get(9).get(3).raw(op.i32Load, 2, 0, op.i32Eq, op.i32And, op.brIf, 0);
    b.get(1).get(9).get(6).raw(op.i32Mul).i32(2).raw(op.i32Shl, op.i32Add).set(10); // o = out + t * n * 4
    b.f32(1).f32(0).get(8).raw(op.i32Eqz, op.select).set(13); // label = d == 0 ? 1 : 0
    b.get(0).get(10).get(6).raw(op.call, DOT).set(11); // f = dot(h, o, n)
    b.get(11).f32(MAX_EXP).raw(op.f32Gt, op.if, EMPTY_BLOCK);
    b.get(13).f32(1).raw(op.f32Sub).get(5).raw(op.f32Mul).set(12);
    b.raw(op.else);
    b.get(11).f32(-MAX_EXP).raw(op.f32Lt, op.if, EMPTY_BLOCK);
    b.get(13).get(5).raw(op.f32Mul).set(12);
    b.raw(op.else);
    b.get(13);
    sigmoidFromTable(b, 11, 7);
    b.raw(op.f32Sub).get(5).raw(op.f32Mul).set(12);
    b.raw(op.end, op.end);
    b.get(2).get(10).get(0).get(12).get(6).raw(op.call, UPDATE); // update(err, o, h, g, n)
  });
  const negLocals = vec([[3, I32], [3, F32]]);

  // hierarchical(h=0, out=1, err=2, points=3, codes=4, len=5, alpha=6, n=7, exp=8)
  // locals: d=9, o=10 (i32); f=11, g=12 (f32)
  const hs = new Body();
  countedLoop(hs, 9, 5, (b) => {
    // o = out + points[d] * n * 4
    b.get(1).get(3).get(9).i32(2).raw(op.i32Shl, op.i32Add, op.i32Load, 2, 0).get(7).raw(op.i32Mul).i32(2).raw(op.i32Shl, op.i32Add).set(10);
    b.get(0).get(10).get(7).raw(op.call, DOT).set(11);
    // |f| >= 6: skip the node
    b.get(11).f32(-MAX_EXP).raw(op.f32Le).get(11).f32(MAX_EXP).raw(op.f32Ge, op.i32Or, op.brIf, 0);
    // g = (1 - code - sigmoid(f)) * alpha
    b.f32(1).get(4).get(9).raw(op.i32Add, op.i32Load8U, 0, 0, op.f32ConvertI32U, op.f32Sub);
    sigmoidFromTable(b, 11, 8);
    b.raw(op.f32Sub).get(6).raw(op.f32Mul).set(12);
    b.get(2).get(10).get(0).get(12).get(7).raw(op.call, UPDATE);
  });
  const hsLocals = vec([[2, I32], [2, F32]]);

  const code = (locals: number[], body: Body) => {
    const fn = [...locals, ...body.code, op.end];
    return [...uleb(fn.length), ...fn];
  };
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    // import env.memory: shared, min 1 page, max 65536 pages
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]])),
    ...section(3, vec([[0], [1], [2], [3], [4], [5]])),
    ...section(
      7,
      vec([
        [...name('dot'), 0x00, 0],
        [...name('update'), 0x00, 1],
        [...name('axpy'), 0x00, 2],
        [...name('divide'), 0x00, 3],
        [...name('negative'), 0x00, 4],
        [...name('hierarchical'), 0x00, 5],
      ]),
    ),
    ...section(
      10,
      vec([code(dotLocals, dot), code(updLocals, upd), code(axpyLocals, axpy), code(divLocals, div), code(negLocals, neg), code(hsLocals, hs)]),
    ),
  ];
  return new Uint8Array(bytes);
}

/** The parts of the WebAssembly API used here (the project's `lib` settings do not declare it). */
export interface SharedWasmMemory {
  readonly buffer: SharedArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => SharedWasmMemory;
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable. */
export function simdModule(): object | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = wasm ? new wasm.Module(buildModule()) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Largest memory the module can address (wasm32: 65536 pages of 64 KiB). */
export const MAX_SIMD_MEMORY_BYTES = 65536 * 65536;

/** A shared memory of at least `bytes` bytes for `instantiateSimd`, or null without WebAssembly. */
export function createSharedMemory(bytes: number): SharedWasmMemory | null {
  if (!wasm || bytes > MAX_SIMD_MEMORY_BYTES) return null;
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  return new wasm.Memory({ initial: pages, maximum: pages, shared: true });
}

/** Instantiates the primitives over `memory` (one instance per thread, all sharing the memory). */
export function instantiateSimd(memory: SharedWasmMemory): SimdOps | null {
  const module = simdModule();
  if (!module || !wasm) return null;
  const instance = new wasm.Instance(module, { env: { memory } });
  return instance.exports as SimdOps;
}
