// Row-wise fused ops over contiguous float32 (rows, n): softmax / log-softmax and backward, layer norm and
// backward (rows up to 8192 through the register-resident kernels of rows_reg.cuh; longer rows a warp per row
// over memory, dweight/dbias as column partials summed in a fixed order), layer norm of a residual sum for
// inference, and cross-entropy over large vocabularies (a block per row, one online max/sum pass; only the
// per-row loss and logsumexp are kept, never the probabilities).
#include <cfloat>

#include "elementwise.cuh"
#include "napi_glue.h"
#include "ops.h"
#include "rows_reg.cuh"

namespace tcuda {

namespace {

__device__ __forceinline__ float warpSum(float v) {
  for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
  return v;
}
__device__ __forceinline__ float warpMax(float v) {
  for (int d = 16; d > 0; d >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, d));
  return v;
}

constexpr int kRowWarps = 8;  // rows per block in the warp-per-row kernels

__global__ void softmaxKernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t n, int log) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowWarps + (threadIdx.x >> 5);
  if (r >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* xr = x + r * n;
  float* yr = y + r * n;
  float m = -INFINITY;
  for (int64_t j = lane; j < n; j += 32) m = fmaxf(m, xr[j]);
  m = warpMax(m);
  if (m == -INFINITY) {
    for (int64_t j = lane; j < n; j += 32) yr[j] = log ? -INFINITY : 0.f;
    return;
  }
  float s = 0.f;
  for (int64_t j = lane; j < n; j += 32) s += __expf(xr[j] - m);
  s = warpSum(s);
  if (log) {
    const float lse = m + logf(s);
    for (int64_t j = lane; j < n; j += 32) yr[j] = xr[j] - lse;
  } else {
    const float inv = 1.f / s;
    for (int64_t j = lane; j < n; j += 32) yr[j] = __expf(xr[j] - m) * inv;
  }
}

__global__ void softmaxBackwardKernel(const float* __restrict__ y, const float* __restrict__ dy, float* __restrict__ dx, int64_t rows, int64_t n, int log) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowWarps + (threadIdx.x >> 5);
  if (r >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* yr = y + r * n;
  const float* gr = dy + r * n;
  float* dr = dx + r * n;
  float s = 0.f;
  if (log) {
    for (int64_t j = lane; j < n; j += 32) s += gr[j];
    s = warpSum(s);
    for (int64_t j = lane; j < n; j += 32) dr[j] = gr[j] - __expf(yr[j]) * s;
  } else {
    for (int64_t j = lane; j < n; j += 32) s += gr[j] * yr[j];
    s = warpSum(s);
    for (int64_t j = lane; j < n; j += 32) dr[j] = yr[j] * (gr[j] - s);
  }
}

__global__ void layerNormKernel(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ b, float* __restrict__ y,
                                float* __restrict__ mean, float* __restrict__ rstd, int64_t rows, int64_t n, float eps) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowWarps + (threadIdx.x >> 5);
  if (r >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* xr = x + r * n;
  float s = 0.f;
  for (int64_t j = lane; j < n; j += 32) s += xr[j];
  const float mu = warpSum(s) / static_cast<float>(n);
  float v = 0.f;
  for (int64_t j = lane; j < n; j += 32) {
    const float d = xr[j] - mu;
    v += d * d;
  }
  const float rs = rsqrtf(warpSum(v) / static_cast<float>(n) + eps);
  if (lane == 0) {
    mean[r] = mu;
    rstd[r] = rs;
  }
  float* yr = y + r * n;
  for (int64_t j = lane; j < n; j += 32) {
    float t = (xr[j] - mu) * rs;
    if (w) t *= w[j];
    if (b) t += b[j];
    yr[j] = t;
  }
}

// layerNorm(x + residual) for inference: x and residual each float32, bf16 or f16 (autocast's projection
// outputs), the sum kept in float32 in the output row, which the later passes reread (a warp per row; each
// lane touches only its own columns, so no synchronisation between passes).
template <typename TX, typename TR>
__global__ void addLayerNormKernel(const TX* __restrict__ x, const TR* __restrict__ res, const float* __restrict__ w,
                                   const float* __restrict__ b, float* __restrict__ y, int64_t rows, int64_t n, float eps) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowWarps + (threadIdx.x >> 5);
  if (r >= rows) return;
  const int lane = threadIdx.x & 31;
  const TX* xr = x + r * n;
  const TR* rr = res + r * n;
  float* yr = y + r * n;
  float s = 0.f;
  for (int64_t j = lane; j < n; j += 32) {
    const float t = toF<TX>(xr[j]) + toF<TR>(rr[j]);
    yr[j] = t;
    s += t;
  }
  const float mu = warpSum(s) / static_cast<float>(n);
  float v = 0.f;
  for (int64_t j = lane; j < n; j += 32) {
    const float d = yr[j] - mu;
    v += d * d;
  }
  const float rs = rsqrtf(warpSum(v) / static_cast<float>(n) + eps);
  for (int64_t j = lane; j < n; j += 32) {
    float t = (yr[j] - mu) * rs;
    if (w) t *= w[j];
    if (b) t += b[j];
    yr[j] = t;
  }
}

