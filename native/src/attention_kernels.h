// Per-ISA inner loops of the fused attention forward: score rows (scale, mask, max), exponentials with their
// sum, scaled output rows, and the packing of K^T / V / P panels for the GEMM micro-kernel. The same source,
// attention_kernels.inc, is compiled once per instruction set; attentionOps() picks the active one.
#pragma once
#include <cstdint>

namespace tessera {

struct AttentionOps {
  /** s[j] = s[j] * scale + mask[j * ms] (mask may be null; ms 0 broadcasts one value); returns the max. */
  float (*scoreRow)(float* s, int64_t n, float scale, const float* mask, int64_t ms);
  /** s[j] = exp(s[j] - max) over n values; returns their sum. */
  float (*expRow)(float* s, int64_t n, float max);
  /** y[j] = x[j] * a over n values. */
  void (*scaleRow)(const float* x, float* y, int64_t n, float a);
  /**
   * Packs rows [0, n) of a row-major matrix X (rows ld apart, unit column stride, `cols` columns) as GEMM B
   * panels of nr of X's columns: dst[(j / nr) * n * nr + r * nr + j % nr] = X[r][j], zero past `cols`.
   */
  void (*packCols)(const float* x, int64_t ld, int64_t n, int64_t cols, int nr, float* dst);
  /**
   * Packs X^T as GEMM B panels: X is (n rows of length kd, rows ld apart); panel p holds rows
   * [p*nr, p*nr + nr): dst[p * kd * nr + d * nr + j] = X[p*nr + j][d], zero past n.
   */
  void (*packRowsT)(const float* x, int64_t ld, int64_t n, int64_t kd, int nr, float* dst);
  /**
   * Packs A micro-panels of mr rows: dst[(i / mr) * kc * mr + k * mr + i % mr] = X[i][k] for rows [0, m),
   * zero rows up to a multiple of mr.
   */
  void (*packA)(const float* x, int64_t ld, int64_t m, int64_t kc, int mr, float* dst);
};

const AttentionOps& attentionOpsAvx512();
const AttentionOps& attentionOpsAvx2();
const AttentionOps& attentionOpsGeneric();
const AttentionOps& attentionOps();

}  // namespace tessera
