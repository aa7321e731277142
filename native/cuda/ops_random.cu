// The device generator: a seed and a Philox counter per device. random() draws uniform or normal
// float32 values; the state (seed, counter) round-trips through getRngState/setRngState exactly.
#include "napi_glue.h"
#include "ops.h"
#include "philox.cuh"

namespace tcuda {

namespace {

__global__ void randomKernel(float* out, int64_t n, uint64_t seed, uint64_t offset, int normal, float a, float b) {
  const int64_t blocks = (n + 3) / 4;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < blocks; k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const U4 r = philox4x32_10(offset + static_cast<uint64_t>(k), seed);
    float v[4];
    if (normal) {
      // Box-Muller on two pairs; 1 - u keeps the log argument in (0, 1]
      const float u1 = 1.f - uniform24(r.x), u2 = uniform24(r.y), u3 = 1.f - uniform24(r.z), u4 = uniform24(r.w);
      const float r1 = sqrtf(-2.f * logf(u1)), r2 = sqrtf(-2.f * logf(u3));
      float s1, c1, s2, c2;
      sincospif(2.f * u2, &s1, &c1);
      sincospif(2.f * u4, &s2, &c2);
      v[0] = a + b * r1 * c1;
      v[1] = a + b * r1 * s1;
      v[2] = a + b * r2 * c2;
      v[3] = a + b * r2 * s2;
    } else {
      const float w = b - a;
      v[0] = a + w * uniform24(r.x);
      v[1] = a + w * uniform24(r.y);
      v[2] = a + w * uniform24(r.z);
      v[3] = a + w * uniform24(r.w);
    }
    const int64_t base = k * 4;
#pragma unroll
    for (int j = 0; j < 4; j++)
      if (base + j < n) out[base + j] = v[j];
  }
}

}  // namespace

uint64_t reserveRandom(Context& c, uint64_t blocks) {
  const uint64_t start = c.offset;
  c.offset += blocks;
  return start;
}

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

static uint64_t seedOf(double s) {
  if (!(s >= 0)) return static_cast<uint64_t>(static_cast<int64_t>(s));
  return static_cast<uint64_t>(s);
}

// manualSeed(dev, seed)
TCUDA_FN(manualSeed) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  c.seed = seedOf(a.number(1));
  c.offset = 0;
  return napi::undefinedValue(a.env);
}

// random(dev, kind 0 uniform | 1 normal, length, a, b) -> float32
TCUDA_FN(random) {
  const int dev = static_cast<int>(a.integer(0));
  Context& c = useDevice(dev);
  const int normal = static_cast<int>(a.integer(1));
  const int64_t n = a.integer(2);
  Owned out(allocBuffer(dev, DType::F32, n, false));
  if (n > 0) {
    const uint64_t blocks = static_cast<uint64_t>((n + 3) / 4);
    const uint64_t off = reserveRandom(c, blocks);
    randomKernel<<<blocksFor(static_cast<int64_t>(blocks), 256), 256, 0, c.stream>>>(out->as<float>(), n, c.seed, off, normal,
                                                                                      static_cast<float>(a.number(3)), static_cast<float>(a.number(4)));
    afterLaunch("random");
  }
  return napi::wrapOwned(a.env, out);
}

// getRngState(dev) -> [seedLo, seedHi, offsetLo, offsetHi]
TCUDA_FN(getRngState) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  return napi::makeArray(a.env, {napi::makeNumber(a.env, static_cast<double>(c.seed & 0xffffffffu)),
                                 napi::makeNumber(a.env, static_cast<double>(c.seed >> 32)),
                                 napi::makeNumber(a.env, static_cast<double>(c.offset & 0xffffffffu)),
                                 napi::makeNumber(a.env, static_cast<double>(c.offset >> 32))});
}

// setRngState(dev, Float64Array [seedLo, seedHi, offsetLo, offsetHi])
TCUDA_FN(setRngState) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  const std::vector<double> s = a.doubles(1);
  if (s.size() != 4) throw OpError("setRngState: the cuda generator state has 4 words, got " + std::to_string(s.size()));
  c.seed = (static_cast<uint64_t>(s[1]) << 32) | static_cast<uint64_t>(s[0]);
  c.offset = (static_cast<uint64_t>(s[3]) << 32) | static_cast<uint64_t>(s[2]);
  return napi::undefinedValue(a.env);
}
