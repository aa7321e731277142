// Per-device contexts, the caching allocator, pinned staging for uploads, and CUDA error reporting.
#include "context.h"

#include <cstdlib>
#include <cstring>
#include <memory>

namespace tcuda {

size_t dtypeSize(DType d) {
  switch (d) {
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: return 2;
    case DType::I64: return 8;
    default: return 1;
  }
}

const char* dtypeName(DType d) {
  switch (d) {
    case DType::F32: return "float32";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    case DType::I32: return "int32";
    case DType::I64: return "int64";
    case DType::U8: return "uint8";
    default: return "bool";
  }
}

void HostLayout::extent(int64_t* lo, int64_t* hi) const {
  int64_t a = offset, b = offset;
  for (int i = 0; i < nd; i++) {
    if (shape[i] == 0) {
      *lo = offset;
      *hi = offset - 1;
      return;
    }
    const int64_t s = strides[i] * (shape[i] - 1);
    if (s >= 0) b += s; else a += s;
  }
  *lo = a;
  *hi = b;
}

std::string HostLayout::shapeString() const {
  std::string s = "[";
  for (int i = 0; i < nd; i++) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {
thread_local const char* tOp = "cuda";
const char* gLastKernel = "(none)";
std::unique_ptr<Context> gContexts[64];
int gCurrent = -1;

std::string mib(size_t bytes) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}
}  // namespace

const char* currentOp() { return tOp; }
void setCurrentOp(const char* op) { tOp = op; }
const char* lastKernel() { return gLastKernel; }
void setLastKernel(const char* k) { gLastKernel = k; }

void throwCuda(cudaError_t e, const std::string& what) {
  cudaGetLastError();  // clears non-sticky errors
  throw OpError("CUDA error in " + what + " (op " + currentOp() + "): " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

void afterLaunch(const char* kernel) {
  gLastKernel = kernel;
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    throw OpError(std::string("CUDA error launching kernel ") + kernel + " (op " + currentOp() + "): " + cudaGetErrorName(e) +
                  ": " + cudaGetErrorString(e));
  }
}

// --- allocator ---

size_t CachingAllocator::roundSize(size_t bytes) {
  if (bytes == 0) return 512;
  if (bytes < (1u << 20)) return (bytes + 511) & ~size_t(511);
  return (bytes + (2u << 20) - 1) & ~((size_t(2) << 20) - 1);
}

void* CachingAllocator::alloc(size_t bytes, size_t* roundedOut) {
  const size_t r = roundSize(bytes);
  *roundedOut = r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // exact fit first, else the smallest block not more than 25% (+2 MiB) larger
    auto it = free_.lower_bound(r);
    if (it != free_.end() && it->first <= r + r / 4 + (size_t(2) << 20)) {
      void* p = it->second;
      *roundedOut = it->first;
      cached_ -= it->first;
      inUse_ += it->first;
      sinceCollect_ += it->first;
      if (inUse_ > peak_) peak_ = inUse_;
      free_.erase(it);
      hits_++;
      publish();
      return p;
    }
  }
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, r);
  if (e != cudaSuccess) {
    cudaGetLastError();
    emptyCache();
    e = cudaMalloc(&p, r);
    if (e != cudaSuccess) {
      cudaGetLastError();
      size_t freeB = 0, total = 0;
      cudaMemGetInfo(&freeB, &total);
      throw OpError("cuda out of memory in " + std::string(currentOp()) + ": could not allocate " + std::to_string(bytes) +
                    " bytes (" + mib(bytes) + ") on cuda:" + std::to_string(device_) + "; " + mib(inUse_) +
                    " held by live tensors, " + mib(freeB) + " free of " + mib(total));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  mallocs_++;
  inUse_ += r;
  sinceCollect_ += r;
  if (inUse_ > peak_) peak_ = inUse_;
  publish();
  return p;
}

void CachingAllocator::free(void* p, size_t rounded) {
  if (!p) return;
  std::lock_guard<std::mutex> lock(mu_);
  free_.emplace(rounded, p);
  inUse_ -= rounded;
  cached_ += rounded;
  publish();
}

void CachingAllocator::emptyCache() {
  std::multimap<size_t, void*> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    blocks.swap(free_);
    cached_ = 0;
    publish();
  }
  if (blocks.empty()) return;
  int prev = 0;
  cudaGetDevice(&prev);
  if (prev != device_) cudaSetDevice(device_);
  cudaDeviceSynchronize();
  for (auto& kv : blocks) cudaFree(kv.second);
  if (prev != device_) cudaSetDevice(prev);
}

// --- contexts ---

int deviceCount(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (why) *why = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    return 0;
  }
  if (n == 0 && why) *why = "no CUDA device was found";
  return n;
}

