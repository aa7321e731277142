// A growable 64-byte-aligned scratch buffer (packing panels, per-thread workspaces).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>

namespace tessera {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }
  /** At least `count` elements of T; contents are not preserved when it grows. */
  template <typename T>
  T* get(size_t count) {
    const size_t bytes = count * sizeof(T);
    if (bytes > size_) {
      std::free(data_);
      size_ = (bytes + 63) & ~size_t(63);
      data_ = std::aligned_alloc(64, size_);
      if (!data_) throw std::bad_alloc();
    }
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tessera
