// Bicubic resizing as torch.nn.functional.interpolate(mode='bicubic', align_corners=False) computes it
// (ATen's upsample_bicubic2d: Keys' cubic convolution with A = -0.75, source index (dst + 0.5) * in/out - 0.5,
// taps clamped at the borders). Bicubic is separable, so a resize is two matmuls with (out, in) weight
// matrices built on the host: differentiable and device-agnostic.
import { TesseraError } from '../../errors.js';
import { matmul } from '../../tensor/ops/linalg.js';
import { Tensor } from '../../tensor/tensor.js';

const A = -0.75;

/** Keys' kernel for |x| <= 1. */
function cubic1(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

/** Keys' kernel for 1 < |x| < 2. */
function cubic2(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

/**
 * The (outSize, inSize) matrix W with out = W @ in along one axis: row i holds the four cubic weights of
 * output i at input taps floor(s) - 1 .. floor(s) + 2 (clamped into [0, inSize)), s = (i + 0.5) * in/out - 0.5.
 */
export function bicubicWeights(inSize: number, outSize: number): Float32Array {
  if (!Number.isInteger(inSize) || !Number.isInteger(outSize) || inSize < 1 || outSize < 1) {
    throw new TesseraError(`bicubic resize: sizes must be positive integers, got ${inSize} -> ${outSize}`);
  }
  const w = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = (i + 0.5) * scale - 0.5; // no clamp at 0 for cubic (ATen's area_pixel_compute_source_index)
    const base = Math.floor(src);
    const t = Math.min(Math.max(src - base, 0), 1);
    const coeffs = [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)];
    for (let k = 0; k < 4; k++) {
      const j = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      w[i * inSize + j] += coeffs[k]!;
    }
  }
  return w;
}

/** Resizes a (H, W, C) grid to (outH, outW, C) bicubically (channels last). */
export function resizeBicubic(grid: Tensor, outH: number, outW: number): Tensor {
  if (grid.ndim !== 3) throw new TesseraError(`bicubic resize: expected a (H, W, C) grid, got shape [${grid.shape.join(', ')}]`);
  const [H, W, C] = grid.shape as [number, number, number];
  if (H === outH && W === outW) return grid;
  const wh = Tensor.fromHost(bicubicWeights(H, outH), [outH, H], 'float32', grid.device);
  const ww = Tensor.fromHost(bicubicWeights(W, outW), [outW, W], 'float32', grid.device);
  const rows = matmul(wh, grid.reshape([H, W * C])).reshape([outH, W, C]); // (outH, W, C)
  return matmul(ww, rows); // (outW, W) @ (outH, W, C) -> (outH, outW, C)
}
