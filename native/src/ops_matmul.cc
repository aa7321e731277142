// matmul: batched f32 or bf16 GEMM over (...batch, M, K) x (...batch, K, N) with any strides and an optional
// bias + activation epilogue (bf16: f32 accumulation, the result rounded to bf16 after the epilogue). Batches that are a plain stack of row-major A against one shared B are folded
// into a single taller GEMM; many small batches are spread over threads one GEMM each.
#include <vector>

#include "aligned.h"
#include "dtype_conv.h"
#include "gemm.h"
#include "gemm_bf16.h"
#include "napi_util.h"
#include "ops.h"

namespace tessera {
namespace {

// Converts an f32 block to bf16 (round to nearest even) in parallel.
void toBf16(const float* src, uint16_t* dst, int64_t n) {
  parallelFor(n, kParallelGrain, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; i++) dst[i] = floatToBf16(src[i]);
  });
}

TESSERA_FN(matmul) {
  Buffer* ab = a.buffer(0);
  Layout al = a.layout(1);
  Buffer* bb = a.buffer(2);
  Layout bl = a.layout(3);
  Buffer* bias = a.bufferOrNull(4);
  const int act = static_cast<int>(a.integer(5));
  checkLayout("matmul", ab, al);
  checkLayout("matmul", bb, bl);
  if (al.nd < 2 || bl.nd != al.nd)
    throw OpError("matmul: operands of shapes " + al.shapeString() + " and " + bl.shapeString() + " are not batched matrices of one rank");
  const bool half = ab->dtype == DType::BF16 && bb->dtype == DType::BF16;
  if (!half && (ab->dtype != DType::F32 || bb->dtype != DType::F32))
    throw OpError(std::string("matmul: the native cpu backend computes in float32 or bfloat16, got ") + dtypeName(ab->dtype) + " and " + dtypeName(bb->dtype));
  const int nd = al.nd;
  const int64_t M = al.shape[nd - 2], K = al.shape[nd - 1], N = bl.shape[nd - 1];
  if (bl.shape[nd - 2] != K) throw OpError("matmul: inner dims differ in " + al.shapeString() + " x " + bl.shapeString());
  int64_t batch = 1;
  for (int i = 0; i < nd - 2; i++) {
    if (al.shape[i] != bl.shape[i]) throw OpError("matmul: batch dims differ in " + al.shapeString() + " x " + bl.shapeString());
    batch *= al.shape[i];
  }
  std::vector<float> biasF;
  const float* biasPtr = nullptr;
  if (bias) {
    checkLive("matmul", bias);
    if ((bias->dtype != DType::F32 && bias->dtype != DType::BF16) || bias->length < N)
      throw OpError("matmul: bias must be float32 or bfloat16 of length " + std::to_string(N));
    if (bias->dtype == DType::F32) {
      biasPtr = bias->as<float>();
    } else {
      biasF.resize(N);
      for (int64_t j = 0; j < N; j++) biasF[j] = bf16ToFloat(bias->as<uint16_t>()[j]);
      biasPtr = biasF.data();
    }
  }
  Buffer* out = allocBuffer(half ? DType::BF16 : DType::F32, batch * M * N, false);
  if (out->length == 0) return napi::wrap(a.env, out);
  // bf16: products accumulate into an f32 block, which the epilogue then rounds to bf16
  AlignedBuffer wide;
  float* C = half ? wide.get<float>(batch * M * N) : out->as<float>();

  // Fold (...batch, M) into one M when B is shared by every batch and A's rows form one arithmetic sequence.
  bool bShared = true, aFolds = true;
  int64_t expect = al.strides[nd - 2] * M;
  for (int i = nd - 3; i >= 0; i--) {
    if (bl.shape[i] != 1 && bl.strides[i] != 0) bShared = false;
    if (al.shape[i] != 1 && al.strides[i] != expect) aFolds = false;
    expect *= al.shape[i];
  }
  const bool fold = batch == 1 || (bShared && aFolds);
  std::vector<int64_t> offA(fold ? 1 : batch, 0), offB(fold ? 1 : batch, 0);
  if (!fold) {
    for (int64_t t = 0; t < batch; t++) {
      int64_t r = t, oa = 0, ob = 0;
      for (int i = nd - 3; i >= 0; i--) {
        const int64_t idx = r % al.shape[i];
        r /= al.shape[i];
        oa += idx * al.strides[i];
        ob += idx * bl.strides[i];
      }
      offA[t] = oa;
      offB[t] = ob;
    }
  }
  const int64_t entries = fold ? 1 : batch, rowsEach = fold ? M * batch : M;
  // one GEMM per entry; the epilogue (and the bf16 rounding) runs over each entry's rows
  auto gemm = [&](int64_t t, int threads) {
    float* c = C + t * rowsEach * N;
    if (half) {
      const uint16_t* A = ab->as<uint16_t>() + al.offset + offA[t];
      const uint16_t* B = bb->as<uint16_t>() + bl.offset + offB[t];
      Bf16GemmArgs g{rowsEach, N, K, A, al.strides[nd - 2], al.strides[nd - 1], B, bl.strides[nd - 2], bl.strides[nd - 1], c};
      sbgemm(g, threads);
      applyEpilogue(c, rowsEach, N, N, biasPtr, static_cast<Act>(act));
    } else {
      const float* A = ab->as<float>() + al.offset + offA[t];
      const float* B = bb->as<float>() + bl.offset + offB[t];
      GemmArgs g{rowsEach, N, K, A, al.strides[nd - 2], al.strides[nd - 1], B, bl.strides[nd - 2], bl.strides[nd - 1], c, biasPtr, static_cast<Act>(act)};
      sgemm(g, threads);
    }
  };
  const double flopsEach = 2.0 * rowsEach * N * K;
  if (entries >= numThreads() && flopsEach < 2.0 * 256 * 256 * 256) {
    parallelFor(entries, 1, [&](int64_t lo, int64_t hi, int) {
      for (int64_t t = lo; t < hi; t++) gemm(t, 1);
    });
  } else {
    for (int64_t t = 0; t < entries; t++) gemm(t, numThreads());
  }
  if (half) toBf16(C, out->as<uint16_t>(), batch * M * N);
  return napi::wrap(a.env, out);
}

}  // namespace

void initMatmulOps(napi_env env, napi_value exports) { napi::exportFunction(env, exports, "matmul", matmul); }

}  // namespace tessera
