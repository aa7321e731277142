// Registration of each group of native ops on the addon's exports object.
#pragma once
#include "napi_util.h"

namespace tessera {

void initMemoryOps(napi_env env, napi_value exports);
void initMatmulOps(napi_env env, napi_value exports);
void initSystemOps(napi_env env, napi_value exports);
void initElementwiseOps(napi_env env, napi_value exports);
void initReduceOps(napi_env env, napi_value exports);
void initIndexOps(napi_env env, napi_value exports);
void initConvOps(napi_env env, napi_value exports);
void initRandomOps(napi_env env, napi_value exports);
void initNormOps(napi_env env, napi_value exports);
void initAttentionOps(napi_env env, napi_value exports);
void initStepOps(napi_env env, napi_value exports);

}  // namespace tessera
