// Optimizer and recurrent-cell kernels: AdamW (one tensor, or every parameter of a step in one launch
// over a chunk table), and the LSTM cell's pointwise forward and backward.
#include <vector>

#include "context.h"
#include "napi_glue.h"
#include "ops.h"

namespace tcuda {

namespace {

struct AdamHyper {
  float beta1, beta2, eps, stepSize, sqrtBc2, decay;
};

__device__ __forceinline__ void adamwElem(float* p, const float* g, float* m, float* v, int64_t i, const AdamHyper& h) {
  const float gi = g[i];
  const float mi = h.beta1 * m[i] + (1.f - h.beta1) * gi;
  const float vi = h.beta2 * v[i] + (1.f - h.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = p[i] * h.decay - h.stepSize * mi / (sqrtf(vi) / h.sqrtBc2 + h.eps);
}

__global__ void adamwKernel(float* p, const float* g, float* m, float* v, int64_t n, AdamHyper h) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    adamwElem(p, g, m, v, i, h);
}

struct AdamChunk {
  float* p;
  const float* g;
  float* m;
  float* v;
  int64_t begin, end;
};

__global__ void adamwMultiKernel(const AdamChunk* chunks, AdamHyper h) {
  const AdamChunk ch = chunks[blockIdx.x];
  for (int64_t i = ch.begin + threadIdx.x; i < ch.end; i += blockDim.x) adamwElem(ch.p, ch.g, ch.m, ch.v, i, h);
}

AdamHyper hyper(double lr, double beta1, double beta2, double eps, double wd, double step) {
  const double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
  return AdamHyper{static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(eps), static_cast<float>(lr / bc1),
                   static_cast<float>(std::sqrt(bc2)), static_cast<float>(1 - lr * wd)};
}

void checkF32(const Buffer* b, int64_t n, const char* what) {
  if (b->dtype != DType::F32) throw OpError(std::string("adamw: ") + what + " must be float32, got " + dtypeName(b->dtype));
  if (b->length < n) throw OpError(std::string("adamw: ") + what + " is shorter than the parameter");
}

__device__ __forceinline__ float sigmoidF(float x) { return 1.f / (1.f + __expf(-x)); }

__global__ void lstmCellKernel(const float* gates, const float* cPrev, float* h, float* c, int64_t B, int64_t H) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < B * H; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = i / H, j = i % H, go = b * 4 * H;
    const float ig = sigmoidF(gates[go + j]), fg = sigmoidF(gates[go + H + j]);
    const float gg = tanhf(gates[go + 2 * H + j]), og = sigmoidF(gates[go + 3 * H + j]);
    const float cj = fg * cPrev[i] + ig * gg;
    c[i] = cj;
    h[i] = og * tanhf(cj);
  }
}

__global__ void lstmCellBackwardKernel(const float* gates, const float* cPrev, const float* c, const float* dh, const float* dc, float* dgates,
                                       float* dcPrev, int64_t B, int64_t H) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < B * H; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = i / H, j = i % H, go = b * 4 * H;
    const float ig = sigmoidF(gates[go + j]), fg = sigmoidF(gates[go + H + j]);
    const float gg = tanhf(gates[go + 2 * H + j]), og = sigmoidF(gates[go + 3 * H + j]);
    const float tc = tanhf(c[i]);
    const float dhj = dh[i];
    const float dct = dc[i] + dhj * og * (1.f - tc * tc);
    dgates[go + j] = dct * gg * ig * (1.f - ig);
    dgates[go + H + j] = dct * cPrev[i] * fg * (1.f - fg);
    dgates[go + 2 * H + j] = dct * ig * (1.f - gg * gg);
    dgates[go + 3 * H + j] = dhj * tc * og * (1.f - og);
    dcPrev[i] = dct * fg;
  }
}

const float* f32in(const Buffer* b, int64_t n, const char* what) {
  if (b->dtype != DType::F32 || b->length < n) throw OpError(std::string(what) + ": expected float32 of " + std::to_string(n) + " elements");
  return b->as<float>();
}

}  // namespace

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

// adamw(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step): in place
TCUDA_FN(adamw) {
  Buffer* p = a.buffer(0);
  Buffer* g = a.buffer(1);
  Buffer* m = a.buffer(2);
  Buffer* v = a.buffer(3);
  const int64_t n = p->length;
  checkF32(p, n, "param");
  checkF32(g, n, "grad");
  checkF32(m, n, "exp_avg");
  checkF32(v, n, "exp_avg_sq");
  Context& c = useDevice(p->device);
  const AdamHyper h = hyper(a.number(4), a.number(5), a.number(6), a.number(7), a.number(8), a.number(9));
  if (n > 0) {
    adamwKernel<<<blocksFor(n, 256, static_cast<int64_t>(c.smCount) * 8), 256, 0, c.stream>>>(p->as<float>(), g->as<float>(), m->as<float>(),
                                                                                               v->as<float>(), n, h);
    afterLaunch("adamw_f32");
  }
  return napi::undefinedValue(a.env);
}

