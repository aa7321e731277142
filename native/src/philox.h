// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
// generator, so element i of a draw depends only on (key, counter + i / 4) and any thread can make any slice.
#pragma once
#include <cstdint>

namespace tessera {

struct Philox {
  uint32_t key[2];
  uint64_t counter;  // in blocks of 4 words

  /** The 4 words of block `c`. */
  static void block(const uint32_t k[2], uint64_t c, uint32_t out[4]) {
    uint32_t x0 = static_cast<uint32_t>(c), x1 = static_cast<uint32_t>(c >> 32), x2 = 0, x3 = 0;
    uint32_t k0 = k[0], k1 = k[1];
    for (int r = 0; r < 10; r++) {
      const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * x0;
      const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * x2;
      const uint32_t y0 = static_cast<uint32_t>(p1 >> 32) ^ x1 ^ k0;
      const uint32_t y2 = static_cast<uint32_t>(p0 >> 32) ^ x3 ^ k1;
      x1 = static_cast<uint32_t>(p1);
      x3 = static_cast<uint32_t>(p0);
      x0 = y0;
      x2 = y2;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
  }

  /** Uniform in [0, 1) from the top 24 bits (exact in float32). */
  static float unit(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }
};

/** The device generator; its counter advances by the blocks each draw uses. */
Philox& generator();

}  // namespace tessera
