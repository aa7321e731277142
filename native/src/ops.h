// Registration of each group of native ops on the addon's exports object.
#pragma once
#include "napi_util.h"

namespace tessera {

void initMemoryOps(napi_env env, napi_value exports);
void initMatmulOps(napi_env env, napi_value exports);
void initSystemOps(napi_env env, napi_value exports);

}  // namespace tessera