// adamwMulti([p0, g0, m0, v0, p1, ...], lr, beta1, beta2, eps, weightDecay, step): every parameter in one launch
TCUDA_FN(adamwMulti) {
  const std::vector<Buffer*> bufs = a.buffers(0);
  if (bufs.size() % 4 != 0) throw OpError("adamwMulti: expected groups of (param, grad, exp_avg, exp_avg_sq)");
  if (bufs.empty()) return napi::undefinedValue(a.env);
  const AdamHyper h = hyper(a.number(1), a.number(2), a.number(3), a.number(4), a.number(5), a.number(6));
  Context& c = useDevice(bufs[0]->device);
  constexpr int64_t kChunk = 32768;
  std::vector<AdamChunk> chunks;
  for (size_t k = 0; k < bufs.size(); k += 4) {
    Buffer *p = bufs[k], *g = bufs[k + 1], *m = bufs[k + 2], *v = bufs[k + 3];
    const int64_t n = p->length;
    checkF32(p, n, "param");
    checkF32(g, n, "grad");
    checkF32(m, n, "exp_avg");
    checkF32(v, n, "exp_avg_sq");
    if (p->device != c.device || g->device != c.device || m->device != c.device || v->device != c.device) {
      throw OpError("adamwMulti: parameters on different cuda devices");
    }
    for (int64_t s = 0; s < n; s += kChunk) chunks.push_back(AdamChunk{p->as<float>(), g->as<float>(), m->as<float>(), v->as<float>(), s, std::min(n, s + kChunk)});
  }
  if (chunks.empty()) return napi::undefinedValue(a.env);
  Scratch table(c.device, chunks.size() * sizeof(AdamChunk));
  uploadAsync(c, table.ptr, chunks.data(), chunks.size() * sizeof(AdamChunk));
  for (size_t s = 0; s < chunks.size(); s += 65535) {
    const unsigned nb = static_cast<unsigned>(std::min<size_t>(65535, chunks.size() - s));
    adamwMultiKernel<<<nb, 256, 0, c.stream>>>(table.as<AdamChunk>() + s, h);
    afterLaunch("adamw_multi_tensor_f32");
  }
  return napi::undefinedValue(a.env);
}

// lstmCell(gates, cPrev, B, H) -> [h, c]
TCUDA_FN(lstmCell) {
  Buffer* gates = a.buffer(0);
  Buffer* cPrev = a.buffer(1);
  const int64_t B = a.integer(2), H = a.integer(3);
  const float* gp = f32in(gates, B * 4 * H, "lstmCell gates");
  const float* cp = f32in(cPrev, B * H, "lstmCell cell");
  Context& c = useDevice(gates->device);
  Owned h(allocBuffer(gates->device, DType::F32, B * H, false));
  Owned cc(allocBuffer(gates->device, DType::F32, B * H, false));
  if (B * H > 0) {
    lstmCellKernel<<<blocksFor(B * H, 256), 256, 0, c.stream>>>(gp, cp, h->as<float>(), cc->as<float>(), B, H);
    afterLaunch("lstm_cell_f32");
  }
  return napi::makeArray(a.env, {napi::wrapOwned(a.env, h), napi::wrapOwned(a.env, cc)});
}

// lstmCellBackward(gates, cPrev, c, dh, dc, B, H) -> [dgates, dcPrev]
TCUDA_FN(lstmCellBackward) {
  const int64_t B = a.integer(5), H = a.integer(6);
  const float* gp = f32in(a.buffer(0), B * 4 * H, "lstmCellBackward gates");
  const float* cp = f32in(a.buffer(1), B * H, "lstmCellBackward cell");
  const float* cc = f32in(a.buffer(2), B * H, "lstmCellBackward c");
  const float* dh = f32in(a.buffer(3), B * H, "lstmCellBackward dh");
  const float* dc = f32in(a.buffer(4), B * H, "lstmCellBackward dc");
  const int dev = a.buffer(0)->device;
  Context& c = useDevice(dev);
  Owned dg(allocBuffer(dev, DType::F32, B * 4 * H, false));
  Owned dcp(allocBuffer(dev, DType::F32, B * H, false));
  if (B * H > 0) {
    lstmCellBackwardKernel<<<blocksFor(B * H, 256), 256, 0, c.stream>>>(gp, cp, cc, dh, dc, dg->as<float>(), dcp->as<float>(), B, H);
    afterLaunch("lstm_cell_backward_f32");
  }
  return napi::makeArray(a.env, {napi::wrapOwned(a.env, dg), napi::wrapOwned(a.env, dcp)});
}
