// Entry point of the tessera native addon: registers every op group on the exports object.
#include "napi_util.h"
#include "ops.h"

namespace {

napi_value init(napi_env env, napi_value exports) {
  tessera::initSystemOps(env, exports);
  tessera::initMemoryOps(env, exports);
  tessera::initMatmulOps(env, exports);
  tessera::initElementwiseOps(env, exports);
  tessera::initReduceOps(env, exports);
  tessera::initIndexOps(env, exports);
  tessera::initConvOps(env, exports);
  tessera::initRandomOps(env, exports);
  tessera::initNormOps(env, exports);
  tessera::initAttentionOps(env, exports);
  tessera::initStepOps(env, exports);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
