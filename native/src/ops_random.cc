// The cpu device's seeded generator (Philox4x32-10) and uniform / normal draws, threaded by counter ranges:
// the same seed gives the same numbers whatever the thread count.
#include <cmath>

#include "napi_util.h"
#include "ops.h"
#include "philox.h"

namespace tessera {

Philox& generator() {
  static Philox g{{0, 0}, 0};
  return g;
}

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void seed(uint64_t s) {
  const uint64_t k = splitmix64(s);
  Philox& g = generator();
  g.key[0] = static_cast<uint32_t>(k);
  g.key[1] = static_cast<uint32_t>(k >> 32);
  g.counter = 0;
}

TESSERA_FN(manualSeed) {
  const double s = a.number(0);
  seed(static_cast<uint64_t>(static_cast<int64_t>(s)));
  return napi::undefinedValue(a.env);
}

// random(kind, n, a, b): kind 0 uniform [a, b), 1 normal N(a, b^2)
TESSERA_FN(random) {
  const int kind = static_cast<int>(a.integer(0));
  const int64_t n = a.integer(1);
  const double lo = a.number(2), hi = a.number(3);
  Buffer* out = allocBuffer(DType::F32, n, false);
  float* o = out->as<float>();
  Philox& g = generator();
  const uint32_t key[2] = {g.key[0], g.key[1]};
  const uint64_t c0 = g.counter;
  if (kind == 0) {
    const int64_t blocks = (n + 3) / 4;
    const double w = hi - lo;
    parallelFor(blocks, 4096, [&](int64_t b0, int64_t b1, int) {
      uint32_t r[4];
      for (int64_t b = b0; b < b1; b++) {
        Philox::block(key, c0 + b, r);
        for (int k = 0; k < 4 && b * 4 + k < n; k++) o[b * 4 + k] = static_cast<float>(lo + w * Philox::unit(r[k]));
      }
    });
    g.counter += blocks;
  } else {
    // Box-Muller on word pairs: each block gives 4 normals
    const int64_t blocks = (n + 3) / 4;
    parallelFor(blocks, 2048, [&](int64_t b0, int64_t b1, int) {
      uint32_t r[4];
      for (int64_t b = b0; b < b1; b++) {
        Philox::block(key, c0 + b, r);
        for (int pair = 0; pair < 2; pair++) {
          const double u1 = 1.0 - Philox::unit(r[2 * pair]);  // (0, 1]
          const double u2 = Philox::unit(r[2 * pair + 1]);
          const double rad = std::sqrt(-2.0 * std::log(u1));
          const int64_t i = b * 4 + pair * 2;
          if (i < n) o[i] = static_cast<float>(lo + hi * rad * std::cos(2 * M_PI * u2));
          if (i + 1 < n) o[i + 1] = static_cast<float>(lo + hi * rad * std::sin(2 * M_PI * u2));
        }
      }
    });
    g.counter += blocks;
  }
  return napi::wrap(a.env, out);
}

// state: [key0, key1, counterLow, counterHigh] as unsigned 32-bit numbers
TESSERA_FN(getRngState) {
  const Philox& g = generator();
  napi_value arr;
  napi_create_array_with_length(a.env, 4, &arr);
  const double words[4] = {static_cast<double>(g.key[0]), static_cast<double>(g.key[1]),
                           static_cast<double>(static_cast<uint32_t>(g.counter)), static_cast<double>(static_cast<uint32_t>(g.counter >> 32))};
  for (uint32_t i = 0; i < 4; i++) napi_set_element(a.env, arr, i, napi::makeNumber(a.env, words[i]));
  return arr;
}

TESSERA_FN(setRngState) {
  const std::vector<double> s = a.doubles(0);
  if (s.size() != 4) throw OpError("setRngState: the cpu generator state has 4 words, got " + std::to_string(s.size()));
  for (double w : s)
    if (!(w >= 0 && w <= 4294967295.0) || w != std::floor(w)) throw OpError("setRngState: state words must be unsigned 32-bit integers");
  Philox& g = generator();
  g.key[0] = static_cast<uint32_t>(s[0]);
  g.key[1] = static_cast<uint32_t>(s[1]);
  g.counter = static_cast<uint64_t>(static_cast<uint32_t>(s[2])) | (static_cast<uint64_t>(static_cast<uint32_t>(s[3])) << 32);
  return napi::undefinedValue(a.env);
}

}  // namespace

void initRandomOps(napi_env env, napi_value exports) {
  seed(0);
  napi::exportFunction(env, exports, "manualSeed", manualSeed);
  napi::exportFunction(env, exports, "random", random);
  napi::exportFunction(env, exports, "getRngState", getRngState);
  napi::exportFunction(env, exports, "setRngState", setRngState);
}

}  // namespace tessera