__global__ void layerNormBackwardKernel(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ w,
                                        const float* __restrict__ mean, const float* __restrict__ rstd, float* __restrict__ dx, int64_t rows,
                                        int64_t n) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowWarps + (threadIdx.x >> 5);
  if (r >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* xr = x + r * n;
  const float* gr = dy + r * n;
  const float mu = mean[r], rs = rstd[r];
  float sg = 0.f, sgx = 0.f;
  for (int64_t j = lane; j < n; j += 32) {
    const float xh = (xr[j] - mu) * rs;
    const float g = w ? gr[j] * w[j] : gr[j];
    sg += g;
    sgx += g * xh;
  }
  sg = warpSum(sg) / static_cast<float>(n);
  sgx = warpSum(sgx) / static_cast<float>(n);
  float* dr = dx + r * n;
  for (int64_t j = lane; j < n; j += 32) {
    const float xh = (xr[j] - mu) * rs;
    const float g = w ? gr[j] * w[j] : gr[j];
    dr[j] = rs * (g - sg - xh * sgx);
  }
}

/** Column partials of dweight = sum dy * xhat and dbias = sum dy over one chunk of rows. */
__global__ void layerNormParamsKernel(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ mean,
                                      const float* __restrict__ rstd, float* __restrict__ pw, float* __restrict__ pb, int64_t rows, int64_t n,
                                      int64_t chunk) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= n) return;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * chunk, r1 = min(rows, r0 + chunk);
  float aw = 0.f, ab = 0.f;
  for (int64_t r = r0; r < r1; r++) {
    const float g = dy[r * n + j];
    aw += g * (x[r * n + j] - mean[r]) * rstd[r];
    ab += g;
  }
  pw[blockIdx.y * n + j] = aw;
  pb[blockIdx.y * n + j] = ab;
}

template <typename TX, typename TI>
__global__ void crossEntropyKernel(const TX* __restrict__ x, const TI* __restrict__ targets, float* __restrict__ losses, float* __restrict__ lse,
                                   int64_t rows, int64_t n, int64_t ignoreIndex, float smoothing, DeviceError* err) {
  __shared__ float sm[32], ss[32], sl[32];
  const int64_t r = blockIdx.x;
  if (r >= rows) return;
  const TX* xr = x + r * n;
  float m = -INFINITY, s = 0.f, sumLogits = 0.f;
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    const float v = toF<TX>(xr[j]);
    sumLogits += v;
    if (v > m) {
      s = s * __expf(m - v) + 1.f;
      m = v;
    } else {
      s += __expf(v - m);
    }
  }
  // merge (m, s) pairs across the block
  for (int d = 16; d > 0; d >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, d), s2 = __shfl_xor_sync(0xffffffffu, s, d);
    const float mm = fmaxf(m, m2);
    s = (m == -INFINITY ? 0.f : s * __expf(m - mm)) + (m2 == -INFINITY ? 0.f : s2 * __expf(m2 - mm));
    m = mm;
    sumLogits += __shfl_xor_sync(0xffffffffu, sumLogits, d);
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    sm[warp] = m;
    ss[warp] = s;
    sl[warp] = sumLogits;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    const int nw = blockDim.x >> 5;
    float M = -INFINITY;
    for (int k = 0; k < nw; k++) M = fmaxf(M, sm[k]);
    float S = 0.f, L = 0.f;
    for (int k = 0; k < nw; k++) {
      if (sm[k] != -INFINITY) S += ss[k] * __expf(sm[k] - M);
      L += sl[k];
    }
    const float l = M + logf(S);
    lse[r] = l;
    const int64_t t = static_cast<int64_t>(targets[r]);
    if (t == ignoreIndex) {
      losses[r] = 0.f;
    } else if (t < 0 || t >= n) {
      if (atomicCAS(&err->code, 0, kErrTarget) == 0) {
        err->value = t;
        err->size = n;
      }
      losses[r] = NAN;
    } else {
      const float nll = l - toF<TX>(xr[t]);
      losses[r] = smoothing > 0.f ? (1.f - smoothing) * nll + smoothing * (l - L / static_cast<float>(n)) : nll;
    }
  }
}

