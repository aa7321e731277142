// Fused scaled-dot-product attention over contiguous q (B, H, Tq, D), k and v (B, H, Tk, D), one (b, h)
// pair per task: S = scale * Q K^T (+ mask, causal) -> row softmax P -> dropout -> O = P V, with the GEMMs on
// the packed kernels. Backward: dV = P'^T dO, dP = dO V^T (through dropout), dS = P * (dP - rowsum(dP * P)),
// dQ = scale * dS K, dK = scale * dS^T Q. Dropout draws come from the device's Philox counter, so the
// mask is a pure function of (seed state, element) and is saved as bytes for the backward pass.
#include <algorithm>
#include <cmath>
#include <vector>

#include "aligned.h"
#include "attention_kernels.h"
#include "cpu_features.h"
#include "fused_common.h"
#include "gemm.h"
#include "napi_util.h"
#include "op_codes.h"
#include "ops.h"
#include "philox.h"
#include "threadpool.h"
#include "vec.h"

namespace tessera {
namespace {

struct MaskView {
  const float* data = nullptr;
  int64_t strides[4] = {};
};

/** q, k or v as (B, H, T, D) at any strides with unit stride along D: element (b, h, t, d) at base + ... + d. */
struct HeadView {
  const float* base = nullptr;
  int64_t sb = 0, sh = 0, st = 0;
  const float* at(int64_t b, int64_t h) const { return base + b * sb + h * sh; }
};

// The view of one operand: from its slot of the packed layouts argument (3 layouts, each [nd, offset, shape,
// strides]) when given, else the contiguous (B, H, T, D) of its storage.
HeadView headView(const char* op, const char* name, Buffer* buf, const std::vector<double>* enc, int slot,
                  int64_t B, int64_t H, int64_t T, int64_t D) {
  if (!enc) {
    const float* p = f32In(op, buf, B * H * T * D);
    return {p, H * T * D, T * D, D};
  }
  if (buf->released) throw OpError(std::string(op) + ": storage was released and cannot be used");
  if (buf->dtype != DType::F32) throw OpError(std::string(op) + ": expected float32 " + name + ", got " + dtypeName(buf->dtype));
  const size_t at = static_cast<size_t>(slot) * 10;
  if (enc->size() < at + 10 || (*enc)[at] != 4) throw OpError(std::string(op) + ": " + name + " layout must be 4-D (B, H, T, D)");
  Layout l;
  l.nd = 4;
  l.offset = static_cast<int64_t>((*enc)[at + 1]);
  for (int i = 0; i < 4; i++) {
    l.shape[i] = static_cast<int64_t>((*enc)[at + 2 + i]);
    l.strides[i] = static_cast<int64_t>((*enc)[at + 6 + i]);
  }
  const int64_t want[4] = {B, H, T, D};
  for (int i = 0; i < 4; i++)
    if (l.shape[i] != want[i]) throw OpError(std::string(op) + ": " + name + " layout " + l.shapeString() + " does not match the attention shape");
  if (D > 1 && l.strides[3] != 1) throw OpError(std::string(op) + ": " + name + " must have unit stride along D, got " + std::to_string(l.strides[3]));
  checkLayout(op, buf, l);
  return {buf->as<float>() + l.offset, l.strides[0], l.strides[1], l.strides[2]};
}

inline int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

}  // namespace

const AttentionOps& attentionOps() {
  switch (activeIsa()) {
#ifdef TESSERA_HAVE_AVX512
    case Isa::Avx512: return attentionOpsAvx512();
#endif
#ifdef TESSERA_HAVE_AVX2
    case Isa::Avx2: return attentionOpsAvx2();
#endif
    default: return attentionOpsGeneric();
  }
}

namespace {

// attention(q, k, v, B, H, Tq, Tk, D, mask|null, maskLayout|null, causal, scale, dropoutP, keepProbs,
//           layouts|null, outBthd) -> [out, probs|null, keep|null]
//   probs only when keepProbs (inference keeps nothing for the backward). layouts: q, k, v views (see headView).
//   outBthd: the output is written as (B, Tq, H, D) instead of (B, H, Tq, D).
// Per task (b, h, block of query rows): S = Q K^T on the GEMM micro-kernel (K^T and V packed once per task),
// scale + mask + max and exp + sum per row, O = exp(S) V, each output row scaled by 1 / sum. The scores
// live in a per-thread block; the (B, H, Tq, Tk) probabilities exist only when the backward needs them.
TESSERA_FN(attention) {
  const int64_t B = a.integer(3), H = a.integer(4), Tq = a.integer(5), Tk = a.integer(6), D = a.integer(7);
  std::vector<double> enc;
  const bool strided = a.count() > 14 && !a.isNullish(14);
  if (strided) enc = a.doubles(14);
  const HeadView q = headView("attention", "q", a.buffer(0), strided ? &enc : nullptr, 0, B, H, Tq, D);
  const HeadView k = headView("attention", "k", a.buffer(1), strided ? &enc : nullptr, 1, B, H, Tk, D);
  const HeadView v = headView("attention", "v", a.buffer(2), strided ? &enc : nullptr, 2, B, H, Tk, D);
  const bool outBthd = a.count() > 15 && !a.isNullish(15) && a.boolean(15);
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
  // the dropout mask of query row gi: one Philox draw per element of (B, H, Tq, Tk) in row-major order; the
  // kept scores of the first n keys are scaled by 1 / (1 - p), the others zeroed
  auto drawKeep = [&](int64_t bh, int64_t gi, float* row, int64_t n) {
    uint8_t* kp = keep + (bh * Tq + gi) * Tk;
    uint32_t r[4];
    int64_t blk = -1;
    for (int64_t j = 0; j < Tk; j++) {
      const int64_t g = (bh * Tq + gi) * Tk + j;
      if (g / 4 != blk) {
        blk = g / 4;
        Philox::block(key, c0 + blk, r);
      }
      kp[j] = (r[g % 4] >> 8) >= dropBelow ? 1 : 0;
      if (j < n) row[j] = kp[j] ? row[j] * keepScale : 0.0f;
    }
  };
  const AttentionOps& ao = attentionOps();
  const MicroKernel& mk = gemmKernel();
  const int64_t MR = mk.mr, NR = mk.nr, KC = std::max(mk.kc, 16);
  if (MR > 32) throw OpError("attention: micro-kernel tiles taller than 32 rows are not supported");
  // A panels of MR rows: full panels with the kernel's SIMD packer where it has one
  auto packPanels = [&](const float* x, int64_t ld, int64_t m, int64_t kc, float* dst) {
    const int64_t full = mk.packRows ? m / MR * MR : 0;
    for (int64_t i0 = 0; i0 < full; i0 += MR) mk.packRows(x + i0 * ld, ld, kc, dst + i0 * kc);
    if (full < m) ao.packA(x + full * ld, ld, m - full, kc, static_cast<int>(MR), dst + full * kc);
  };
  // query blocks: whole heads when there are enough (b, h) pairs to share out; causal blocks only compute
  // the keys their last row can see (about half the work)
  const int64_t small = roundUp(64, MR);
  const int64_t RB = std::max<int64_t>(1, causal || B * H < 4 * numThreads() ? std::min(Tq, small) : Tq);
  const int64_t nBlocks = Tq > 0 ? (Tq + RB - 1) / RB : 0;
  const int64_t ldS = roundUp(std::max<int64_t>(Tk, 1), NR), Dp = roundUp(D, NR), RBp = roundUp(RB, MR);
  const int64_t outRow = outBthd ? H * D : D;  // distance between query rows of one head in the output
  parallelForDynamic(B * H * nBlocks, 1, [&](int64_t t0, int64_t t1, int) {
    thread_local AlignedBuffer bufK, bufV, bufQ, bufS, bufP, bufO, bufI;
    float* Kp = bufK.get<float>(ldS * D);
    float* Vp = bufV.get<float>(Dp * std::max<int64_t>(Tk, 1));
    float* Qp = bufQ.get<float>(RBp * D);
    float* S = bufS.get<float>(RBp * ldS);
    float* Pp = bufP.get<float>(RBp * std::max<int64_t>(Tk, 1));
    float* O = bufO.get<float>(RBp * Dp);
    float* inv = bufI.get<float>(RBp);
    for (int64_t task = t0; task < t1; task++) {
      const int64_t bh = task / nBlocks, b = bh / H, h = bh % H;
      const int64_t r0 = (task % nBlocks) * RB, r1 = std::min(Tq, r0 + RB), rows = r1 - r0;
      const int64_t kv = causal ? std::clamp<int64_t>(r1 + shift, 0, Tk) : Tk;
      float* outBase = outBthd ? out + b * Tq * H * D + h * D : out + bh * Tq * D;
      if (kv == 0) {
        for (int64_t i = 0; i < rows; i++) std::fill(outBase + (r0 + i) * outRow, outBase + (r0 + i) * outRow + D, 0.0f);
        if (probs) std::fill(probs + (bh * Tq + r0) * Tk, probs + (bh * Tq + r1) * Tk, 0.0f);
        if (keep)
          for (int64_t gi = r0; gi < r1; gi++) drawKeep(bh, gi, nullptr, 0);
        continue;
      }
      const int64_t nk = (kv + NR - 1) / NR, rowPanels = (rows + MR - 1) / MR;
      ao.packRowsT(k.at(b, h), k.st, kv, D, static_cast<int>(NR), Kp);
      ao.packCols(v.at(b, h), v.st, kv, D, static_cast<int>(NR), Vp);
      packPanels(q.at(b, h) + r0 * q.st, q.st, rows, D, Qp);
      for (int64_t ip = 0; ip < rowPanels; ip++)
        for (int64_t jp = 0; jp < nk; jp++)
          for (int64_t d0 = 0; d0 < D; d0 += KC)
            mk.run(std::min(KC, D - d0), Qp + ip * D * MR + d0 * MR, Kp + jp * D * NR + d0 * NR, S + ip * MR * ldS + jp * NR, ldS, d0 > 0);
      for (int64_t i = 0; i < rows; i++) {
        float* row = S + i * ldS;
        const int64_t gi = r0 + i;
        const int64_t n = causal ? std::clamp<int64_t>(gi + shift + 1, 0, kv) : kv;
        const float* mr = mask.data ? mask.data + b * mask.strides[0] + h * mask.strides[1] + gi * mask.strides[2] : nullptr;
        const float mx = n > 0 ? ao.scoreRow(row, n, scale, mr, mask.strides[3]) : -INFINITY;
        float rinv = 0.0f;
        if (mx == -INFINITY) {
          std::fill(row, row + kv, 0.0f);
        } else {
          rinv = 1.0f / ao.expRow(row, n, mx);
          std::fill(row + n, row + kv, 0.0f);
        }
        if (probs) {
          float* pr = probs + (bh * Tq + gi) * Tk;
          ao.scaleRow(row, pr, kv, rinv);
          std::fill(pr + kv, pr + Tk, 0.0f);
        }
        if (keep) drawKeep(bh, gi, row, kv);
        inv[i] = rinv;
      }
      packPanels(S, ldS, rows, kv, Pp);
      for (int64_t ip = 0; ip < rowPanels; ip++)
        for (int64_t jp = 0; jp < Dp / NR; jp++)
          for (int64_t k0 = 0; k0 < kv; k0 += KC)
            mk.run(std::min(KC, kv - k0), Pp + ip * kv * MR + k0 * MR, Vp + jp * kv * NR + k0 * NR, O + ip * MR * Dp + jp * NR, Dp, k0 > 0);
      for (int64_t i = 0; i < rows; i++) ao.scaleRow(O + i * Dp, outBase + (r0 + i) * outRow, D, inv[i]);
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

// attentionBackward(q, k, v, B, H, Tq, Tk, D, probs, keep|null, dropoutP, scale, dout, causal, layouts|null)
//   -> [dq, dk, dv], all contiguous (B, H, T, D); dout contiguous (B, H, Tq, D); layouts as in attention.
TESSERA_FN(attentionBackward) {
  const int64_t B = a.integer(3), H = a.integer(4), Tq = a.integer(5), Tk = a.integer(6), D = a.integer(7);
  std::vector<double> enc;
  const bool strided = a.count() > 14 && !a.isNullish(14);
  if (strided) enc = a.doubles(14);
  const HeadView qv = headView("attentionBackward", "q", a.buffer(0), strided ? &enc : nullptr, 0, B, H, Tq, D);
  const HeadView kvw = headView("attentionBackward", "k", a.buffer(1), strided ? &enc : nullptr, 1, B, H, Tk, D);
  const HeadView vv = headView("attentionBackward", "v", a.buffer(2), strided ? &enc : nullptr, 2, B, H, Tk, D);
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
      const int64_t b = bh / H, h = bh % H;
      const float* Q = qv.at(b, h);
      const float* K = kvw.at(b, h);
      const float* V = vv.at(b, h);
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
          GemmArgs gp{rows, kv, D, dO + r0 * D, D, 1, V, 1, vv.st, dpb, nullptr, Act::None, Tk};
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
          GemmArgs gq{rows, D, kv, dpb, Tk, 1, K, kvw.st, 1, dQ, nullptr, Act::None, D};
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
        GemmArgs gk{cols, D, Tq - q0, dp + q0 * Tk + c0, 1, Tk, Q + q0 * qv.st, qv.st, 1, dK, nullptr, Act::None, D};
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
