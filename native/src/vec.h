// Per-ISA tables of the float32 inner loops (rows of contiguous or strided data). The same source,
// vec_kernels.inc, is compiled once per instruction set (vec_avx512.cc, vec_avx2.cc, vec_generic.cc) and
// vecOps() picks the table of the active ISA.
#pragma once
#include <cstdint>

namespace tessera {

struct VecOps {
  /** c[i * ldc + j] = act(c[i * ldc + j] + bias[j]) over rows x n values (bias may be null); act is an Act code. */
  void (*biasAct)(float* c, int64_t rows, int64_t n, int64_t ldc, const float* bias, int act);
  /** y[i] = f(x[i * sx]) for a MapCode other than logicalNot; a, b are the scalar args. */
  void (*map)(int op, const float* x, int64_t sx, float* y, int64_t n, float a, float b);
  /** y[i] = f(a[i * sa], b[i * sb]) for arithmetic BinaryCodes (float out). */
  void (*binary)(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n);
  /** y[i] = a[i * sa] cmp b[i * sb] (0/1) for comparison and logical BinaryCodes. */
  void (*compare)(int op, const float* a, int64_t sa, const float* b, int64_t sb, uint8_t* y, int64_t n);
  /** Sum of n contiguous floats, accumulated in double. */
  double (*sum)(const float* x, int64_t n);
  /** acc[j] += x[j] (double accumulators) over n contiguous floats. */
  void (*accumulate)(double* acc, const float* x, int64_t n);
  /** Max (isMax) or min of n contiguous floats; NaN if any is NaN; -inf/+inf when n = 0. */
  float (*extremum)(const float* x, int64_t n, bool isMax);
  /** Dot product of n contiguous floats (float accumulators in SIMD lanes). */
  float (*dot)(const float* a, const float* b, int64_t n);
  /** y[j] += alpha * x[j]. */
  void (*axpy)(float alpha, const float* x, float* y, int64_t n);
  /** Softmax (or log-softmax) of one row of n; a row of all -inf gives zeros (log: -inf). */
  void (*softmaxRow)(const float* x, float* y, int64_t n, bool log);
  /** Softmax backward of one row. */
  void (*softmaxBackwardRow)(const float* y, const float* dy, float* dx, int64_t n, bool log);
  /** LayerNorm of one row: y, and the row's mean and 1/std (statistics in double). w, b may be null. */
  void (*layerNormRow)(const float* x, const float* w, const float* b, float* y, int64_t n, float eps, float* mean, float* rstd);
  /** LayerNorm backward of one row: dx, and dy * xhat, dy added into dwAcc / dbAcc (double, may be null). */
  void (*layerNormBackwardRow)(const float* dy, const float* x, const float* w, float mean, float rstd, float* dx,
                               int64_t n, double* dwAcc, double* dbAcc);
  /** One AdamW step over n elements. */
  void (*adamw)(float* p, const float* g, float* m, float* v, int64_t n, float beta1, float beta2, float stepSize,
                float sqrtBc2, float eps, float decay);
  /**
   * A GEMM tile's way out: c[i * ldc + j] = act((accumulate ? c[i * ldc + j] : 0) + t[i * ldt + j] + bias[j])
   * over rows x n (bias may be null; act an Act code), one pass.
   */
  void (*tileStore)(const float* t, int64_t ldt, float* c, int64_t ldc, int64_t rows, int64_t n, bool accumulate,
                    const float* bias, int act);
};

const VecOps& vecOpsAvx512();
const VecOps& vecOpsAvx2();
const VecOps& vecOpsGeneric();
const VecOps& vecOps();

}  // namespace tessera
