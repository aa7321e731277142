// Batched matmul through cuBLASLt. Row-major C (M, N) = A (M, K) B (K, N) is computed as the column-major
// product C^T = B^T A^T, so a transposed view (a stride swap) becomes a cuBLAS transpose flag instead of a
// copy; batch dims collapse to one batch stride (0 for a broadcast operand), and a broadcast right-hand
// side folds the batch into M. Only layouts cuBLAS cannot express are copied first. f32 runs in full
// precision unless TF32 is allowed; bf16/f16 accumulate in f32. The bias and ReLU epilogues run inside cuBLASLt.
#include <cublasLt.h>

#include <cstring>
#include <memory>
#include <unordered_map>

#include "napi_glue.h"
#include "op_codes.h"
#include "ops.h"

namespace tcuda {

namespace {

constexpr size_t kWorkspaceBytes = size_t(32) << 20;

void checkLt(cublasStatus_t s, const std::string& what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    throw OpError("cuBLASLt error in " + what + " (op " + currentOp() + "): " + cublasLtGetStatusName(s) + ": " + cublasLtGetStatusString(s));
  }
}

cublasLtHandle_t handleOf(Context& c) {
  if (!c.lt) {
    cublasLtHandle_t h = nullptr;
    checkLt(cublasLtCreate(&h), "cublasLtCreate");
    c.lt = h;
    check(cudaMalloc(&c.workspace, kWorkspaceBytes), "cudaMalloc (cuBLASLt workspace)");
    c.workspaceBytes = kWorkspaceBytes;
  }
  return static_cast<cublasLtHandle_t>(c.lt);
}

cudaDataType_t cudaTypeOf(DType d) {
  switch (d) {
    case DType::F32: return CUDA_R_32F;
    case DType::BF16: return CUDA_R_16BF;
    case DType::F16: return CUDA_R_16F;
    default: throw OpError(std::string("matmul: ") + dtypeName(d) + " operands are not supported on cuda (cast to float32 first)");
  }
}

uint32_t alignmentOf(const void* p) {
  const uintptr_t v = reinterpret_cast<uintptr_t>(p);
  uint32_t a = 256;
  while (a > 1 && (v % a) != 0) a >>= 1;
  return a;
}

/** One side of the column-major product: a matrix of rows x cols with leading dim ld, maybe transposed. */
struct Side {
  const void* ptr;
  bool trans;
  uint64_t rows, cols;
  int64_t ld;
  int64_t batchStride;
};

/** Collapses dims [0, nbd) of a layout to one stride; false when they do not collapse (then copy). */
bool collapseBatch(const HostLayout& l, int nbd, int64_t* stride) {
  int64_t s = -1, expectNext = -1;
  bool allZero = true;
  for (int d = nbd - 1; d >= 0; d--) {
    if (l.shape[d] == 1) continue;
    if (l.strides[d] != 0) allZero = false;
    if (s < 0) {
      s = l.strides[d];
      expectNext = l.strides[d] * l.shape[d];
    } else {
      if (l.strides[d] != expectNext) {
        if (!allZero) return false;
      }
      expectNext = l.strides[d] * l.shape[d];
    }
  }
  if (allZero) {
    *stride = 0;
    return true;
  }
  // mixed zero and non-zero batch strides do not collapse
  for (int d = 0; d < nbd; d++)
    if (l.shape[d] != 1 && l.strides[d] == 0) return false;
  *stride = s < 0 ? 0 : s;
  return true;
}

/**
 * Maps the row-major (R x C) matrix with strides (sR, sC) to a column-major operand of the product whose
 * "natural" shape is (C x R) (i.e. the transpose of the row-major view): not transposed when sC == 1,
 * transposed when sR == 1. Returns false when neither holds.
 */
bool mapSide(int64_t R, int64_t C, int64_t sR, int64_t sC, Side* s) {
  // column-major (C x R) with ld = sR, op N: element (c, r) at c + r * sR
  if ((C == 1 || sC == 1) && (R == 1 || sR >= std::max<int64_t>(C, 1))) {
    s->trans = false;
    s->rows = static_cast<uint64_t>(C);
    s->cols = static_cast<uint64_t>(R);
    s->ld = R == 1 ? std::max<int64_t>(C, 1) : sR;
    return true;
  }
  // column-major (R x C) with ld = sC, op T: element (r, c) at r + c * sC
  if ((R == 1 || sR == 1) && (C == 1 || sC >= std::max<int64_t>(R, 1))) {
    s->trans = true;
    s->rows = static_cast<uint64_t>(R);
    s->cols = static_cast<uint64_t>(C);
    s->ld = C == 1 ? std::max<int64_t>(R, 1) : sC;
    return true;
  }
  return false;
}

struct PlanKey {
  int dtype, tf32, transA, transB, bias, biasType, relu;
  uint64_t m, n, k;
  int64_t lda, ldb, ldc, strideA, strideB, strideC;
  int batch;
  uint32_t alA, alB, alC, alBias;
  bool operator==(const PlanKey& o) const { return std::memcmp(this, &o, sizeof(PlanKey)) == 0; }
};

struct PlanKeyHash {
  size_t operator()(const PlanKey& k) const {
    const auto* p = reinterpret_cast<const unsigned char*>(&k);
    size_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < sizeof(PlanKey); i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
  }
};

struct Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  cublasLtMatmulAlgo_t algo{};
  size_t workspace = 0;
};

