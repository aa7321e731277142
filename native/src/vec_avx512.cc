// The float32 inner loops compiled for avx512 (see vec_kernels.inc; the build sets this file's ISA flags).
#define TESSERA_VEC_NS vec_avx512
#define TESSERA_VEC_GETTER vecOpsAvx512
#include "vec_kernels.inc"
