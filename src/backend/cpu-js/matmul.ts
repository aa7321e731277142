// Packed, register-blocked f32 GEMM over typed arrays: C (M, N) += A (M, K) @ B (K, N), row-major.
// A is packed into 4-row panels and B into 4-column panels (k-major), so the 4x4 micro-kernel keeps its
// 16 accumulators in registers and streams 8 loads per 16 multiply-adds; K is blocked to stay in cache.

const KC = 256; // depth of one packed block

/** C += A @ B for row-major A (M, K) at aOff, B (K, N) at bOff, into C (M, N) at cOff. */
export function gemmAccumulate(
  M: number, N: number, K: number,
  A: Float32Array, aOff: number,
  B: Float32Array, bOff: number,
  C: Float32Array, cOff: number,
): void {
  const mPanels = Math.ceil(M / 4), nPanels = Math.ceil(N / 4);
  const ap = new Float32Array(mPanels * 4 * KC);
  const bp = new Float32Array(nPanels * 4 * KC);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    // pack A rows into panels: ap[(p * kc + k) * 4 + r] = A[4p + r, k0 + k]
    ap.fill(0);
    for (let i = 0; i < M; i++) {
      const base = (i >> 2) * kc * 4 + (i & 3);
      const src = aOff + i * K + k0;
      for (let k = 0; k < kc; k++) ap[base + k * 4] = A[src + k]!;
    }
    // pack B columns into panels: bp[(q * kc + k) * 4 + c] = B[k0 + k, 4q + c]
    bp.fill(0);
    for (let k = 0; k < kc; k++) {
      const src = bOff + (k0 + k) * N;
      for (let j = 0; j < N; j++) bp[((j >> 2) * kc + k) * 4 + (j & 3)] = B[src + j]!;
    }
    for (let q = 0; q < nPanels; q++) {
      const bq = q * kc * 4;
      const j0 = q * 4;
      const nj = Math.min(4, N - j0);
      for (let p = 0; p < mPanels; p++) {
        const a = p * kc * 4;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let k = 0; k < kc; k++) {
          const ak = a + k * 4, bk = bq + k * 4;
          const a0 = ap[ak]!, a1 = ap[ak + 1]!, a2 = ap[ak + 2]!, a3 = ap[ak + 3]!;
          const b0 = bp[bk]!, b1 = bp[bk + 1]!, b2 = bp[bk + 2]!, b3 = bp[bk + 3]!;
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        const i0 = p * 4;
        const ni = Math.min(4, M - i0);
        if (ni === 4 && nj === 4) {
          let o = cOff + i0 * N + j0;
          C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03; o += N;
          C[o] += c10; C[o + 1] += c11; C[o + 2] += c12; C[o + 3] += c13; o += N;
          C[o] += c20; C[o + 1] += c21; C[o + 2] += c22; C[o + 3] += c23; o += N;
          C[o] += c30; C[o + 1] += c31; C[o + 2] += c32; C[o + 3] += c33;
        } else {
          const acc = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
          for (let r = 0; r < ni; r++) for (let c = 0; c < nj; c++) C[cOff + (i0 + r) * N + j0 + c] += acc[r * 4 + c]!;
        }
      }
    }
  }
}
