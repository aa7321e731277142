// Cache-blocked f32 GEMM over typed arrays: C (M, N) = A (M, K) @ B (K, N), all row-major contiguous.
// Four rows of A share each streamed row of B; K and N are blocked so the B panel stays in cache.

const KB = 128; // rows of B per panel
const NB = 512; // columns of B per panel

/** C += A @ B for row-major A (M, K) at aOff, B (K, N) at bOff, into C (M, N) at cOff. */
export function gemmAccumulate(
  M: number, N: number, K: number,
  A: Float32Array, aOff: number,
  B: Float32Array, bOff: number,
  C: Float32Array, cOff: number,
): void {
  for (let n0 = 0; n0 < N; n0 += NB) {
    const n1 = Math.min(N, n0 + NB);
    for (let k0 = 0; k0 < K; k0 += KB) {
      const k1 = Math.min(K, k0 + KB);
      let i = 0;
      for (; i + 4 <= M; i += 4) {
        const c0 = cOff + i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
        const a0 = aOff + i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
          const b = bOff + k * N;
          for (let j = n0; j < n1; j++) {
            const y = B[b + j]!;
            C[c0 + j] += x0 * y;
            C[c1 + j] += x1 * y;
            C[c2 + j] += x2 * y;
            C[c3 + j] += x3 * y;
          }
        }
      }
      for (; i < M; i++) {
        const c0 = cOff + i * N;
        const a0 = aOff + i * K;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k]!;
          const b = bOff + k * N;
          for (let j = n0; j < n1; j++) C[c0 + j] += x0 * B[b + j]!;
        }
      }
    }
  }
}