template <typename TX, typename TI>
__global__ void crossEntropyBackwardKernel(const TX* __restrict__ x, const TI* __restrict__ targets, const float* __restrict__ lse,
                                           const float* __restrict__ dl, TX* __restrict__ dx, int64_t rows, int64_t n, int64_t ignoreIndex,
                                           float smoothing) {
  const int64_t r = blockIdx.x;
  if (r >= rows) return;
  const int64_t t = static_cast<int64_t>(targets[r]);
  TX* dr = dx + r * n;
  if (t == ignoreIndex || t < 0 || t >= n) {
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) dr[j] = fromF<TX>(0.f);
    return;
  }
  const TX* xr = x + r * n;
  const float g = dl[r], l = lse[r], u = smoothing / static_cast<float>(n), hit = g * (1.f - smoothing);
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) dr[j] = fromF<TX>(g * (__expf(toF<TX>(xr[j]) - l) - u) - (j == t ? hit : 0.f));
}

const float* f32(const Buffer* b, const char* what, int64_t need) {
  if (!b) return nullptr;
  if (b->dtype != DType::F32) throw OpError(std::string(what) + ": expected float32, got " + dtypeName(b->dtype));
  if (b->length < need) throw OpError(std::string(what) + ": storage of " + std::to_string(b->length) + " elements, need " + std::to_string(need));
  return b->as<float>();
}

unsigned rowBlocks(int64_t rows) { return static_cast<unsigned>((rows + kRowWarps - 1) / kRowWarps); }

/** Blocks of the register-resident row kernels: 256 / NT rows per block. */
unsigned regBlocks(int64_t rows, int nt) {
  const int64_t per = rowreg::kBlock / nt;
  return static_cast<unsigned>((rows + per - 1) / per);
}

/**
 * Layer-norm backward in registers (rows up to 8192): dx, and per-block dweight / dbias partial rows summed
 * by column in a fixed order. The grid is what the device keeps resident (rows walked grid-stride). False
 * when the row is too long for it.
 */
bool regBackward(Context& c, const float* gp, const float* xp, const float* wp, const float* mp, const float* rp, float* dxp, float* dwp, float* dbp,
                 int64_t rows, int64_t n) {
  if (n > 8192) return false;
  const int64_t sm = c.smCount > 0 ? c.smCount : 80;
  int blocks = 0;
  size_t smem = 0;
  const bool vec = rowreg::vectorisable(n, {gp, xp, wp, dxp});
  rowreg::dispatch(n, vec, [&](auto nt, auto v, auto vc) {
    constexpr int NT = decltype(nt)::value;
    smem = NT == 32 ? 2 * n * sizeof(float) : 0;
    int perSm = 0;
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, rowreg::layerNormBackwardKernel<NT, decltype(v)::value, decltype(vc)::value>, rowreg::kBlock,
                                                        smem),
          "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
    const int64_t per = rowreg::kBlock / NT;
    blocks = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(sm * std::max(perSm, 1), (rows + per - 1) / per)));
  });
  Scratch pw(c.device, static_cast<size_t>(blocks) * n * sizeof(float)), pb(c.device, static_cast<size_t>(blocks) * n * sizeof(float));
  rowreg::dispatch(n, vec, [&](auto nt, auto v, auto vc) {
    rowreg::layerNormBackwardKernel<decltype(nt)::value, decltype(v)::value, decltype(vc)::value>
        <<<static_cast<unsigned>(blocks), rowreg::kBlock, smem, c.stream>>>(gp, xp, wp, mp, rp, dxp, pw.as<float>(), pb.as<float>(), rows,
                                                                            static_cast<int>(n));
  });
  afterLaunch("layer_norm_backward_f32");
  const unsigned cb = static_cast<unsigned>((n + 31) / 32);
  if (dwp) {
    rowreg::sumPartialRowsKernel<<<cb, rowreg::kBlock, 0, c.stream>>>(pw.as<float>(), dwp, n, blocks);
    afterLaunch("layer_norm_dweight");
  }
  rowreg::sumPartialRowsKernel<<<cb, rowreg::kBlock, 0, c.stream>>>(pb.as<float>(), dbp, n, blocks);
  afterLaunch("layer_norm_dbias");
  return true;
}

