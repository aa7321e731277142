// Sinusoidal position encodings of "Attention Is All You Need" (3.5): the paper's interleaved layout
// (sin on even dims, cos on odd) or Marian's half layout (sin in the first half, cos in the second).
import { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export type SinusoidalLayout = 'interleaved' | 'halves';

/** The (numPositions, dim) table; angle of pair j at position p is p / 10000^(2j/dim). */
export function sinusoidalTable(numPositions: number, dim: number, layout: SinusoidalLayout = 'interleaved', device?: string): Tensor {
  const out = new Float32Array(numPositions * dim);
  const half = Math.ceil(dim / 2);
  for (let p = 0; p < numPositions; p++) {
    for (let j = 0; j < half; j++) {
      const angle = p / 10000 ** ((2 * j) / dim);
      if (layout === 'interleaved') {
        out[p * dim + 2 * j] = Math.sin(angle);
        if (2 * j + 1 < dim) out[p * dim + 2 * j + 1] = Math.cos(angle);
      } else {
        out[p * dim + j] = Math.sin(angle);
        if (half + j < dim) out[p * dim + half + j] = Math.cos(angle);
      }
    }
  }
  return Tensor.fromHost(out, [numPositions, dim], 'float32', device);
}

/** Fixed (untrained) sinusoidal position vectors; forward(positions) looks them up. */
export class SinusoidalPositionalEncoding extends Module {
  readonly table: Tensor;

  constructor(readonly maxPositions: number, readonly dim: number, layout: SinusoidalLayout = 'interleaved', device?: string) {
    super();
    this.table = this.addBuffer('weight', sinusoidalTable(maxPositions, dim, layout, device), false);
  }

  /** Vectors for `length` positions starting at `offset`: (length, dim). */
  forward(length: number, offset = 0): Tensor {
    return this.table.narrow(0, offset, length);
  }
}
