// The float32 inner loops compiled for generic (see vec_kernels.inc; the build sets this file's ISA flags).
#define TESSERA_VEC_NS vec_generic
#define TESSERA_VEC_GETTER vecOpsGeneric
#include "vec_kernels.inc"
