// The float32 inner loops compiled for avx2 (see vec_kernels.inc; the build sets this file's ISA flags).
#define TESSERA_VEC_NS vec_avx2
#define TESSERA_VEC_GETTER vecOpsAvx2
#include "vec_kernels.inc"
