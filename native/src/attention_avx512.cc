// The attention inner loops compiled for avx512 (see attention_kernels.inc; the build sets this file's ISA flags).
#define TESSERA_ATTN_NS attention_avx512
#define TESSERA_ATTN_GETTER attentionOpsAvx512
#include "attention_kernels.inc"
