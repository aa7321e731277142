// Convolution helpers: unfold (im2col) and fold (col2im, its adjoint) over (B, C, H, W) float32, zero padding.
#include <vector>

#include "napi_util.h"
#include "ops.h"

namespace tessera {
namespace {

struct ConvGeom {
  int64_t B, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo;
};

ConvGeom geometry(const char* op, const int64_t* shape, const std::vector<double>& k, const std::vector<double>& s, const std::vector<double>& p) {
  if (k.size() != 2 || s.size() != 2 || p.size() != 2) throw OpError(std::string(op) + ": kernel, stride and padding need 2 values each");
  ConvGeom g{shape[0], shape[1], shape[2], shape[3],
             static_cast<int64_t>(k[0]), static_cast<int64_t>(k[1]), static_cast<int64_t>(s[0]), static_cast<int64_t>(s[1]),
             static_cast<int64_t>(p[0]), static_cast<int64_t>(p[1]), 0, 0};
  if (g.sh <= 0 || g.sw <= 0) throw OpError(std::string(op) + ": stride must be positive");
  g.Ho = (g.H + 2 * g.ph - g.kh) / g.sh + 1;
  g.Wo = (g.W + 2 * g.pw - g.kw) / g.sw + 1;
  if (g.Ho <= 0 || g.Wo <= 0) throw OpError(std::string(op) + ": kernel larger than the padded input");
  return g;
}

TESSERA_FN(unfold) {
  Buffer* x = a.buffer(0);
  const Layout l = a.layout(1);
  checkLayout("unfold", x, l);
  if (l.nd != 4 || x->dtype != DType::F32) throw OpError("unfold: expected a float32 (B, C, H, W) input, got " + l.shapeString());
  const ConvGeom g = geometry("unfold", l.shape, a.doubles(2), a.doubles(3), a.doubles(4));
  const int64_t L = g.Ho * g.Wo;
  Buffer* out = allocBuffer(DType::F32, g.B * g.C * g.kh * g.kw * L, true);
  const float* X = x->as<float>() + l.offset;
  float* O = out->as<float>();
  parallelFor(g.B * g.C, 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t b = t / g.C, c = t % g.C;
      const float* xc = X + b * l.strides[0] + c * l.strides[1];
      for (int64_t i = 0; i < g.kh; i++)
        for (int64_t j = 0; j < g.kw; j++) {
          float* row = O + ((t * g.kh + i) * g.kw + j) * L;
          for (int64_t oy = 0; oy < g.Ho; oy++) {
            const int64_t y = oy * g.sh - g.ph + i;
            if (y < 0 || y >= g.H) continue;
            const float* xr = xc + y * l.strides[2];
            for (int64_t ox = 0; ox < g.Wo; ox++) {
              const int64_t xx = ox * g.sw - g.pw + j;
              if (xx >= 0 && xx < g.W) row[oy * g.Wo + ox] = xr[xx * l.strides[3]];
            }
          }
        }
    }
  });
  return napi::wrap(a.env, out);
}

TESSERA_FN(fold) {
  Buffer* cols = a.buffer(0);
  checkLive("fold", cols);
  const std::vector<double> shp = a.doubles(1);
  if (shp.size() != 4 || cols->dtype != DType::F32) throw OpError("fold: expected float32 columns and a (B, C, H, W) shape");
  const int64_t shape[4] = {static_cast<int64_t>(shp[0]), static_cast<int64_t>(shp[1]), static_cast<int64_t>(shp[2]), static_cast<int64_t>(shp[3])};
  const ConvGeom g = geometry("fold", shape, a.doubles(2), a.doubles(3), a.doubles(4));
  const int64_t L = g.Ho * g.Wo;
  if (cols->length < g.B * g.C * g.kh * g.kw * L) throw OpError("fold: columns hold " + std::to_string(cols->length) + " values, expected " + std::to_string(g.B * g.C * g.kh * g.kw * L));
  Buffer* out = allocBuffer(DType::F32, g.B * g.C * g.H * g.W, true);
  const float* Cc = cols->as<float>();
  float* O = out->as<float>();
  parallelFor(g.B * g.C, 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; t++) {
      float* oc = O + t * g.H * g.W;
      for (int64_t i = 0; i < g.kh; i++)
        for (int64_t j = 0; j < g.kw; j++) {
          const float* row = Cc + ((t * g.kh + i) * g.kw + j) * L;
          for (int64_t oy = 0; oy < g.Ho; oy++) {
            const int64_t y = oy * g.sh - g.ph + i;
            if (y < 0 || y >= g.H) continue;
            for (int64_t ox = 0; ox < g.Wo; ox++) {
              const int64_t xx = ox * g.sw - g.pw + j;
              if (xx >= 0 && xx < g.W) oc[y * g.W + xx] += row[oy * g.Wo + ox];
            }
          }
        }
    }
  });
  return napi::wrap(a.env, out);
}

}  // namespace

void initConvOps(napi_env env, napi_value exports) {
  napi::exportFunction(env, exports, "unfold", unfold);
  napi::exportFunction(env, exports, "fold", fold);
}

}  // namespace tessera