std::unordered_map<PlanKey, std::unique_ptr<Plan>, PlanKeyHash> gPlans[64];

cublasLtMatrixLayout_t makeLayout(cudaDataType_t t, uint64_t rows, uint64_t cols, int64_t ld, int batch, int64_t stride) {
  cublasLtMatrixLayout_t l = nullptr;
  checkLt(cublasLtMatrixLayoutCreate(&l, t, rows, cols, ld), "cublasLtMatrixLayoutCreate");
  if (batch > 1) {
    checkLt(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof(batch)), "layout batch count");
    checkLt(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)), "layout batch stride");
  }
  return l;
}

Plan* planFor(Context& c, const PlanKey& key) {
  auto& cache = gPlans[c.device];
  auto it = cache.find(key);
  if (it != cache.end()) return it->second.get();
  if (cache.size() > 4096) cache.clear();  // plans leak their descriptors only on this rare reset
  auto plan = std::make_unique<Plan>();
  const DType dt = static_cast<DType>(key.dtype);
  const cudaDataType_t t = cudaTypeOf(dt);
  const cublasComputeType_t compute = (dt == DType::F32 && key.tf32) ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  checkLt(cublasLtMatmulDescCreate(&plan->desc, compute, CUDA_R_32F), "cublasLtMatmulDescCreate");
  const cublasOperation_t opA = key.transA ? CUBLAS_OP_T : CUBLAS_OP_N, opB = key.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  checkLt(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &opA, sizeof(opA)), "desc transa");
  checkLt(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &opB, sizeof(opB)), "desc transb");
  // ReLU is exact in the epilogue (max with 0 on the float32 accumulator, before the rounding to the output
  // type); GELU stays a separate pass (cuBLASLt's is the tanh approximation only)
  if (key.bias || key.relu) {
    const cublasLtEpilogue_t epi = key.bias ? (key.relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS) : CUBLASLT_EPILOGUE_RELU;
    checkLt(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)), "desc epilogue");
  }
  if (key.bias) {
    const cudaDataType_t bt = cudaTypeOf(static_cast<DType>(key.biasType));
    checkLt(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof(bt)), "desc bias type");
  }
  // Lt's A is (m x k) after op, B (k x n), C (m x n)
  const uint64_t aRows = key.transA ? key.k : key.m, aCols = key.transA ? key.m : key.k;
  const uint64_t bRows = key.transB ? key.n : key.k, bCols = key.transB ? key.k : key.n;
  plan->la = makeLayout(t, aRows, aCols, key.lda, key.batch, key.strideA);
  plan->lb = makeLayout(t, bRows, bCols, key.ldb, key.batch, key.strideB);
  plan->lc = makeLayout(t, key.m, key.n, key.ldc, key.batch, key.strideC);
  cublasLtMatmulPreference_t pref = nullptr;
  checkLt(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
  const uint64_t ws = c.workspaceBytes;
  checkLt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)), "pref workspace");
  checkLt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &key.alA, sizeof(uint32_t)), "pref align A");
  checkLt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &key.alB, sizeof(uint32_t)), "pref align B");
  checkLt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &key.alC, sizeof(uint32_t)), "pref align C");
  checkLt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &key.alC, sizeof(uint32_t)), "pref align D");
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st =
      cublasLtMatmulAlgoGetHeuristic(handleOf(c), plan->desc, plan->la, plan->lb, plan->lc, plan->lc, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    throw OpError("matmul: cuBLASLt has no algorithm for " + std::to_string(key.n) + "x" + std::to_string(key.k) + " @ " + std::to_string(key.k) +
                  "x" + std::to_string(key.m) + " (" + dtypeName(dt) + ", batch " + std::to_string(key.batch) + ")");
  }
  plan->algo = result.algo;
  plan->workspace = result.workspaceSize;
  Plan* p = plan.get();
  cache.emplace(key, std::move(plan));
  return p;
}

