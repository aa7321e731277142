// Host storage allocation: 64-byte aligned blocks (full SIMD loads), counted in liveBytes(), with a capped
// cache of freed large blocks by size class (classes 1/8 of a power of two apart, so at most 12.5% waste).
#include "storage.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "errors.h"
#include "threadpool.h"

namespace tessera {

namespace {
std::atomic<int64_t> live{0};
std::atomic<int64_t> peakLive{0};
// Bytes taken from / returned to the system since the JS thread last reported them to V8 (see
// takeSystemDelta): cache hits and returns to the cache move no memory in or out of the process.
std::atomic<int64_t> systemDelta{0};

constexpr size_t kCacheMin = 64 * 1024;

struct BlockCache {
  std::mutex mu;
  std::map<size_t, std::vector<void*>> free;
  size_t bytes = 0;
  // TESSERA_CPU_CACHE_MB fixes the cap; by default it is 1 GB or the most storage memory ever live at once,
  // whichever is more: a training step that needs 1.5 GB then finds all of it here at the next step instead
  // of taking 0.5 GB from the system again (and prompting garbage collections that find nothing to free)
  bool fixed = [] {
    const char* env = std::getenv("TESSERA_CPU_CACHE_MB");
    return env && *env;
  }();
  size_t cap = [] {
    const char* env = std::getenv("TESSERA_CPU_CACHE_MB");
    const long mb = env && *env ? std::atol(env) : 1024;
    return static_cast<size_t>(mb < 0 ? 0 : mb) << 20;
  }();
};

BlockCache& cache() {
  static BlockCache* c = new BlockCache();  // never destroyed: finalizers may run during shutdown
  return *c;
}

size_t sizeClass(size_t bytes) {
  bytes = (bytes + 63) & ~size_t(63);
  if (bytes < kCacheMin) return bytes;
  size_t p = kCacheMin;
  while (p * 2 <= bytes) p *= 2;
  const size_t step = p / 8;
  return (bytes + step - 1) / step * step;
}

// A cached block of the size class asked for, or else of the smallest class below twice that (shapes that
// change from step to step, as sentence batches do, would otherwise rarely find their exact class and keep
// taking fresh memory while the cache holds blocks that would do); `capacity` becomes the block's class.
void* takeBlock(size_t& capacity) {
  if (capacity >= kCacheMin) {
    BlockCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    for (auto it = c.free.lower_bound(capacity); it != c.free.end() && it->first < 2 * capacity; ++it) {
      if (it->second.empty()) continue;
      void* p = it->second.back();
      it->second.pop_back();
      capacity = it->first;
      c.bytes -= capacity;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, capacity);
  if (!p && capacity >= kCacheMin) {
    emptyCache();
    p = std::aligned_alloc(64, capacity);
  }
  if (p) systemDelta.fetch_add(static_cast<int64_t>(capacity), std::memory_order_relaxed);
  return p;
}

void giveBlock(void* p, size_t capacity) {
  if (capacity >= kCacheMin) {
    BlockCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    const size_t cap = c.fixed ? c.cap : std::max(c.cap, static_cast<size_t>(peakLive.load(std::memory_order_relaxed)));
    if (c.bytes + capacity <= cap) {
      c.free[capacity].push_back(p);
      c.bytes += capacity;
      return;
    }
  }
  std::free(p);
  systemDelta.fetch_sub(static_cast<int64_t>(capacity), std::memory_order_relaxed);
}
}  // namespace

int64_t cachedBytes() {
  BlockCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return static_cast<int64_t>(c.bytes);
}

void emptyCache() {
  BlockCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, blocks] : c.free)
    for (void* p : blocks) std::free(p);
  systemDelta.fetch_sub(static_cast<int64_t>(c.bytes), std::memory_order_relaxed);
  c.free.clear();
  c.bytes = 0;
}

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

bool isFloatType(DType d) { return d == DType::F32 || d == DType::F16 || d == DType::BF16; }

Buffer* allocBuffer(DType dtype, int64_t length, bool zero) {
  if (length < 0) throw OpError("alloc: negative length " + std::to_string(length));
  auto* b = new Buffer();
  b->dtype = dtype;
  b->length = length;
  b->bytes = static_cast<size_t>(length) * dtypeSize(dtype);
  if (b->bytes > 0) {
    b->capacity = sizeClass(b->bytes);
    b->data = takeBlock(b->capacity);
    if (!b->data) {
      const size_t want = b->capacity;
      delete b;
      throw OpError("out of memory: could not allocate " + std::to_string(want) + " bytes for a " +
                    dtypeName(dtype) + " storage of " + std::to_string(length) + " elements");
    }
    if (zero) {
      char* p = static_cast<char*>(b->data);
      const int64_t n = static_cast<int64_t>(b->bytes);
      parallelFor(n, 1 << 20, [p](int64_t lo, int64_t hi, int) { std::memset(p + lo, 0, hi - lo); });
    }
  }
  const int64_t now = live.fetch_add(static_cast<int64_t>(b->bytes)) + static_cast<int64_t>(b->bytes);
  for (int64_t peak = peakLive.load(std::memory_order_relaxed); now > peak && !peakLive.compare_exchange_weak(peak, now);) {
  }
  return b;
}

void freeBufferData(Buffer* b) {
  if (b->released) return;
  if (b->data) giveBlock(b->data, b->capacity);
  b->data = nullptr;
  b->released = true;
  live.fetch_sub(static_cast<int64_t>(b->bytes));
}

int64_t liveBytes() { return live.load(); }

int64_t takeSystemDelta() { return systemDelta.exchange(0, std::memory_order_relaxed); }

}  // namespace tessera