template <typename F>
void dispatchTargets(DType d, F&& f) {
  if (d == DType::I32) f(int32_t{});
  else if (d == DType::I64) f(int64_t{});
  else throw OpError(std::string("crossEntropy: targets must be int32 or int64, got ") + dtypeName(d));
}

}  // namespace

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

// softmax(x, rows, n, log)
TCUDA_FN(softmax) {
  Buffer* x = a.buffer(0);
  const int64_t rows = a.integer(1), n = a.integer(2);
  const bool log = a.boolean(3);
  const float* xp = f32(x, "softmax", rows * n);
  Context& c = useDevice(x->device);
  Owned y(allocBuffer(x->device, DType::F32, rows * n, false));
  if (rows * n > 0) {
    float* yp = y->as<float>();
    const bool reg = rowreg::dispatch(n, rowreg::vectorisable(n, {xp, yp}), [&](auto nt, auto v, auto vec) {
      rowreg::softmaxKernel<decltype(nt)::value, decltype(v)::value, decltype(vec)::value>
          <<<regBlocks(rows, decltype(nt)::value), rowreg::kBlock, 0, c.stream>>>(xp, yp, rows, static_cast<int>(n), log ? 1 : 0);
    });
    if (!reg) softmaxKernel<<<rowBlocks(rows), kRowWarps * 32, 0, c.stream>>>(xp, yp, rows, n, log ? 1 : 0);
    afterLaunch(log ? "log_softmax_f32" : "softmax_f32");
  }
  return napi::wrapOwned(a.env, y);
}

// softmaxBackward(y, dy, rows, n, log)
TCUDA_FN(softmaxBackward) {
  Buffer* y = a.buffer(0);
  Buffer* dy = a.buffer(1);
  const int64_t rows = a.integer(2), n = a.integer(3);
  const bool log = a.boolean(4);
  const float* yp = f32(y, "softmaxBackward", rows * n);
  const float* gp = f32(dy, "softmaxBackward", rows * n);
  Context& c = useDevice(y->device);
  Owned dx(allocBuffer(y->device, DType::F32, rows * n, false));
  if (rows * n > 0) {
    float* dp = dx->as<float>();
    const bool reg = rowreg::dispatch(n, rowreg::vectorisable(n, {yp, gp, dp}), [&](auto nt, auto v, auto vec) {
      rowreg::softmaxBackwardKernel<decltype(nt)::value, decltype(v)::value, decltype(vec)::value>
          <<<regBlocks(rows, decltype(nt)::value), rowreg::kBlock, 0, c.stream>>>(yp, gp, dp, rows, static_cast<int>(n), log ? 1 : 0);
    });
    if (!reg) softmaxBackwardKernel<<<rowBlocks(rows), kRowWarps * 32, 0, c.stream>>>(yp, gp, dp, rows, n, log ? 1 : 0);
    afterLaunch("softmax_backward_f32");
  }
  return napi::wrapOwned(a.env, dx);
}

// layerNorm(x, w | null, b | null, rows, n, eps) -> [y, mean, rstd]
TCUDA_FN(layerNorm) {
  Buffer* x = a.buffer(0);
  Buffer* w = a.bufferOrNull(1);
  Buffer* b = a.bufferOrNull(2);
  const int64_t rows = a.integer(3), n = a.integer(4);
  const float eps = static_cast<float>(a.number(5));
  const float* xp = f32(x, "layerNorm", rows * n);
  const float* wp = f32(w, "layerNorm weight", n);
  const float* bp = f32(b, "layerNorm bias", n);
  Context& c = useDevice(x->device);
  Owned y(allocBuffer(x->device, DType::F32, rows * n, false));
  Owned mean(allocBuffer(x->device, DType::F32, rows, false));
  Owned rstd(allocBuffer(x->device, DType::F32, rows, false));
  if (rows > 0 && n > 0) {
    float *yp = y->as<float>(), *mp = mean->as<float>(), *rp = rstd->as<float>();
    const bool reg = rowreg::dispatch(n, rowreg::vectorisable(n, {xp, wp, bp, yp}), [&](auto nt, auto v, auto vec) {
      rowreg::layerNormKernel<decltype(nt)::value, decltype(v)::value, decltype(vec)::value>
          <<<regBlocks(rows, decltype(nt)::value), rowreg::kBlock, 0, c.stream>>>(xp, wp, bp, yp, mp, rp, rows, static_cast<int>(n), eps);
    });
    if (!reg) layerNormKernel<<<rowBlocks(rows), kRowWarps * 32, 0, c.stream>>>(xp, wp, bp, yp, mp, rp, rows, n, eps);
    afterLaunch("layer_norm_f32");
  }
  return napi::makeArray(a.env, {napi::wrapOwned(a.env, y), napi::wrapOwned(a.env, mean), napi::wrapOwned(a.env, rstd)});
}

