// Per-ISA tables of the float32 inner loops (rows of contiguous or strided data). The same source,
// vec_kernels.inc, is compiled once per instruction set (vec_avx512.cc, vec_avx2.cc, vec_generic.cc) and
// vecOps() picks the table of the active ISA.
#pragma once
#include <cstdint>

namespace tessera {

struct VecOps {
  /** c[j] = act(c[j] + bias[j]) over n values (bias may be null); act is an Act code. */
  void (*biasAct)(float* c, int64_t n, const float* bias, int act);
};

const VecOps& vecOpsAvx512();
const VecOps& vecOpsAvx2();
const VecOps& vecOpsGeneric();
const VecOps& vecOps();

}  // namespace tessera