/** Copies `height` rows of `width` elements between pitches (elements); a row per block row, coalesced columns. */
template <typename T>
__global__ void pitchCopyKernel(T* __restrict__ dst, int64_t dp, const T* __restrict__ src, int64_t sp, int64_t width, int64_t height) {
  for (int64_t r = blockIdx.y; r < height; r += gridDim.y) {
    const T* s = src + r * sp;
    T* d = dst + r * dp;
    for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < width; c += static_cast<int64_t>(gridDim.x) * blockDim.x) d[c] = s[c];
  }
}

/** dst[r * dp + c] = src[r * sp + c] for 16-bit or 32-bit elements (cudaMemcpy2D is slow for odd pitches). */
void pitchCopy(Context& c, void* dst, int64_t dp, const void* src, int64_t sp, int64_t width, int64_t height, size_t es) {
  const unsigned gx = static_cast<unsigned>(std::min<int64_t>((width + 255) / 256, 8));
  const unsigned gy = static_cast<unsigned>(std::min<int64_t>(height, 65535));
  if (es == 2) {
    pitchCopyKernel<uint16_t><<<dim3(gx, gy), 256, 0, c.stream>>>(static_cast<uint16_t*>(dst), dp, static_cast<const uint16_t*>(src), sp, width, height);
  } else {
    pitchCopyKernel<uint32_t><<<dim3(gx, gy), 256, 0, c.stream>>>(static_cast<uint32_t*>(dst), dp, static_cast<const uint32_t*>(src), sp, width, height);
  }
  afterLaunch("matmul_pitch_copy");
}

/** A contiguous copy of the whole (batch..., R, C) operand when cuBLAS cannot read its layout. */
HostLayout densify(Context& c, const Buffer* b, const HostLayout& l, std::unique_ptr<Scratch>& keep, const void** ptr) {
  keep = std::make_unique<Scratch>(b->device, std::max<int64_t>(l.numel(), 1) * dtypeSize(b->dtype));
  copyStrided(c, b, l, b->dtype, keep->ptr);
  HostLayout d = l;
  d.offset = 0;
  int64_t e = 1;
  for (int i = l.nd - 1; i >= 0; i--) {
    d.strides[i] = e;
    e *= l.shape[i];
  }
  *ptr = keep->ptr;
  return d;
}

}  // namespace

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

