// Run-time CPU feature detection: which SIMD instruction set the kernels dispatch to.
#pragma once
#include <string>

namespace tessera {

enum class Isa { Generic = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  bool avx2Fma;
  bool avx512f;
  bool avx512bf16;
};

const CpuFeatures& cpuFeatures();
/** The instruction set kernels use now: the best the CPU has, or what setIsa / TESSERA_ISA chose (never above it). */
Isa activeIsa();
/** Picks 'avx512', 'avx2' or 'generic'; returns false when the CPU lacks it. */
bool setIsa(const std::string& name);
const char* isaName(Isa isa);

}  // namespace tessera