// addLayerNorm(x, residual, w | null, b | null, rows, n, eps) -> y = layerNorm(x + residual) (float32), for
// inference: no mean / rstd are kept and the sum is never stored apart from the output.
TCUDA_FN(addLayerNorm) {
  Buffer* x = a.buffer(0);
  Buffer* res = a.buffer(1);
  Buffer* w = a.bufferOrNull(2);
  Buffer* b = a.bufferOrNull(3);
  const int64_t rows = a.integer(4), n = a.integer(5);
  const float eps = static_cast<float>(a.number(6));
  for (const Buffer* t : {x, res}) {
    if (!isFloatType(t->dtype)) throw OpError(std::string("addLayerNorm: expected a float input, got ") + dtypeName(t->dtype));
    if (t->length < rows * n) throw OpError("addLayerNorm: storage of " + std::to_string(t->length) + " elements, need " + std::to_string(rows * n));
  }
  if (res->device != x->device) throw OpError("addLayerNorm: input and residual are on different devices");
  const float* wp = f32(w, "addLayerNorm weight", n);
  const float* bp = f32(b, "addLayerNorm bias", n);
  Context& c = useDevice(x->device);
  Owned y(allocBuffer(x->device, DType::F32, rows * n, false));
  if (rows > 0 && n > 0) {
    dispatchFloat(x->dtype, "addLayerNorm", [&](auto tx) {
      using TX = decltype(tx);
      dispatchFloat(res->dtype, "addLayerNorm", [&](auto tr) {
        using TR = decltype(tr);
        addLayerNormKernel<TX, TR><<<rowBlocks(rows), kRowWarps * 32, 0, c.stream>>>(static_cast<const TX*>(x->data), static_cast<const TR*>(res->data),
                                                                                    wp, bp, y->as<float>(), rows, n, eps);
      });
    });
    afterLaunch("add_layer_norm");
  }
  return napi::wrapOwned(a.env, y);
}

// layerNormBackward(dy, x, w | null, mean, rstd, rows, n) -> [dx, dw | null, db]
TCUDA_FN(layerNormBackward) {
  Buffer* dy = a.buffer(0);
  Buffer* x = a.buffer(1);
  Buffer* w = a.bufferOrNull(2);
  Buffer* mean = a.buffer(3);
  Buffer* rstd = a.buffer(4);
  const int64_t rows = a.integer(5), n = a.integer(6);
  const float* gp = f32(dy, "layerNormBackward", rows * n);
  const float* xp = f32(x, "layerNormBackward", rows * n);
  const float* wp = f32(w, "layerNormBackward weight", n);
  const float* mp = f32(mean, "layerNormBackward mean", rows);
  const float* rp = f32(rstd, "layerNormBackward rstd", rows);
  Context& c = useDevice(x->device);
  Owned dx(allocBuffer(x->device, DType::F32, rows * n, false));
  Owned dw(w ? allocBuffer(x->device, DType::F32, n, false) : nullptr);
  Owned db(allocBuffer(x->device, DType::F32, n, false));
  if (rows > 0 && n > 0 && regBackward(c, gp, xp, wp, mp, rp, dx->as<float>(), w ? dw->as<float>() : nullptr, db->as<float>(), rows, n)) {
    // done in registers
  } else if (rows > 0 && n > 0) {
    layerNormBackwardKernel<<<rowBlocks(rows), kRowWarps * 32, 0, c.stream>>>(gp, xp, wp, mp, rp, dx->as<float>(), rows, n);
    afterLaunch("layer_norm_backward_f32");
    const int64_t sm = c.smCount > 0 ? c.smCount : 80;
    int64_t splits = std::min<int64_t>((sm * 1024 + n - 1) / n, (rows + 15) / 16);
    if (splits < 1) splits = 1;
    const int64_t chunk = (rows + splits - 1) / splits;
    Scratch pw(x->device, splits * n * sizeof(float)), pb(x->device, splits * n * sizeof(float));
    layerNormParamsKernel<<<dim3(static_cast<unsigned>((n + 255) / 256), static_cast<unsigned>(splits)), 256, 0, c.stream>>>(
        gp, xp, mp, rp, pw.as<float>(), pb.as<float>(), rows, n, chunk);
    afterLaunch("layer_norm_params_f32");
    if (w) {
      rowreg::sumPartialRowsKernel<<<static_cast<unsigned>((n + 31) / 32), rowreg::kBlock, 0, c.stream>>>(pw.as<float>(), dw->as<float>(), n, static_cast<int>(splits));
      afterLaunch("sum_partials");
    }
    rowreg::sumPartialRowsKernel<<<static_cast<unsigned>((n + 31) / 32), rowreg::kBlock, 0, c.stream>>>(pb.as<float>(), db->as<float>(), n, static_cast<int>(splits));
    afterLaunch("sum_partials");
  } else if (n > 0) {
    check(cudaMemsetAsync(db->data, 0, n * sizeof(float), c.stream), "cudaMemsetAsync");
    if (w) check(cudaMemsetAsync(dw->data, 0, n * sizeof(float), c.stream), "cudaMemsetAsync");
  }
  napi_value dwv = w ? napi::wrapOwned(a.env, dw) : napi::nullValue(a.env);
  return napi::makeArray(a.env, {napi::wrapOwned(a.env, dx), dwv, napi::wrapOwned(a.env, db)});
}