Context& ctx(int device) {
  if (device < 0 || device >= 64) throw OpError("cuda: device index " + std::to_string(device) + " is out of range");
  auto& slot = gContexts[device];
  if (slot) return *slot;
  std::string why;
  const int n = deviceCount(&why);
  if (device >= n) {
    throw OpError("cuda:" + std::to_string(device) + " is unavailable: " +
                  (n == 0 ? why : "this machine has " + std::to_string(n) + " CUDA device(s)"));
  }
  check(cudaSetDevice(device), "cudaSetDevice");
  gCurrent = device;
  auto c = std::make_unique<Context>();
  c->device = device;
  check(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking), "cudaStreamCreate");
  c->alloc = new CachingAllocator(device);
  void* mapped = nullptr;
  check(cudaHostAlloc(&mapped, sizeof(DeviceError), cudaHostAllocMapped), "cudaHostAlloc (error flag)");
  std::memset(mapped, 0, sizeof(DeviceError));
  c->err = static_cast<DeviceError*>(mapped);
  void* devAlias = nullptr;
  check(cudaHostGetDevicePointer(&devAlias, mapped, 0), "cudaHostGetDevicePointer");
  c->errDev = static_cast<DeviceError*>(devAlias);
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  c->smCount = prop.multiProcessorCount;
  c->smemOptin = prop.sharedMemPerBlockOptin;
  c->totalMem = prop.totalGlobalMem;
  c->name = prop.name;
  c->ccMajor = prop.major;
  c->ccMinor = prop.minor;
  slot = std::move(c);
  return *slot;
}

Context& useDevice(int device) {
  Context& c = ctx(device);
  if (gCurrent != device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    gCurrent = device;
  }
  return c;
}

void raiseDeviceError(Context& c) {
  DeviceError* e = c.err;
  if (e->code == kErrNone) return;
  const int32_t code = e->code;
  const int64_t v = e->value, size = e->size;
  std::memset(e, 0, sizeof(DeviceError));
  const char* op = code == kErrIndexSelect ? "indexSelect" : code == kErrIndexAdd ? "indexAdd" : code == kErrGather ? "gather"
                   : code == kErrScatterAdd ? "scatterAdd" : "crossEntropy";
  if (code == kErrTarget) {
    throw OpError(std::string(op) + ": target " + std::to_string(v) + " is out of range for " + std::to_string(size) +
                  " classes (found on the device; reported at the next read)");
  }
  throw OpError(std::string(op) + ": index " + std::to_string(v) + " is out of range for a dimension of size " +
                std::to_string(size) + " (found on the device; reported at the next read)");
}

void syncDevice(Context& c) {
  c.syncs++;
  const cudaError_t e = cudaStreamSynchronize(c.stream);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw OpError(std::string("CUDA error while running kernel ") + gLastKernel + " (or one enqueued before it; op " + currentOp() +
                  "): " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) +
                  (e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure ? "; the CUDA context is lost, restart the process" : ""));
  }
  raiseDeviceError(c);
}

// --- buffers ---

Buffer* allocBuffer(int device, DType dtype, int64_t length, bool zero) {
  if (length < 0) throw OpError(std::string(currentOp()) + ": negative length " + std::to_string(length));
  Context& c = useDevice(device);
  auto* b = new Buffer();
  b->dtype = dtype;
  b->length = length;
  b->device = device;
  b->bytes = static_cast<size_t>(length) * dtypeSize(dtype);
  try {
    b->data = c.alloc->alloc(b->bytes, &b->rounded);
  } catch (...) {
    delete b;
    throw;
  }
  if (zero && b->bytes) check(cudaMemsetAsync(b->data, 0, b->bytes, c.stream), "cudaMemsetAsync");
  return b;
}

void freeBuffer(Buffer* b) {
  if (b->released) return;
  b->released = true;
  if (b->data) {
    Context* c = gContexts[b->device].get();
    if (c) c->alloc->free(b->data, b->rounded);
  }
  b->data = nullptr;
}

Scratch::Scratch(int dev, size_t bytes) : device(dev) {
  Context& c = ctx(dev);
  ptr = c.alloc->alloc(bytes, &rounded);
}

Scratch::~Scratch() {
  Context* c = gContexts[device].get();
  if (c && ptr) c->alloc->free(ptr, rounded);
}

