// Vectorisable float math (exp, log, tanh, erf, sigmoid, GELU) in plain C++: branch-free selects the compiler
// turns into SIMD blends, so loops calling these auto-vectorise in each per-ISA kernel file.
// Accuracy: exp/log within ~2 ulp (Cephes-style polynomials), erf within 1.5e-7 absolute
// (Abramowitz & Stegun 7.1.26), tanh within ~5e-7 relative; the GELUs use cheaper forms of their own
// (a rational erf, x sigmoid(2u)) at similar accuracy, so a matmul epilogue applies them at memory speed.
#pragma once
#include <bit>
#include <cstdint>

namespace tessera::vm {

inline float asFloat(int32_t i) { return std::bit_cast<float>(i); }
inline int32_t asInt(float f) { return std::bit_cast<int32_t>(f); }

inline float absf(float x) { return asFloat(asInt(x) & 0x7fffffff); }
inline float copysignf(float mag, float sign) {
  return asFloat((asInt(mag) & 0x7fffffff) | (asInt(sign) & static_cast<int32_t>(0x80000000u)));
}

/** Round to nearest even for |x| < 2^22 (adding 1.5 * 2^23 pushes the fraction out), a form that vectorises. */
inline float roundNearest(float x) { return (x + 12582912.0f) - 12582912.0f; }

/** Round half to even for any float (values of 2^23 and above are already integers). */
inline float roundEven(float x) { return absf(x) < 8388608.0f ? copysignf(roundNearest(absf(x)), x) : x; }

/** e^r on [-ln2/2, ln2/2] given x = n ln2 + r: Cephes' polynomial, the reduction split in two parts of ln2. */
inline float expReduced(float x, float n) {
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * r * r + r + 1.0f;
}

inline float expf(float x) {
  const float xc = x > 88.72283f ? 88.72283f : (x < -87.33654f ? -87.33654f : x);
  const float n = roundNearest(xc * 1.44269504088896341f);
  const float p = expReduced(xc, n);
  // 2^n as two factors so n = 128 (x near ln FLT_MAX) does not overflow the exponent field
  const int32_t ni = static_cast<int32_t>(n), n1 = ni >> 1, n2 = ni - n1;
  float y = p * asFloat((n1 + 127) << 23) * asFloat((n2 + 127) << 23);
  y = x > 88.72283f ? __builtin_inff() : y;
  // results below FLT_MIN flush to 0 (an absolute error under 1.2e-38)
  y = x < -87.33654f ? 0.0f : y;
  return x != x ? x : y;
}

inline float logf(float x) {
  // x = m * 2^e, m in [sqrt(1/2), sqrt(2))
  const int32_t bits = asInt(x);
  int32_t e = ((bits >> 23) & 0xff) - 126;
  float m = asFloat((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  const bool small = m < 0.707106781186547524f;
  e = small ? e - 1 : e;
  m = small ? m + m - 1.0f : m - 1.0f;
  const float fe = static_cast<float>(e);
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y += fe * -2.12194440e-4f;
  y += -0.5f * z;
  float r = m + y + fe * 0.693359375f;
  r = x == __builtin_inff() ? x : r;
  r = x == 0.0f ? -__builtin_inff() : r;
  r = ((x < 0.0f) | (x != x)) ? __builtin_nanf("") : r;
  return r;
}


inline float tanhf(float x) {
  const float a = absf(x);
  // small |x|: odd Taylor series (error < 1e-10 for |x| < 0.25)
  const float z = x * x;
  float s = 2.1869488536155202e-2f;  // 62/2835
  s = s * z - 5.3968253968253968e-2f;  // -17/315
  s = s * z + 1.3333333333333333e-1f;  // 2/15
  s = s * z - 3.3333333333333333e-1f;  // -1/3
  const float small = x + x * z * s;
  const float e = expf(a > 9.0f ? 18.0f : a + a);
  const float big = copysignf(1.0f - 2.0f / (e + 1.0f), x);
  const float r = a < 0.25f ? small : big;
  return x != x ? x : r;
}

inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

inline float erff(float x) {
  const float a = absf(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.0f - p * t * expf(-a * a);
  // small |x|: Taylor series keeps relative accuracy where 1 - (...) would cancel
  const float z = x * x;
  float s = -1.0f / 1320.0f;
  s = s * z + 1.0f / 216.0f;
  s = s * z - 1.0f / 42.0f;
  s = s * z + 0.1f;
  s = s * z - 1.0f / 3.0f;
  s = s * z + 1.0f;
  const float small = 1.12837916709551257f * x * s;
  return x != x ? x : (a < 0.5f ? small : copysignf(y, x));
}

/**
 * erf as an odd rational function, erf(y) = y P(y^2) / Q(y^2) on |y| <= 3.92 (where erf rounds to +-1 in
 * float), +-1 beyond: one division, no exp, no branches (selects). Coefficients: a weighted least-squares
 * (Lawson) fit of erf(y)/y for relative error, rounded to float one coefficient at a time with the rest
 * refitted. Error in float arithmetic: within 3.3e-7 relative (2-3 ulp), for every y.
 */
inline float erfRational(float y) {
  const float z = y * y;
  float p = -1.2794423e-08f;
  p = p * z + 4.6081404e-06f;
  p = p * z + 3.7671990e-04f;
  p = p * z + 3.8386167e-03f;
  p = p * z + 5.4243427e-02f;
  p = p * z + 1.8513818e-01f;
  p = p * z + 1.1283792f;
  float q = 6.2388746e-05f;
  q = q * z + 1.3014706e-03f;
  q = q * z + 1.5429905e-02f;
  q = q * z + 1.1387412e-01f;
  q = q * z + 4.9740785e-01f;
  q = q * z + 1.0f;
  // beyond the fitted range exactly +-1 (gelu(x) of a large negative x is then 0, not x times the fit's
  // last bit); there P and Q may overflow, but their lanes are discarded
  return y > 3.92f ? 1.0f : (y < -3.92f ? -1.0f : y * p / q);
}

/** GELU, erf form (HF "gelu"): x Phi(x) = x/2 (1 + erf(x / sqrt 2)); within 2e-7 relative for x >= 0 and
 * 2e-7 |x| absolute below (where 1 + erf cancels, as in every float formulation of this form). */
inline float gelu(float x) {
  const float h = 0.5f * x;
  return h + h * erfRational(x * 0.70710678118654752f);
}

/**
 * e^w for w <= 0 (NaN for NaN): w clamped at -87 (e^-87 = 1.6e-38, the smallest normal range), then as
 * expf. The clamp is an integer minimum on the bit pattern (negative floats order like their bits as
 * signed integers, reversed), a form compilers keep as one vector instruction rather than a select they
 * might push through the caller's arithmetic.
 */
inline float expNonPositive(float w) {
  const int32_t lo = asInt(-87.0f), bits = asInt(w);
  const float wc = asFloat(bits < lo ? bits : lo);
  const float n = roundNearest(wc * 1.44269504088896341f);
  return expReduced(wc, n) * asFloat((static_cast<int32_t>(n) + 127) << 23);
}

/**
 * GELU, tanh form (HF "gelu_new"): x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed as the
 * identical x sigmoid(2u) with e = e^(-2|u|) in (0, 1]: x / (1 + e) for x >= 0, x e / (1 + e) below. One
 * exp, one division, no overflow and no cancellation, so within a few ulp relative everywhere.
 */
inline float geluTanh(float x) {
  const float a = -2.0f * 0.79788456080286536f, b = a * 0.044715f;
  const float e = expNonPositive(absf(x) * (a + b * (x * x)));
  return (x >= 0.0f ? x : x * e) / (1.0f + e);
}
inline float geluGrad(float x) {
  const float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
  const float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
  return cdf + x * pdf;
}
inline float geluTanhGrad(float x) {
  const float k = 0.79788456080286536f;
  const float u = k * (x + 0.044715f * x * x * x);
  const float t = tanhf(u);
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * k * (1.0f + 3.0f * 0.044715f * x * x);
}

}  // namespace tessera::vm
