// Fused scaled-dot-product attention over contiguous q (B, H, Tq, D), k and v (B, H, Tk, D), one (b, h)
// pair per task: S = scale * Q K^T (+ mask, causal) -> row softmax P -> dropout -> O = P V, with the GEMMs on
// the packed kernels. Backward: dV = P'^T dO, dP = dO V^T (through dropout), dS = P * (dP - rowsum(dP * P)),
// dQ = scale * dS K, dK = scale * dS^T Q. Dropout draws come from the device's Philox counter, so the
// mask is a pure function of (seed state, element) and is saved as bytes for the backward pass.
#include <algorithm>
#include <cmath>
#include <vector>

#include "aligned.h"
#include "fused_common.h"
#include "gemm.h"
#include "napi_util.h"
#include "op_codes.h"
#include "ops.h"
#include "philox.h"
#include "vec.h"

namespace tessera {
namespace {

struct MaskView {
  const float* data = nullptr;
  int64_t strides[4] = {};
};

// attention(q, k, v, B, H, Tq, Tk, D, mask|null, maskLayout|null, causal, scale, dropoutP, keepProbs)
//   -> [out, probs|null, keep|null]   (probs only when keepProbs: inference keeps nothing for the backward)
TESSERA_FN(attention) {
  const int64_t B = a.integer(3), H = a.integer(4), Tq = a.integer(5), Tk = a.integer(6), D = a.integer(7);
  const float* q = f32In("attention", a.buffer(0), B * H * Tq * D);
  const float* k = f32In("attention", a.buffer(1), B * H * Tk * D);
  const float* v = f32In("attention", a.buffer(2), B * H * Tk * D);
  Buffer* mb = a.bufferOrNull(8);
  MaskView mask;
  if (mb) {
    const Layout ml = a.layout(9);
    checkLayout("attention", mb, ml);
    if (mb->dtype != DType::F32) throw OpError(std::string("attention: mask must be float32, got ") + dtypeName(mb->dtype));
    if (ml.nd > 4) throw OpError("attention: mask layout " + ml.shapeString() + " has more than 4 dims");
    const int64_t full[4] = {B, H, Tq, Tk};
    for (int i = 0; i < ml.nd; i++) {
      const int d = 4 - ml.nd + i;
      if (ml.shape[i] != full[d] && ml.shape[i] != 1) throw OpError("attention: mask shape " + ml.shapeString() + " does not broadcast to the scores");
      mask.strides[d] = ml.shape[i] == 1 ? 0 : ml.strides[i];
    }
    mask.data = mb->as<float>() + ml.offset;
  }
  const bool causal = a.boolean(10);
  const float scale = static_cast<float>(a.number(11));
  const double p = a.number(12);
  const bool keepProbs = a.boolean(13);
  Buffer* ob = allocBuffer(DType::F32, B * H * Tq * D, false);
  Buffer* pb = keepProbs ? allocBuffer(DType::F32, B * H * Tq * Tk, false) : nullptr;
  Buffer* kb = p > 0 ? allocBuffer(DType::U8, B * H * Tq * Tk, false) : nullptr;
  float* out = ob->as<float>();
  float* probs = pb ? pb->as<float>() : nullptr;
  uint8_t* keep = kb ? kb->as<uint8_t>() : nullptr;
  const int64_t shift = Tk - Tq;
  Philox& gen = generator();
  const uint32_t key[2] = {gen.key[0], gen.key[1]};
  const uint64_t c0 = gen.counter;
  if (keep) gen.counter += (B * H * Tq * Tk + 3) / 4;
  const float keepScale = p > 0 ? static_cast<float>(1.0 / (1.0 - p)) : 1.0f;
  const uint32_t dropBelow = static_cast<uint32_t>(std::min(16777216.0, std::ceil(p * 16777216.0)));  // u < p on 24 bits
  const VecOps& vo = vecOps();
  // causal: blocks of query rows only compute the keys their last row can see (about half the work)
  const int64_t RB = causal ? 64 : std::max<int64_t>(Tq, 1);
  parallelForDynamic(B * H, 1, [&](int64_t t0, int64_t t1, int) {
    thread_local AlignedBuffer scratch, pscratch;
    float* pd = scratch.get<float>(Tq * Tk);
    float* own = probs ? nullptr : pscratch.get<float>(Tq * Tk);
    for (int64_t bh = t0; bh < t1; bh++) {
      const int64_t b = bh / H, h = bh % H;
      float* P = probs ? probs + bh * Tq * Tk : own;
      for (int64_t r0 = 0; r0 < Tq; r0 += RB) {
        const int64_t r1 = std::min(Tq, r0 + RB), rows = r1 - r0;
        const int64_t kv = causal ? std::clamp<int64_t>(r1 + shift, 0, Tk) : Tk;
        float* Pb = P + r0 * Tk;
        if (kv > 0) {
          GemmArgs s{rows, kv, D, q + (bh * Tq + r0) * D, D, 1, k + bh * Tk * D, 1, D, Pb, nullptr, Act::None, Tk};
          sgemm(s, 1);
        }
        for (int64_t i = 0; i < rows; i++) {
          float* row = Pb + i * Tk;
          const int64_t gi = r0 + i;
          vo.map(kMulScalar, row, 1, row, kv, scale, 0);
          if (mask.data) {
            const float* mr = mask.data + b * mask.strides[0] + h * mask.strides[1] + gi * mask.strides[2];
            if (mask.strides[3] == 1) vo.axpy(1.0f, mr, row, kv);
            else for (int64_t j = 0; j < kv; j++) row[j] += mr[j * mask.strides[3]];
          }
          if (causal)
            for (int64_t j = std::max<int64_t>(0, gi + shift + 1); j < kv; j++) row[j] = -INFINITY;
          vo.softmaxRow(row, row, kv, false);
          for (int64_t j = kv; j < Tk; j++) row[j] = 0.0f;
        }
        const float* Pv = Pb;
        if (keep) {
          uint8_t* kp = keep + bh * Tq * Tk;
          uint32_t r[4];
          int64_t blk = -1;
          for (int64_t e = r0 * Tk; e < r1 * Tk; e++) {
            const int64_t g = bh * Tq * Tk + e;
            if (g / 4 != blk) {
              blk = g / 4;
              Philox::block(key, c0 + blk, r);
            }
            kp[e] = (r[g % 4] >> 8) >= dropBelow ? 1 : 0;
            pd[e] = kp[e] ? P[e] * keepScale : 0.0f;
          }
          Pv = pd + r0 * Tk;
        }
        float* O = out + (bh * Tq + r0) * D;
        if (kv > 0) {
          GemmArgs o{rows, D, kv, Pv, Tk, 1, v + bh * Tk * D, D, 1, O, nullptr, Act::None, D};
          sgemm(o, 1);
        } else {
          std::fill(O, O + rows * D, 0.0f);
        }
      }
    }
  });
  napi_value arr, nul;
  napi_get_null(a.env, &nul);
  napi_create_array_with_length(a.env, 3, &arr);
  napi_set_element(a.env, arr, 0, napi::wrap(a.env, ob));
  napi_set_element(a.env, arr, 1, pb ? napi::wrap(a.env, pb) : nul);
  napi_set_element(a.env, arr, 2, kb ? napi::wrap(a.env, kb) : nul);
  return arr;
}

// attentionBackward(q, k, v, B, H, Tq, Tk, D, probs, keep|null, dropoutP, scale, dout, causal) -> [dq, dk, dv]
TESSERA_FN(attentionBackward) {
  const int64_t B = a.integer(3), H = a.integer(4), Tq = a.integer(5), Tk = a.integer(6), D = a.integer(7);
  const float* q = f32In("attentionBackward", a.buffer(0), B * H * Tq * D);
  const float* k = f32In("attentionBackward", a.buffer(1), B * H * Tk * D);
  const float* v = f32In("attentionBackward", a.buffer(2), B * H * Tk * D);
  const float* probs = f32In("attentionBackward", a.buffer(8), B * H * Tq * Tk);
  Buffer* kb = a.bufferOrNull(9);
  const uint8_t* keep = kb ? kb->as<uint8_t>() : nullptr;
  if (kb && (kb->released || kb->length < B * H * Tq * Tk)) throw OpError("attentionBackward: dropout mask does not match the scores");
  const double p = a.number(10);
  const float scale = static_cast<float>(a.number(11));
  const float* dout = f32In("attentionBackward", a.buffer(12), B * H * Tq * D);
  const bool causal = a.boolean(13);
  const float keepScale = p > 0 ? static_cast<float>(1.0 / (1.0 - p)) : 1.0f;
  Buffer* dqb = allocBuffer(DType::F32, B * H * Tq * D, false);
  Buffer* dkb = allocBuffer(DType::F32, B * H * Tk * D, false);
  Buffer* dvb = allocBuffer(DType::F32, B * H * Tk * D, false);
  float *dq = dqb->as<float>(), *dk = dkb->as<float>(), *dv = dvb->as<float>();
  const VecOps& vo = vecOps();
  const int64_t shift = Tk - Tq;
  // causal: query blocks stop at the last key they see, key blocks start at the first query that sees them
  const int64_t RB = causal ? 64 : std::max<int64_t>(Tq, 1), CB = causal ? 64 : std::max<int64_t>(Tk, 1);
  parallelForDynamic(B * H, 1, [&](int64_t t0, int64_t t1, int) {
    thread_local AlignedBuffer scratchA, scratchB;
    float* dp = scratchA.get<float>(Tq * Tk);
    float* pk = scratchB.get<float>(Tq * Tk);
    for (int64_t bh = t0; bh < t1; bh++) {
      const float* P = probs + bh * Tq * Tk;
      const float* Q = q + bh * Tq * D;
      const float* K = k + bh * Tk * D;
      const float* V = v + bh * Tk * D;
      const float* dO = dout + bh * Tq * D;
      const float* Pd = P;
      if (keep) {
        const uint8_t* kp = keep + bh * Tq * Tk;
        for (int64_t e = 0; e < Tq * Tk; e++) pk[e] = kp[e] ? P[e] * keepScale : 0.0f;
        Pd = pk;
      }
      // dS = P * (dP - rowsum(dP * P)) * scale, dP = dO V^T through dropout; then dQ = dS K, one query block at a time
      for (int64_t r0 = 0; r0 < Tq; r0 += RB) {
        const int64_t r1 = std::min(Tq, r0 + RB), rows = r1 - r0;
        const int64_t kv = causal ? std::clamp<int64_t>(r1 + shift, 0, Tk) : Tk;
        float* dpb = dp + r0 * Tk;
        if (kv > 0) {
          GemmArgs gp{rows, kv, D, dO + r0 * D, D, 1, V, 1, D, dpb, nullptr, Act::None, Tk};
          sgemm(gp, 1);
        }
        for (int64_t i = 0; i < rows; i++) {
          float* row = dpb + i * Tk;
          const float* pr = P + (r0 + i) * Tk;
          if (keep) {
            const uint8_t* kr = keep + bh * Tq * Tk + (r0 + i) * Tk;
            for (int64_t j = 0; j < kv; j++) row[j] = kr[j] ? row[j] * keepScale : 0.0f;
          }
          const float s = vo.dot(row, pr, kv);
          for (int64_t j = 0; j < kv; j++) row[j] = pr[j] * (row[j] - s) * scale;
          for (int64_t j = kv; j < Tk; j++) row[j] = 0.0f;
        }
        float* dQ = dq + (bh * Tq + r0) * D;
        if (kv > 0) {
          GemmArgs gq{rows, D, kv, dpb, Tk, 1, K, D, 1, dQ, nullptr, Act::None, D};
          sgemm(gq, 1);
        } else {
          std::fill(dQ, dQ + rows * D, 0.0f);
        }
      }
      // dV = P'^T dO and dK = dS^T Q, one key block at a time
      for (int64_t c0 = 0; c0 < Tk; c0 += CB) {
        const int64_t c1 = std::min(Tk, c0 + CB), cols = c1 - c0;
        const int64_t q0 = causal ? std::clamp<int64_t>(c0 - shift, 0, Tq) : 0;
        float* dV = dv + (bh * Tk + c0) * D;
        float* dK = dk + (bh * Tk + c0) * D;
        if (q0 >= Tq) {
          std::fill(dV, dV + cols * D, 0.0f);
          std::fill(dK, dK + cols * D, 0.0f);
          continue;
        }
        GemmArgs gv{cols, D, Tq - q0, Pd + q0 * Tk + c0, 1, Tk, dO + q0 * D, D, 1, dV, nullptr, Act::None, D};
        sgemm(gv, 1);
        GemmArgs gk{cols, D, Tq - q0, dp + q0 * Tk + c0, 1, Tk, Q + q0 * D, D, 1, dK, nullptr, Act::None, D};
        sgemm(gk, 1);
      }
    }
  });
  napi_value arr;
  napi_create_array_with_length(a.env, 3, &arr);
  napi_set_element(a.env, arr, 0, napi::wrap(a.env, dqb));
  napi_set_element(a.env, arr, 1, napi::wrap(a.env, dkb));
  napi_set_element(a.env, arr, 2, napi::wrap(a.env, dvb));
  return arr;
}

}  // namespace

void initAttentionOps(napi_env env, napi_value exports) {
  napi::exportFunction(env, exports, "attention", attention);
  napi::exportFunction(env, exports, "attentionBackward", attentionBackward);
}

}  // namespace tessera
