// Native storages: one aligned host block of one dtype, owned by a JS object through a napi external whose
// finalizer frees it (release() frees it earlier). Freed blocks of 64 KiB and more go to a size-class cache
// (capped by TESSERA_CPU_CACHE_MB, default 1024) so the next op's output skips the page faults of fresh
// memory. V8 is told only about memory taken from or returned to the system (takeSystemDelta): a block
// that goes round through the cache is not new memory and must not trigger a garbage collection. The device field is the seam for CUDA storages.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tessera {

enum class DType : int { F32 = 0, F16 = 1, BF16 = 2, I32 = 3, I64 = 4, U8 = 5, Bool = 6 };

size_t dtypeSize(DType d);
const char* dtypeName(DType d);
bool isFloatType(DType d);

struct Buffer {
  void* data = nullptr;
  int64_t length = 0;  // elements
  size_t bytes = 0;
  size_t capacity = 0;  // bytes of the block behind data (its size class in the cache)
  DType dtype = DType::F32;
  int device = 0;      // 0: host memory; CUDA builds use other values
  bool released = false;

  template <typename T> T* as() const { return static_cast<T*>(data); }
};

/** A new buffer of `length` elements; zeroed when `zero`. Throws OpError when memory runs out. */
Buffer* allocBuffer(DType dtype, int64_t length, bool zero);
/** Frees the data now (release() or the finalizer); the Buffer object itself lives until its finalizer. */
void freeBufferData(Buffer* b);
/** Bytes of live native storage (for tests and memory reports). */
int64_t liveBytes();
/**
 * Bytes this process took from the system for storages (fresh blocks) minus bytes it gave back, since the
 * last call: what V8 is told as external memory, so blocks recycled through the cache cause no collections.
 */
int64_t takeSystemDelta();
/** Bytes of freed blocks kept for reuse. */
int64_t cachedBytes();
/** Returns every cached block to the system. */
void emptyCache();

}  // namespace tessera
