// The tessera_cuda Node-API module: device discovery, memory statistics and controls, and the table of
// exported ops (one per Backend method; see src/backend/cuda/addon.ts for the TypeScript side).
#include <cuda_runtime.h>

#include "napi_glue.h"
#include "ops.h"

using namespace tcuda;

namespace {

__global__ void diagnosticKernel(int* p) {
  if (p) *p = 1;
}

}  // namespace

// init(TesseraError) -> { deviceCount, reason }
TCUDA_FN(init) {
  napi::setErrorClass(a.env, a[0]);
  std::string why;
  const int n = deviceCount(&why);
  int drv0 = 0;
  cudaDriverGetVersion(&drv0);
  cudaGetLastError();
  if (n == 0 && drv0 == 0) why = "no NVIDIA driver was found (" + why + ")";
  napi_value o = napi::makeObject(a.env);
  napi::setProp(a.env, o, "deviceCount", napi::makeNumber(a.env, n));
  napi::setProp(a.env, o, "reason", napi::makeString(a.env, why));
  int rt = 0, drv = 0;
  cudaRuntimeGetVersion(&rt);
  cudaDriverGetVersion(&drv);
  cudaGetLastError();
  napi::setProp(a.env, o, "runtimeVersion", napi::makeNumber(a.env, rt));
  napi::setProp(a.env, o, "driverVersion", napi::makeNumber(a.env, drv));
  return o;
}

// deviceInfo(dev) -> { name, totalMemory, multiProcessors, computeCapability, sharedMemoryPerBlockOptin }
TCUDA_FN(deviceInfo) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  napi_value o = napi::makeObject(a.env);
  napi::setProp(a.env, o, "name", napi::makeString(a.env, c.name));
  napi::setProp(a.env, o, "totalMemory", napi::makeNumber(a.env, static_cast<double>(c.totalMem)));
  napi::setProp(a.env, o, "multiProcessors", napi::makeNumber(a.env, c.smCount));
  napi::setProp(a.env, o, "computeCapability", napi::makeString(a.env, std::to_string(c.ccMajor) + "." + std::to_string(c.ccMinor)));
  napi::setProp(a.env, o, "sharedMemoryPerBlockOptin", napi::makeNumber(a.env, static_cast<double>(c.smemOptin)));
  return o;
}

// memoryStats(dev) -> { inUse, cached, peak, mallocs, cacheHits, synchronizations }
TCUDA_FN(memoryStats) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  napi_value o = napi::makeObject(a.env);
  napi::setProp(a.env, o, "inUse", napi::makeNumber(a.env, static_cast<double>(c.alloc->inUse())));
  napi::setProp(a.env, o, "cached", napi::makeNumber(a.env, static_cast<double>(c.alloc->cached())));
  napi::setProp(a.env, o, "peak", napi::makeNumber(a.env, static_cast<double>(c.alloc->peak())));
  napi::setProp(a.env, o, "mallocs", napi::makeNumber(a.env, static_cast<double>(c.alloc->mallocs())));
  napi::setProp(a.env, o, "cacheHits", napi::makeNumber(a.env, static_cast<double>(c.alloc->hits())));
  napi::setProp(a.env, o, "synchronizations", napi::makeNumber(a.env, static_cast<double>(c.syncs)));
  return o;
}

// emptyCache(dev): frees cached blocks back to the driver
TCUDA_FN(emptyCache) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  c.alloc->emptyCache();
  return napi::undefinedValue(a.env);
}

// counters(dev) -> Float64Array [bytes since last collection, bytes in use, bytes cached], live view
TCUDA_FN(counters) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  napi_value ab, arr;
  napi::check(napi_create_external_arraybuffer(a.env, c.alloc->shared, sizeof(c.alloc->shared), nullptr, nullptr, &ab),
              "napi_create_external_arraybuffer");
  napi::check(napi_create_typedarray(a.env, napi_float64_array, 4, ab, 0, &arr), "napi_create_typedarray");
  return arr;
}

// collected(dev): the JS side ran the garbage collector; restart the count
TCUDA_FN(collected) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  c.alloc->collectReset();
  return napi::undefinedValue(a.env);
}

// release(h): frees the storage's block now; later use throws
TCUDA_FN(release) {
  Buffer* b = a.buffer(0);
  freeBuffer(b);
  return napi::undefinedValue(a.env);
}

// synchronize(dev): waits for the device's stream (raises asynchronous and device-found errors)
TCUDA_FN(synchronize) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  syncDevice(c);
  return napi::undefinedValue(a.env);
}

// diagnosticLaunchFailure(dev): launches a kernel with an impossible block size, to show how a failed launch is reported
TCUDA_FN(diagnosticLaunchFailure) {
  Context& c = useDevice(static_cast<int>(a.integer(0)));
  diagnosticKernel<<<1, 4096, 0, c.stream>>>(nullptr);
  afterLaunch("diagnostic_kernel");
  return napi::undefinedValue(a.env);
}

// profile(on | undefined) -> [[op, calls, ms], ...] recorded since the last call (synchronises); turns timing on or off
TCUDA_FN(profile) {
  std::vector<napi_value> rows;
  for (auto& [op, calls, ms] : profileTake()) {
    rows.push_back(napi::makeArray(a.env, {napi::makeString(a.env, op), napi::makeNumber(a.env, static_cast<double>(calls)), napi::makeNumber(a.env, ms)}));
  }
  if (!a.isNullish(0)) setProfiling(a.boolean(0));
  return napi::makeArray(a.env, rows);
}

NAPI_MODULE_INIT() {
  struct Entry {
    const char* name;
    napi_callback fn;
  };
  const Entry entries[] = {
      {"init", init}, {"deviceInfo", deviceInfo}, {"memoryStats", memoryStats}, {"emptyCache", emptyCache}, {"counters", counters},
      {"collected", collected}, {"release", release}, {"synchronize", synchronize}, {"diagnosticLaunchFailure", diagnosticLaunchFailure}, {"profile", profile},
      {"zeros", zeros}, {"full", full}, {"arange", arange}, {"fromHost", fromHost}, {"toHost", toHost}, {"copy", copy},
      {"copyInto", copyInto}, {"map", map}, {"binary", binary}, {"where", where}, {"reduce", reduce}, {"matmul", matmul},
      {"matmulInfo", matmulInfo}, {"indexSelect", indexSelect}, {"indexAdd", indexAdd}, {"gather", gather}, {"scatterAdd", scatterAdd},
      {"unfold", unfold}, {"fold", fold}, {"manualSeed", manualSeed}, {"random", random}, {"getRngState", getRngState},
      {"setRngState", setRngState}, {"softmax", softmax}, {"softmaxBackward", softmaxBackward}, {"layerNorm", layerNorm},
      {"layerNormBackward", layerNormBackward}, {"addLayerNorm", addLayerNorm}, {"crossEntropy", crossEntropy}, {"crossEntropyBackward", crossEntropyBackward},
      {"attention", attention}, {"attentionBackward", attentionBackward}, {"attentionProbs", attentionProbs}, {"adamw", adamw},
      {"adamwMulti", adamwMulti}, {"lstmCell", lstmCell}, {"lstmCellBackward", lstmCellBackward},
  };
  for (const Entry& e : entries) napi::exportFunction(env, exports, e.name, e.fn);
  return exports;
}
