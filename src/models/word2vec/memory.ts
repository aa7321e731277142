// Where the training state lives: the weights (syn0, syn1, syn1neg), the arrays the SIMD steps read
// (sigmoid table, Huffman codes and paths) and each thread's scratch, laid out in one shared
// WebAssembly.Memory when the SIMD module is used, or in SharedArrayBuffers for the TypeScript kernels.
import { EXP_TABLE } from './exptable.js';
import type { HuffmanTree } from './huffman.js';
import { targetsLength, type KernelScratch } from './kernels.js';
import { createSharedMemory, simdModule, type SharedWasmMemory } from './simd.js';

/** The sizes to lay out. */
export interface ModelLayout {
  vocabSize: number;
  dim: number;
  hs: boolean;
  negative: number;
  window: number;
  threads: number;
  /** Try the SIMD module's memory first. */
  simd: boolean;
}

/** The shared training state (views into `memory` when it is not null). */
export interface ModelMemory {
  memory: SharedWasmMemory | null;
  syn0: Float32Array;
  syn1: Float32Array | null;
  syn1neg: Float32Array | null;
  /** A copy of the sigmoid table where the SIMD steps read it. */
  expTable: Float32Array;
  /** The Huffman tree, copied into shared memory (hs only). */
  huffman: HuffmanTree | null;
  /** neu1, neu1e and negative targets of each thread. */
  scratch: KernelScratch[];
}

type Kind = 'f32' | 'i32' | 'u8';
const BYTES: Record<Kind, number> = { f32: 4, i32: 4, u8: 1 };

/** Lays the state out, copying `tree` (built on ordinary buffers) in; returns views over fresh zeroed memory. */
export function allocateModel(layout: ModelLayout, tree: HuffmanTree | null): ModelMemory {
  const { vocabSize: v, dim } = layout;
  const matrix = v * dim;
  const regions: [Kind, number][] = [];
  const add = (kind: Kind, length: number) => regions.push([kind, length]) - 1;
  const syn0 = add('f32', matrix);
  const syn1 = layout.hs ? add('f32', matrix) : -1;
  const syn1neg = layout.negative > 0 ? add('f32', matrix) : -1;
  const exp = add('f32', EXP_TABLE.length);
  const codes = tree ? add('u8', tree.codes.length) : -1;
  const points = tree ? add('i32', tree.points.length) : -1;
  const lengths = tree ? add('u8', tree.lengths.length) : -1;
  const scratchIds: [number, number, number][] = [];
  for (let t = 0; t < layout.threads; t++) {
    scratchIds.push([add('f32', dim), add('f32', dim), add('i32', targetsLength(layout.window, layout.negative))]);
  }
  // Each region 64-byte aligned (a cache line).
  const offsets: number[] = [];
  let bytes = 0;
  for (const [kind, length] of regions) {
    offsets.push(bytes);
    bytes += Math.ceil((length * BYTES[kind]) / 64) * 64;
  }
  const memory = layout.simd && simdModule() ? createSharedMemory(bytes) : null;
  const buffer = memory ? memory.buffer : null;
  const view = <T extends Float32Array | Int32Array | Uint8Array>(i: number): T => {
    const [kind, length] = regions[i];
    const buf = buffer ?? new SharedArrayBuffer(Math.max(1, length * BYTES[kind]));
    const offset = buffer ? offsets[i] : 0;
    if (kind === 'f32') return new Float32Array(buf, offset, length) as T;
    if (kind === 'i32') return new Int32Array(buf, offset, length) as T;
    return new Uint8Array(buf, offset, length) as T;
  };
  const expTable = view<Float32Array>(exp);
  expTable.set(EXP_TABLE);
  let huffman: HuffmanTree | null = null;
  if (tree) {
    huffman = { maxLength: tree.maxLength, codes: view(codes), points: view(points), lengths: view(lengths) };
    huffman.codes.set(tree.codes);
    huffman.points.set(tree.points);
    huffman.lengths.set(tree.lengths);
  }
  return {
    memory,
    syn0: view<Float32Array>(syn0),
    syn1: syn1 >= 0 ? view<Float32Array>(syn1) : null,
    syn1neg: syn1neg >= 0 ? view<Float32Array>(syn1neg) : null,
    expTable,
    huffman,
    scratch: scratchIds.map(([a, b, c]) => ({ neu1: view<Float32Array>(a), neu1e: view<Float32Array>(b), targets: view<Int32Array>(c) })),
  };
}
