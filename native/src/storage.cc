// Host storage allocation: 64-byte aligned blocks (full SIMD loads), counted in liveBytes().
#include "storage.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "errors.h"

namespace tessera {

namespace {
std::atomic<int64_t> live{0};
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
  const size_t rounded = (b->bytes + 63) & ~size_t(63);
  if (rounded > 0) {
    b->data = std::aligned_alloc(64, rounded);
    if (!b->data) {
      delete b;
      throw OpError("out of memory: could not allocate " + std::to_string(rounded) + " bytes for a " +
                    dtypeName(dtype) + " storage of " + std::to_string(length) + " elements");
    }
    if (zero) std::memset(b->data, 0, b->bytes);
  }
  live.fetch_add(static_cast<int64_t>(b->bytes));
  return b;
}

void freeBufferData(Buffer* b) {
  if (b->released) return;
  std::free(b->data);
  b->data = nullptr;
  b->released = true;
  live.fetch_sub(static_cast<int64_t>(b->bytes));
}

int64_t liveBytes() { return live.load(); }

}  // namespace tessera