// crossEntropy(logits, targets, rows, n, ignoreIndex, smoothing) -> [losses, lse]
TCUDA_FN(crossEntropy) {
  Buffer* x = a.buffer(0);
  Buffer* t = a.buffer(1);
  const int64_t rows = a.integer(2), n = a.integer(3), ignore = a.integer(4);
  const float smoothing = static_cast<float>(a.number(5));
  if (x->length < rows * n) throw OpError("crossEntropy: logits smaller than rows x classes");
  if (t->length < rows) throw OpError("crossEntropy: fewer targets than rows");
  Context& c = useDevice(x->device);
  Owned losses(allocBuffer(x->device, DType::F32, rows, false));
  Owned lse(allocBuffer(x->device, DType::F32, rows, false));
  if (rows > 0) {
    dispatchFloat(x->dtype, "crossEntropy", [&](auto xt) {
      using TX = decltype(xt);
      dispatchTargets(t->dtype, [&](auto tag) {
        using TI = decltype(tag);
        crossEntropyKernel<TX, TI><<<static_cast<unsigned>(rows), 256, 0, c.stream>>>(x->as<TX>(), t->as<TI>(), losses->as<float>(), lse->as<float>(), rows,
                                                                                       n, ignore, smoothing, c.errDev);
        afterLaunch("cross_entropy");
      });
    });
  }
  return napi::makeArray(a.env, {napi::wrapOwned(a.env, losses), napi::wrapOwned(a.env, lse)});
}

// crossEntropyBackward(logits, targets, lse, dlosses, rows, n, ignoreIndex, smoothing) -> dlogits
TCUDA_FN(crossEntropyBackward) {
  Buffer* x = a.buffer(0);
  Buffer* t = a.buffer(1);
  Buffer* lse = a.buffer(2);
  Buffer* dl = a.buffer(3);
  const int64_t rows = a.integer(4), n = a.integer(5), ignore = a.integer(6);
  const float smoothing = static_cast<float>(a.number(7));
  if (x->length < rows * n) throw OpError("crossEntropyBackward: logits smaller than rows x classes");
  const float* lp = f32(lse, "crossEntropyBackward lse", rows);
  const float* gp = f32(dl, "crossEntropyBackward dlosses", rows);
  Context& c = useDevice(x->device);
  // dlogits in the logits' dtype (bf16 logits under autocast give bf16 gradients, as the matmul before them wants)
  Owned dx(allocBuffer(x->device, x->dtype, rows * n, false));
  if (rows > 0) {
    dispatchFloat(x->dtype, "crossEntropyBackward", [&](auto xt) {
      using TX = decltype(xt);
      dispatchTargets(t->dtype, [&](auto tag) {
        using TI = decltype(tag);
        crossEntropyBackwardKernel<TX, TI><<<static_cast<unsigned>(rows), 256, 0, c.stream>>>(x->as<TX>(), t->as<TI>(), lp, gp, dx->as<TX>(), rows, n,
                                                                                               ignore, smoothing);
        afterLaunch("cross_entropy_backward");
      });
    });
  }
  return napi::wrapOwned(a.env, dx);
}
