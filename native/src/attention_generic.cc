// The attention inner loops compiled for generic (see attention_kernels.inc; the build sets this file's ISA flags).
#define TESSERA_ATTN_NS attention_generic
#define TESSERA_ATTN_GETTER attentionOpsGeneric
#include "attention_kernels.inc"
