// Addon-wide controls: error class hand-over, thread count, ISA choice, CPU description and peak probe.
#include <string>

#include "cpu_features.h"
#include "cpu_probe.h"
#include "gemm.h"
#include "gemm_bf16.h"
#include "napi_util.h"
#include "ops.h"
#include "threadpool.h"

namespace tessera {
namespace {

napi_value str(napi_env env, const std::string& s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

napi_value boolean(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

// init(TesseraError): errors from kernels are thrown as this class.
TESSERA_FN(init) {
  napi::setErrorClass(a.env, a[0]);
  return napi::undefinedValue(a.env);
}

TESSERA_FN(getNumThreads) { return napi::makeNumber(a.env, numThreads()); }

TESSERA_FN(setNumThreadsFn) {
  const int64_t n = a.integer(0);
  if (n < 1 || n > 1024) throw OpError("setNumThreads: thread count must be between 1 and 1024, got " + std::to_string(n));
  setNumThreads(static_cast<int>(n));
  return napi::undefinedValue(a.env);
}

TESSERA_FN(setIsaFn) {
  const std::string name = a.string(0);
  if (!setIsa(name)) throw OpError("setIsa: '" + name + "' is not available on this CPU or build (best: " + isaName(activeIsa()) + ")");
  return napi::undefinedValue(a.env);
}

TESSERA_FN(info) {
  const CpuFeatures& f = cpuFeatures();
  napi_value o = napi::makeObject(a.env);
  napi::setProp(a.env, o, "isa", str(a.env, isaName(activeIsa())));
  napi::setProp(a.env, o, "gemmKernel", str(a.env, gemmKernel().name));
  const Bf16Kernel* bk = bf16Kernel();
  napi::setProp(a.env, o, "bf16GemmKernel", str(a.env, bk ? bk->name : (bf16KernelAvailable() ? "widen-to-f32 (faster than avx512bf16 here)" : "widen-to-f32")));
  napi::setProp(a.env, o, "threads", napi::makeNumber(a.env, numThreads()));
  napi::setProp(a.env, o, "avx2Fma", boolean(a.env, f.avx2Fma));
  napi::setProp(a.env, o, "avx512f", boolean(a.env, f.avx512f));
  napi::setProp(a.env, o, "avx512bf16", boolean(a.env, f.avx512bf16));
  std::string built = "generic";
#ifdef TESSERA_HAVE_AVX2
  built += ",avx2";
#endif
#ifdef TESSERA_HAVE_AVX512
  built += ",avx512";
#endif
  napi::setProp(a.env, o, "builtIsas", str(a.env, built));
  return o;
}

// peak(threads = 1): the FP32 FMA peak estimate of one core, or per core with `threads` cores busy at once
TESSERA_FN(peak) {
  const int threads = a.isNullish(0) ? 1 : static_cast<int>(a.integer(0));
  const PeakEstimate p = threads > 1 ? estimatePeakConcurrent(threads) : estimatePeak();
  napi_value o = napi::makeObject(a.env);
  napi::setProp(a.env, o, "ghz", napi::makeNumber(a.env, p.ghz));
  napi::setProp(a.env, o, "lanes", napi::makeNumber(a.env, p.lanes));
  napi::setProp(a.env, o, "fmaUnits", napi::makeNumber(a.env, p.fmaUnits));
  napi::setProp(a.env, o, "probeGflops", napi::makeNumber(a.env, p.probeGflops));
  napi::setProp(a.env, o, "peakGflopsPerCore", napi::makeNumber(a.env, p.peakGflopsPerCore));
  return o;
}

}  // namespace

void initSystemOps(napi_env env, napi_value exports) {
  napi::exportFunction(env, exports, "init", init);
  napi::exportFunction(env, exports, "getNumThreads", getNumThreads);
  napi::exportFunction(env, exports, "setNumThreads", setNumThreadsFn);
  napi::exportFunction(env, exports, "setIsa", setIsaFn);
  napi::exportFunction(env, exports, "info", info);
  napi::exportFunction(env, exports, "peak", peak);
}

}  // namespace tessera
