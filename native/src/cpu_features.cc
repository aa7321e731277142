// CPU feature detection through the compiler's cpuid builtins, plus a TESSERA_ISA override (for testing
// every kernel path on one machine).
#include "cpu_features.h"

#include <cstdlib>

namespace tessera {

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures f = [] {
    CpuFeatures c{false, false, false};
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    c.avx2Fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    c.avx512f = c.avx2Fma && __builtin_cpu_supports("avx512f");
    c.avx512bf16 = c.avx512f && __builtin_cpu_supports("avx512bf16");
#endif
    return c;
  }();
  return f;
}

namespace {
Isa bestIsa() {
  const CpuFeatures& f = cpuFeatures();
#ifdef TESSERA_HAVE_AVX512
  if (f.avx512f) return Isa::Avx512;
#endif
#ifdef TESSERA_HAVE_AVX2
  if (f.avx2Fma) return Isa::Avx2;
#endif
  (void)f;
  return Isa::Generic;
}

bool parseIsa(const std::string& name, Isa* out) {
  if (name == "avx512") *out = Isa::Avx512;
  else if (name == "avx2") *out = Isa::Avx2;
  else if (name == "generic") *out = Isa::Generic;
  else return false;
  return static_cast<int>(*out) <= static_cast<int>(bestIsa());
}

Isa& current() {
  static Isa isa = [] {
    Isa best = bestIsa(), chosen;
    const char* env = std::getenv("TESSERA_ISA");
    if (env && parseIsa(env, &chosen)) return chosen;
    return best;
  }();
  return isa;
}
}  // namespace

Isa activeIsa() { return current(); }

bool setIsa(const std::string& name) {
  Isa isa;
  if (!parseIsa(name, &isa)) return false;
  current() = isa;
  return true;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "generic";
  }
}

}  // namespace tessera
