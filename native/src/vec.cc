// Picks the per-ISA table of inner loops for the active instruction set.
#include "vec.h"

#include "cpu_features.h"

namespace tessera {

const VecOps& vecOps() {
  switch (activeIsa()) {
#ifdef TESSERA_HAVE_AVX512
    case Isa::Avx512: return vecOpsAvx512();
#endif
#ifdef TESSERA_HAVE_AVX2
    case Isa::Avx2: return vecOpsAvx2();
#endif
    default: return vecOpsGeneric();
  }
}

}  // namespace tessera
