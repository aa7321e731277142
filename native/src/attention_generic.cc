// The attention inner loops compiled for the baseline ISA (see attention_kernels.inc), the portable fallback.
#define TESSERA_ATTN_NS attention_generic
#define TESSERA_ATTN_GETTER attentionOpsGeneric
#include "attention_kernels.inc"