// --- profiling ---

namespace {
struct ProfEvent {
  std::string op;
  cudaEvent_t start, end;
};
std::string gProfDetail;
bool gProfiling = [] {
  const char* e = std::getenv("TESSERA_CUDA_PROFILE");
  return e && e[0] == '1';
}();
std::vector<ProfEvent> gProfPending;
std::vector<cudaEvent_t> gEventPool;
std::map<std::string, std::pair<int64_t, double>> gProfTotals;
const char* gProfOp = nullptr;
cudaEvent_t gProfStart = nullptr;

cudaEvent_t takeEvent() {
  if (!gEventPool.empty()) {
    cudaEvent_t e = gEventPool.back();
    gEventPool.pop_back();
    return e;
  }
  cudaEvent_t e;
  check(cudaEventCreate(&e), "cudaEventCreate (profile)");
  return e;
}

void resolvePending() {
  for (auto& ev : gProfPending) {
    cudaEventSynchronize(ev.end);
    float ms = 0;
    cudaEventElapsedTime(&ms, ev.start, ev.end);
    auto& t = gProfTotals[ev.op];
    t.first++;
    t.second += ms;
    gEventPool.push_back(ev.start);
    gEventPool.push_back(ev.end);
  }
  gProfPending.clear();
}
}  // namespace

bool profiling() { return gProfiling; }
void setProfiling(bool on) { gProfiling = on; }

void profileBegin(const char* op) {
  if (!gProfiling || gCurrent < 0 || !gContexts[gCurrent]) return;
  gProfOp = op;
  gProfDetail.clear();
  gProfStart = takeEvent();
  cudaEventRecord(gProfStart, gContexts[gCurrent]->stream);
}

void profileEnd() {
  if (!gProfOp) return;
  if (gCurrent >= 0 && gContexts[gCurrent]) {
    cudaEvent_t end = takeEvent();
    cudaEventRecord(end, gContexts[gCurrent]->stream);
    gProfPending.push_back(ProfEvent{gProfDetail.empty() ? std::string(gProfOp) : std::string(gProfOp) + " " + gProfDetail, gProfStart, end});
    if (gProfPending.size() > 20000) resolvePending();
  }
  gProfOp = nullptr;
}

void profileDetail(const std::string& detail) {
  if (gProfOp) gProfDetail = detail;
}

std::vector<std::tuple<std::string, int64_t, double>> profileTake() {
  resolvePending();
  std::vector<std::tuple<std::string, int64_t, double>> out;
  for (auto& kv : gProfTotals) out.emplace_back(kv.first, kv.second.first, kv.second.second);
  gProfTotals.clear();
  return out;
}

void uploadAsync(Context& c, void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  constexpr size_t kMaxStaged = size_t(64) << 20;
  if (bytes > kMaxStaged) {
    // large uploads (weights) go straight from pageable memory; this waits for the copy
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, c.stream), "cudaMemcpyAsync (upload)");
    check(cudaStreamSynchronize(c.stream), "cudaStreamSynchronize (upload)");
    return;
  }
  Context::Staging* use = nullptr;
  for (auto& s : c.staging) {
    if (s.bytes >= bytes && cudaEventQuery(s.done) == cudaSuccess) {
      use = &s;
      break;
    }
  }
  if (!use) {
    size_t total = 0;
    for (auto& s : c.staging) total += s.bytes;
    if (total > (size_t(512) << 20)) {
      // too much pinned memory in flight: wait for the oldest big-enough chunk
      for (auto& s : c.staging) {
        if (s.bytes >= bytes) {
          check(cudaEventSynchronize(s.done), "cudaEventSynchronize (staging)");
          use = &s;
          break;
        }
      }
    }
    if (!use) {
      size_t sz = size_t(1) << 16;
      while (sz < bytes) sz <<= 1;
      Context::Staging s{};
      check(cudaHostAlloc(&s.ptr, sz, cudaHostAllocDefault), "cudaHostAlloc (staging)");
      s.bytes = sz;
      check(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming), "cudaEventCreate");
      c.staging.push_back(s);
      use = &c.staging.back();
    }
  }
  std::memcpy(use->ptr, src, bytes);
  check(cudaMemcpyAsync(dst, use->ptr, bytes, cudaMemcpyHostToDevice, c.stream), "cudaMemcpyAsync (upload)");
  check(cudaEventRecord(use->done, c.stream), "cudaEventRecord");
}

}  // namespace tcuda
