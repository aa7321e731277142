// defines: the per-device state (stream, cuBLASLt handle and workspace, caching allocator, generator,
// device-side error flag), the storage Buffer, and the "current op" that errors name.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <string>
#include <vector>

#include "common.cuh"

namespace tcuda {

/**
 * Caching device allocator: blocks go back to a free list keyed by size when a storage dies, and are
 * handed out again without calling cudaMalloc. One stream per device, so reuse is ordered after every
 * kernel that used the block. Sizes are rounded (512 B below 1 MiB, 2 MiB above) so steps that allocate
 * the same shapes again find exact fits.
 */
class CachingAllocator {
 public:
  explicit CachingAllocator(int device) : device_(device) {}
  /** A block of at least `bytes`; on cudaMalloc failure empties the cache and retries, then throws OpError naming `op`. */
  void* alloc(size_t bytes, size_t* rounded);
  /** Returns a block to the cache (no CUDA call: safe inside a GC finalizer). */
  void free(void* p, size_t rounded);
  /** cudaFree every cached block. */
  void emptyCache();

  size_t inUse() const { return inUse_; }
  size_t cached() const { return cached_; }
  size_t peak() const { return peak_; }
  int64_t mallocs() const { return mallocs_; }
  int64_t hits() const { return hits_; }
  /** Bytes handed out since the last collectReset() (the TS side runs the GC past a threshold). */
  size_t sinceCollect() const { return sinceCollect_; }
  void collectReset() {
    sinceCollect_ = 0;
    publish();
  }
  /** [bytes since the last collection, bytes in use, bytes cached]: read by JS without a call. */
  double shared[4] = {0, 0, 0, 0};

  static size_t roundSize(size_t bytes);

 private:
  void publish() {
    shared[0] = static_cast<double>(sinceCollect_);
    shared[1] = static_cast<double>(inUse_);
    shared[2] = static_cast<double>(cached_);
  }
  int device_;
  std::mutex mu_;
  std::multimap<size_t, void*> free_;
  size_t inUse_ = 0, cached_ = 0, peak_ = 0, sinceCollect_ = 0;
  int64_t mallocs_ = 0, hits_ = 0;
};

/** What a kernel writes when it finds a bad index (mapped host memory: readable after a sync, no copy). */
struct DeviceError {
  int32_t code;      // 0: none; else an ErrCode
  int32_t pad;
  int64_t value;     // the offending id
  int64_t size;      // the size it had to be below
};
enum ErrCode : int32_t { kErrNone = 0, kErrIndexSelect = 1, kErrIndexAdd = 2, kErrGather = 3, kErrScatterAdd = 4, kErrTarget = 5 };

struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;
  void* lt = nullptr;  // cublasLtHandle_t
  void* workspace = nullptr;
  size_t workspaceBytes = 0;
  CachingAllocator* alloc = nullptr;
  DeviceError* err = nullptr;   // host pointer of mapped memory
  DeviceError* errDev = nullptr;  // its device alias
  uint64_t seed = 0;
  uint64_t offset = 0;  // Philox counter position, in 128-bit blocks
  int smCount = 0;
  size_t smemOptin = 0;
  size_t totalMem = 0;
  int64_t syncs = 0;
  std::string name;
  int ccMajor = 0, ccMinor = 0;
  // pinned staging for host->device copies
  struct Staging {
    void* ptr;
    size_t bytes;
    cudaEvent_t done;
  };
  std::vector<Staging> staging;
};

/** The context of a device (created on first use; throws OpError when the device is missing). */
Context& ctx(int device);
/** Makes `device` current for this thread (cudaSetDevice only when it changes). */
Context& useDevice(int device);
int deviceCount(std::string* why);

/** The op the current Node-API call runs (errors name it). */
const char* currentOp();
void setCurrentOp(const char* op);
/** The last kernel enqueued (asynchronous errors name it). */
const char* lastKernel();
void setLastKernel(const char* k);

/** Waits for the device's stream; asynchronous faults and device-found bad indices become OpErrors. */
void syncDevice(Context& c);
/** Throws the pending device-found error, if any (after a sync). */
void raiseDeviceError(Context& c);

/** A device storage: one allocator block of one dtype. */
struct Buffer {
  void* data = nullptr;
  int64_t length = 0;
  size_t bytes = 0;
  size_t rounded = 0;
  DType dtype = DType::F32;
  int device = 0;
  bool released = false;
  template <typename T> T* as() const { return static_cast<T*>(data); }
};

/** A new buffer on `device` (uninitialised unless zero). Throws OpError naming the current op on OOM. */
Buffer* allocBuffer(int device, DType dtype, int64_t length, bool zero);
void freeBuffer(Buffer* b);
/** Scratch memory from the allocator, given back when the Scratch dies (stream order keeps it safe). */
struct Scratch {
  Scratch(int device, size_t bytes);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* ptr = nullptr;
  size_t rounded = 0;
  int device;
  template <typename T> T* as() const { return static_cast<T*>(ptr); }
};

/**
 * Optional per-op GPU timing (TESSERA_CUDA_PROFILE=1 or profile(true)): CUDA events around each Node-API op
 * on the device's stream, summed per op name when the host next waits anyway. Off by default (no cost).
 */
bool profiling();
void setProfiling(bool on);
void profileBegin(const char* op);
void profileEnd();
/** Adds detail (e.g. shapes) to the current op's profile key. */
void profileDetail(const std::string& detail);
/** Resolves the recorded events (synchronising) into (op, calls, milliseconds) totals and clears them. */
std::vector<std::tuple<std::string, int64_t, double>> profileTake();

/** Copies host bytes to device memory through pinned staging, without waiting for the stream. */
void uploadAsync(Context& c, void* dst, const void* src, size_t bytes);

}  // namespace tcuda
