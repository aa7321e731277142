// Input embeddings of the Transformer (3.4, 3.5): token vectors x sqrt(d_model) (when scale_embedding) plus
// fixed sinusoidal position vectors. The position table is a stored buffer named 'weight', as in Marian
// checkpoints (embed_positions.weight), computed in the configured layout.
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import type { Embedding } from '../../nn/layers/embedding.js';
import { sinusoidalTable } from '../../nn/layers/positional.js';
import type { PositionLayout } from './config.js';

/** The fixed (untrained) sinusoidal position table (numPositions, dim). */
export class SinusoidalPositions extends Module {
  readonly weight: Tensor;

  constructor(readonly numPositions: number, readonly dim: number, layout: PositionLayout, device?: string) {
    super();
    this.weight = this.addBuffer('weight', sinusoidalTable(numPositions, dim, layout, device));
  }

  /** Vectors of positions offset, ..., offset + length - 1: (length, dim). */
  forward(length: number, offset = 0): Tensor {
    return this.weight.narrow(0, offset, length);
  }
}

/** embed_tokens(ids) * scale + positions[offset : offset + T]: (B, T, C). */
export function embedTokens(tokens: Embedding, positions: SinusoidalPositions, ids: Tensor, scale: number, offset = 0): Tensor {
  let x = tokens.forward(ids); // (B, T, C)
  if (scale !== 1) x = x.mul(scale);
  return x.add(positions.forward(ids.dim(1), offset));
}

