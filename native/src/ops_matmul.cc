// matmul: batched f32 GEMM over (...batch, M, K) x (...batch, K, N) with any strides and an optional
// bias + activation epilogue. Batches that are a plain stack of row-major A against one shared B are folded
// into a single taller GEMM; many small batches are spread over threads one GEMM each.
#include <vector>

#include "gemm.h"
#include "napi_util.h"
#include "ops.h"

namespace tessera {
namespace {

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
  if (ab->dtype != DType::F32 || bb->dtype != DType::F32)
    throw OpError(std::string("matmul: the native cpu backend computes in float32, got ") + dtypeName(ab->dtype) + " and " + dtypeName(bb->dtype));
  const int nd = al.nd;
  const int64_t M = al.shape[nd - 2], K = al.shape[nd - 1], N = bl.shape[nd - 1];
  if (bl.shape[nd - 2] != K) throw OpError("matmul: inner dims differ in " + al.shapeString() + " x " + bl.shapeString());
  int64_t batch = 1;
  for (int i = 0; i < nd - 2; i++) {
    if (al.shape[i] != bl.shape[i]) throw OpError("matmul: batch dims differ in " + al.shapeString() + " x " + bl.shapeString());
    batch *= al.shape[i];
  }
  if (bias) {
    checkLive("matmul", bias);
    if (bias->dtype != DType::F32 || bias->length < N) throw OpError("matmul: bias must be float32 of length " + std::to_string(N));
  }
  Buffer* out = allocBuffer(DType::F32, batch * M * N, false);
  if (out->length == 0) return napi::wrap(a.env, out);

  const float* A = ab->as<float>() + al.offset;
  const float* B = bb->as<float>() + bl.offset;
  float* C = out->as<float>();
  const float* biasPtr = bias ? bias->as<float>() : nullptr;
  GemmArgs g{M, N, K, A, al.strides[nd - 2], al.strides[nd - 1], B, bl.strides[nd - 2], bl.strides[nd - 1], C, biasPtr, static_cast<Act>(act)};

  // Fold (...batch, M) into one M when B is shared by every batch and A's rows form one arithmetic sequence.
  bool bShared = true, aFolds = true;
  int64_t expect = al.strides[nd - 2] * M;
  for (int i = nd - 3; i >= 0; i--) {
    if (bl.shape[i] != 1 && bl.strides[i] != 0) bShared = false;
    if (al.shape[i] != 1 && al.strides[i] != expect) aFolds = false;
    expect *= al.shape[i];
  }
  if (batch == 1 || (bShared && aFolds)) {
    g.M = M * batch;
    sgemm(g, numThreads());
    return napi::wrap(a.env, out);
  }

  std::vector<int64_t> offA(batch), offB(batch);
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
  const double flopsEach = 2.0 * M * N * K;
  if (batch >= numThreads() && flopsEach < 2.0 * 256 * 256 * 256) {
    parallelFor(batch, 1, [&](int64_t lo, int64_t hi, int) {
      for (int64_t t = lo; t < hi; t++) {
        GemmArgs gt = g;
        gt.a = A + offA[t];
        gt.b = B + offB[t];
        gt.c = C + t * M * N;
        sgemm(gt, 1);
      }
    });
  } else {
    for (int64_t t = 0; t < batch; t++) {
      GemmArgs gt = g;
      gt.a = A + offA[t];
      gt.b = B + offB[t];
      gt.c = C + t * M * N;
      sgemm(gt, numThreads());
    }
  }
  return napi::wrap(a.env, out);
}

}  // namespace

void initMatmulOps(napi_env env, napi_value exports) { napi::exportFunction(env, exports, "matmul", matmul); }

}  // namespace tessera
