// defines: philox4x32_10, the counter-based generator behind every random draw of the cuda device
// (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC 2011): a (seed, counter) pair gives
// four 32-bit words, so any element's draw can be recomputed (attention dropout in forward and backward).
#pragma once
#include <cstdint>

namespace tcuda {

struct U4 {
  uint32_t x, y, z, w;
};

__host__ __device__ __forceinline__ U4 philox4x32_10(uint64_t counter, uint64_t seed) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
#pragma unroll
  for (int r = 0; r < 10; r++) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return U4{c0, c1, c2, c3};
}

/** Uniform in [0, 1) from 24 random bits (every value exact in float32). */
__host__ __device__ __forceinline__ float uniform24(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }

/** The uniform draw of element e of a stream that started at Philox block `offset`. */
__device__ __forceinline__ float uniformAt(uint64_t seed, uint64_t offset, uint64_t e) {
  const U4 r = philox4x32_10(offset + (e >> 2), seed);
  const uint32_t k = static_cast<uint32_t>(e & 3);
  return uniform24(k == 0 ? r.x : k == 1 ? r.y : k == 2 ? r.z : r.w);
}

}  // namespace tcuda
