// defines: the Node-API entry points of the CUDA addon (one per backend method, grouped by source file)
// and the host helpers the sources share.
#pragma once
#include "napi_glue.h"

namespace tcuda {

/** Writes (src, layout) as a contiguous array of `outT` at dst (cast as PyTorch casts). */
void copyStrided(Context& c, const Buffer* src, const HostLayout& l, DType outT, void* dst);
/** act(y) in place (matmul epilogue). */
void applyActivationInPlace(Context& c, Buffer* y, int act);
/** Philox position for `blocks` 128-bit draws: returns the start offset and advances the device's counter. */
uint64_t reserveRandom(Context& c, uint64_t blocks);

}  // namespace tcuda

// ops_memory.cu
napi_value zeros(napi_env, napi_callback_info);
napi_value full(napi_env, napi_callback_info);
napi_value arange(napi_env, napi_callback_info);
napi_value fromHost(napi_env, napi_callback_info);
napi_value toHost(napi_env, napi_callback_info);
napi_value copy(napi_env, napi_callback_info);
napi_value copyInto(napi_env, napi_callback_info);
// ops_elementwise.cu
napi_value map(napi_env, napi_callback_info);
napi_value binary(napi_env, napi_callback_info);
napi_value where(napi_env, napi_callback_info);
// ops_reduce.cu
napi_value reduce(napi_env, napi_callback_info);
// matmul.cc
napi_value matmul(napi_env, napi_callback_info);
napi_value matmulInfo(napi_env, napi_callback_info);
// ops_index.cu
napi_value indexSelect(napi_env, napi_callback_info);
napi_value indexAdd(napi_env, napi_callback_info);
napi_value gather(napi_env, napi_callback_info);
napi_value scatterAdd(napi_env, napi_callback_info);
napi_value unfold(napi_env, napi_callback_info);
napi_value fold(napi_env, napi_callback_info);
// ops_random.cu
napi_value manualSeed(napi_env, napi_callback_info);
napi_value random(napi_env, napi_callback_info);
napi_value getRngState(napi_env, napi_callback_info);
napi_value setRngState(napi_env, napi_callback_info);
// fused_rows.cu
napi_value softmax(napi_env, napi_callback_info);
napi_value softmaxBackward(napi_env, napi_callback_info);
napi_value layerNorm(napi_env, napi_callback_info);
napi_value layerNormBackward(napi_env, napi_callback_info);
napi_value addLayerNorm(napi_env, napi_callback_info);
napi_value crossEntropy(napi_env, napi_callback_info);
napi_value crossEntropyBackward(napi_env, napi_callback_info);
// fused_attention.cu
napi_value attention(napi_env, napi_callback_info);
napi_value attentionBackward(napi_env, napi_callback_info);
napi_value attentionProbs(napi_env, napi_callback_info);
// fused_step.cu
napi_value adamw(napi_env, napi_callback_info);
napi_value adamwMulti(napi_env, napi_callback_info);
napi_value lstmCell(napi_env, napi_callback_info);
napi_value lstmCellBackward(napi_env, napi_callback_info);
// addon.cc
napi_value release(napi_env, napi_callback_info);
napi_value synchronize(napi_env, napi_callback_info);
