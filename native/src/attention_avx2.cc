// The attention inner loops compiled for avx2 (see attention_kernels.inc; the build sets this file's ISA flags).
#define TESSERA_ATTN_NS attention_avx2
#define TESSERA_ATTN_GETTER attentionOpsAvx2
#include "attention_kernels.inc"
