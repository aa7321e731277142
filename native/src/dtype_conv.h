// Element types as C++ types and the casts between them, matching Tessera's host conversions
// (src/tensor/dtype.ts): halves round to nearest even through float32, float -> int truncates and wraps
// like a JS typed-array store, bool is "!= 0".
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "storage.h"

namespace tessera {

struct f16_t { uint16_t bits; };
struct bf16_t { uint16_t bits; };
struct bool_t { uint8_t v; };

inline uint32_t floatBits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bitsFloat(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline uint16_t floatToBf16(float x) {
  const uint32_t b = floatBits(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>(((b >> 16) | 0x40) & 0xffff);
  return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}
inline float bf16ToFloat(uint16_t h) { return bitsFloat(static_cast<uint32_t>(h) << 16); }

inline uint16_t floatToF16(float x) {
  const uint32_t bits = floatBits(x);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const int32_t exp = static_cast<int32_t>((bits >> 23) & 0xff);
  uint32_t mant = bits & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));
  const int32_t e = exp - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const int shift = 14 - e;
    const uint32_t half = 1u << (shift - 1);
    uint32_t m = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    if (rem > half || (rem == half && (m & 1u))) m++;
    return static_cast<uint16_t>(sign | m);
  }
  const uint32_t m = mant >> 13;
  const uint32_t rem = mant & 0x1fffu;
  uint32_t out = sign | (static_cast<uint32_t>(e) << 10) | m;
  if (rem > 0x1000u || (rem == 0x1000u && (m & 1u))) out++;
  return static_cast<uint16_t>(out);
}

inline float f16ToFloat(uint16_t h) {
  const float sign = (h & 0x8000) ? -1.0f : 1.0f;
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  if (exp == 0) return sign * static_cast<float>(mant) * 5.9604644775390625e-8f;
  if (exp == 0x1f) return mant ? NAN : sign * INFINITY;
  return sign * std::ldexp(1.0f + static_cast<float>(mant) / 1024.0f, exp - 15);
}

/** JS ToInt32 / ToUint8 of Math.trunc(d): NaN and infinities give 0, other values wrap. */
inline int64_t wrapTrunc(double d, double modulus) {
  if (!std::isfinite(d)) return 0;
  double m = std::fmod(std::trunc(d), modulus);
  if (m < 0) m += modulus;
  return static_cast<int64_t>(m);
}

inline double toDouble(float v) { return v; }
inline double toDouble(f16_t v) { return f16ToFloat(v.bits); }
inline double toDouble(bf16_t v) { return bf16ToFloat(v.bits); }
inline double toDouble(int32_t v) { return v; }
inline double toDouble(int64_t v) { return static_cast<double>(v); }
inline double toDouble(uint8_t v) { return v; }
inline double toDouble(bool_t v) { return v.v; }

template <typename T> T fromDouble(double d);
template <> inline float fromDouble<float>(double d) { return static_cast<float>(d); }
template <> inline f16_t fromDouble<f16_t>(double d) { return f16_t{floatToF16(static_cast<float>(d))}; }
template <> inline bf16_t fromDouble<bf16_t>(double d) { return bf16_t{floatToBf16(static_cast<float>(d))}; }
template <> inline int32_t fromDouble<int32_t>(double d) {
  if (d > -2147483648.0 && d < 2147483648.0) return static_cast<int32_t>(d);
  return static_cast<int32_t>(static_cast<uint32_t>(wrapTrunc(d, 4294967296.0)));
}
template <> inline int64_t fromDouble<int64_t>(double d) {
  if (!std::isfinite(d)) return 0;
  return static_cast<int64_t>(std::trunc(d));
}
template <> inline uint8_t fromDouble<uint8_t>(double d) {
  if (d >= 0 && d < 256.0) return static_cast<uint8_t>(d);
  return static_cast<uint8_t>(wrapTrunc(d, 256.0));
}
template <> inline bool_t fromDouble<bool_t>(double d) { return bool_t{static_cast<uint8_t>(d != 0 ? 1 : 0)}; }

/** Cast between element types (through double, except the exact same type and the f32 <-> half fast paths). */
template <typename D, typename S> inline D castTo(S v) { return fromDouble<D>(toDouble(v)); }
template <> inline float castTo<float, float>(float v) { return v; }
template <> inline bf16_t castTo<bf16_t, float>(float v) { return bf16_t{floatToBf16(v)}; }
template <> inline float castTo<float, bf16_t>(bf16_t v) { return bf16ToFloat(v.bits); }
template <> inline f16_t castTo<f16_t, float>(float v) { return f16_t{floatToF16(v)}; }
template <> inline float castTo<float, f16_t>(f16_t v) { return f16ToFloat(v.bits); }

/** Runs BODY with T bound to the C++ type of the dtype. */
#define TESSERA_DISPATCH(dtype, T, ...)                        \
  switch (dtype) {                                             \
    case ::tessera::DType::F32: { using T = float; __VA_ARGS__; break; }    \
    case ::tessera::DType::F16: { using T = ::tessera::f16_t; __VA_ARGS__; break; }  \
    case ::tessera::DType::BF16: { using T = ::tessera::bf16_t; __VA_ARGS__; break; } \
    case ::tessera::DType::I32: { using T = int32_t; __VA_ARGS__; break; }  \
    case ::tessera::DType::I64: { using T = int64_t; __VA_ARGS__; break; }  \
    case ::tessera::DType::U8: { using T = uint8_t; __VA_ARGS__; break; }   \
    case ::tessera::DType::Bool: { using T = ::tessera::bool_t; __VA_ARGS__; break; } \
  }

}  // namespace tessera