// matmul(a, al, b, bl, bias | null, activation, allowTf32) -> (batch..., M, N)
TCUDA_FN(matmul) {
  Buffer* A = a.buffer(0);
  HostLayout al = a.layout(1);
  Buffer* B = a.buffer(2);
  HostLayout bl = a.layout(3);
  Buffer* bias = a.bufferOrNull(4);
  const int act = static_cast<int>(a.integer(5));
  const bool tf32 = a.boolean(6);
  napi::checkLayout("matmul", A, al);
  napi::checkLayout("matmul", B, bl);
  if (A->dtype != B->dtype) throw OpError(std::string("matmul: dtypes ") + dtypeName(A->dtype) + " and " + dtypeName(B->dtype) + " differ");
  if (A->device != B->device) throw OpError("matmul: operands on different cuda devices");
  const int nd = al.nd;
  if (nd < 2 || bl.nd != nd) throw OpError("matmul: operands need the same number (>= 2) of dims");
  Context& c = useDevice(A->device);
  cudaTypeOf(A->dtype);  // rejects int operands early
  int64_t M = al.shape[nd - 2], K = al.shape[nd - 1], N = bl.shape[nd - 1];
  if (bl.shape[nd - 2] != K) throw OpError("matmul: inner dims " + std::to_string(K) + " and " + std::to_string(bl.shape[nd - 2]) + " differ");
  int64_t nb = 1;
  for (int d = 0; d < nd - 2; d++) {
    if (al.shape[d] != bl.shape[d]) throw OpError("matmul: batch shapes differ");
    nb *= al.shape[d];
  }
  Owned out(allocBuffer(A->device, A->dtype, nb * M * N, false));
  if (nb * M * N == 0) return napi::wrapOwned(a.env, out);
  if (K == 0) {
    check(cudaMemsetAsync(out->data, 0, out->bytes, c.stream), "cudaMemsetAsync");
    return napi::wrapOwned(a.env, out);
  }
  const void* aPtr = A->as<char>() + al.offset * dtypeSize(A->dtype);
  const void* bPtr = B->as<char>() + bl.offset * dtypeSize(B->dtype);
  std::unique_ptr<Scratch> keepA, keepB, keepBias;
  int64_t sa = 0, sb = 0;
  if (!collapseBatch(al, nd - 2, &sa)) {
    al = densify(c, A, al, keepA, &aPtr);
    collapseBatch(al, nd - 2, &sa);
  }
  if (!collapseBatch(bl, nd - 2, &sb)) {
    bl = densify(c, B, bl, keepB, &bPtr);
    collapseBatch(bl, nd - 2, &sb);
  }
  int64_t sM = al.strides[nd - 2], sKa = al.strides[nd - 1], sKb = bl.strides[nd - 2], sN = bl.strides[nd - 1];
  // a broadcast right-hand side with row-major, batch-contiguous A: one GEMM with M' = batch * M
  if (nb > 1 && sb == 0 && sKa == 1 && (M == 1 || sM == K) && sa == M * K) {
    M *= nb;
    nb = 1;
    sM = K;
  }
  Side ltA{}, ltB{};  // Lt's A is our B, Lt's B is our A
  if (!mapSide(K, N, sKb, sN, &ltA)) {
    bl = densify(c, B, bl, keepB, &bPtr);
    collapseBatch(bl, nd - 2, &sb);
    sKb = bl.strides[nd - 2];
    sN = bl.strides[nd - 1];
    mapSide(K, N, sKb, sN, &ltA);
  }
  if (!mapSide(M, K, sM, sKa, &ltB)) {
    al = densify(c, A, al, keepA, &aPtr);
    collapseBatch(al, nd - 2, &sa);
    sM = al.strides[nd - 2];
    sKa = al.strides[nd - 1];
    mapSide(M, K, sM, sKa, &ltB);
  }
  if (nb > 2147483647LL) throw OpError("matmul: batch too large");
  const void* biasPtr = nullptr;
  DType biasType = A->dtype;
  if (bias) {
    if (bias->length < N) throw OpError("matmul: bias of " + std::to_string(bias->length) + " elements for " + std::to_string(N) + " columns");
    biasPtr = bias->data;
    if (bias->dtype != A->dtype) {
      keepBias = std::make_unique<Scratch>(A->device, N * dtypeSize(A->dtype));
      HostLayout bl1;
      bl1.nd = 1;
      bl1.shape[0] = N;
      bl1.strides[0] = 1;
      copyStrided(c, bias, bl1, A->dtype, keepBias->ptr);
      biasPtr = keepBias->ptr;
    }
  }
  // Odd sizes (a 50257-token vocabulary) push cuBLASLt onto slow kernels: for large products, copy such
  // operands into zero-padded buffers whose dims and leading dims are multiples of 16 bytes, compute the
  // padded product, and copy the wanted block out. Zero rows/columns leave the result unchanged.
  const size_t es = dtypeSize(A->dtype);
  const int64_t padTo = static_cast<int64_t>(16 / es);
  const auto up = [&](int64_t v) { return (v + padTo - 1) / padTo * padTo; };
  const auto misaligned = [&](int64_t ld) { return (ld * static_cast<int64_t>(es)) % 16 != 0; };
  const bool big = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) >= static_cast<double>(1 << 28);
  std::unique_ptr<Scratch> padA, padB, padC, padBias;
  // cuBLASLt's dims: m = N (ours), n = M, k = K
  int64_t mp = N, kp = K;
  auto padOperand = [&](Side& sd, const void*& ptr, std::unique_ptr<Scratch>& keep, int64_t rowsP, int64_t colsP) {
    const int64_t ldp = up(rowsP);
    const size_t bytes = static_cast<size_t>(ldp) * colsP * es;
    keep = std::make_unique<Scratch>(A->device, bytes);
    if (rowsP != static_cast<int64_t>(sd.rows) || colsP != static_cast<int64_t>(sd.cols)) {
      check(cudaMemsetAsync(keep->ptr, 0, bytes, c.stream), "cudaMemsetAsync (matmul padding)");
    }
    pitchCopy(c, keep->ptr, ldp, ptr, sd.ld, static_cast<int64_t>(sd.rows), static_cast<int64_t>(sd.cols), es);
    ptr = keep->ptr;
    sd.rows = static_cast<uint64_t>(rowsP);
    sd.cols = static_cast<uint64_t>(colsP);
    sd.ld = ldp;
  };
  int64_t ldc = N;
  void* dPtr = out->data;
  if (big && nb == 1) {
    mp = up(N);
    kp = up(K);
    // Lt A (our B) is (m x k) after its op: stored (k x m) when transposed
    const int64_t aR = ltA.trans ? kp : mp, aC = ltA.trans ? mp : kp;
    if (misaligned(ltA.ld) || aR != static_cast<int64_t>(ltA.rows) || aC != static_cast<int64_t>(ltA.cols)) padOperand(ltA, bPtr, padA, aR, aC);
    // Lt B (our A) is (k x n) after its op: stored (n x k) when transposed
    const int64_t bR = ltB.trans ? M : kp, bC = ltB.trans ? kp : M;
    if (misaligned(ltB.ld) || bR != static_cast<int64_t>(ltB.rows) || bC != static_cast<int64_t>(ltB.cols)) padOperand(ltB, aPtr, padB, bR, bC);
    if (mp != N) {
      ldc = mp;
      padC = std::make_unique<Scratch>(A->device, static_cast<size_t>(ldc) * M * es);
      dPtr = padC->ptr;
    }
  }
  if (biasPtr && mp != N) {
    padBias = std::make_unique<Scratch>(A->device, static_cast<size_t>(mp) * es);
    check(cudaMemsetAsync(padBias->ptr, 0, mp * es, c.stream), "cudaMemsetAsync (bias padding)");
    check(cudaMemcpyAsync(padBias->ptr, biasPtr, N * es, cudaMemcpyDeviceToDevice, c.stream), "cudaMemcpyAsync (bias padding)");
    biasPtr = padBias->ptr;
  }
  PlanKey key{};
  key.dtype = static_cast<int>(A->dtype);
  key.tf32 = tf32 ? 1 : 0;
  key.transA = ltA.trans;
  key.transB = ltB.trans;
  key.bias = biasPtr ? 1 : 0;
  key.biasType = static_cast<int>(biasType);
  key.relu = act == kActRelu ? 1 : 0;
  key.m = static_cast<uint64_t>(mp);
  key.n = static_cast<uint64_t>(M);
  key.k = static_cast<uint64_t>(kp);
  key.lda = ltA.ld;
  key.ldb = ltB.ld;
  key.ldc = ldc;
  key.batch = static_cast<int>(nb);
  key.strideA = nb > 1 ? sb : 0;
  key.strideB = nb > 1 ? sa : 0;
  key.strideC = nb > 1 ? M * N : 0;
  key.alA = alignmentOf(bPtr);
  key.alB = alignmentOf(aPtr);
  key.alC = alignmentOf(dPtr);
  key.alBias = biasPtr ? alignmentOf(biasPtr) : 0;
  handleOf(c);
  Plan* plan = planFor(c, key);
  if (biasPtr) {
    checkLt(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &biasPtr, sizeof(biasPtr)), "desc bias pointer");
  }
  const float alpha = 1.f, beta = 0.f;
  setLastKernel("cublasLtMatmul");
  if (profiling()) {
    profileDetail(std::string(dtypeName(A->dtype)) + " " + std::to_string(nb) + "x" + std::to_string(M) + "x" + std::to_string(K) + "x" + std::to_string(N) +
                  (ltB.trans ? " aT" : "") + (ltA.trans ? " bT" : "") + (biasPtr ? " bias" : "") + (key.relu ? " relu" : "") + (tf32 ? " tf32" : "") + (padA || padB || padC ? " padded" : ""));
  }
  checkLt(cublasLtMatmul(static_cast<cublasLtHandle_t>(c.lt), plan->desc, &alpha, bPtr, plan->la, aPtr, plan->lb, &beta, dPtr, plan->lc,
                         dPtr, plan->lc, &plan->algo, c.workspace, plan->workspace, c.stream),
          "cublasLtMatmul (" + std::to_string(M) + "x" + std::to_string(K) + " @ " + std::to_string(K) + "x" + std::to_string(N) + ", " +
              dtypeName(A->dtype) + ", batch " + std::to_string(nb) + ")");
  if (padC) {
    pitchCopy(c, out->data, N, dPtr, ldc, N, M, es);
  }
  if (act != kActNone && !key.relu) applyActivationInPlace(c, out.get(), act);
  return napi::wrapOwned(a.env, out);
}

// matmulInfo() -> { cublasLtVersion }
TCUDA_FN(matmulInfo) {
  napi_value o = napi::makeObject(a.env);
  napi::setProp(a.env, o, "cublasLtVersion", napi::makeNumber(a.env, static_cast<double>(cublasLtGetVersion())));
  return o;
}
