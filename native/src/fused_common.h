// Argument checks shared by the fused ops: they take contiguous float32 storages of known lengths.
#pragma once
#include <string>

#include "errors.h"
#include "storage.h"

namespace tessera {

inline const float* f32In(const char* op, const Buffer* b, int64_t need) {
  if (b->released) throw OpError(std::string(op) + ": storage was released and cannot be used");
  if (b->dtype != DType::F32) throw OpError(std::string(op) + ": expected float32, got " + dtypeName(b->dtype));
  if (b->length < need) throw OpError(std::string(op) + ": storage of " + std::to_string(b->length) + " elements, expected " + std::to_string(need));
  return b->as<float>();
}

inline float* f32Mut(const char* op, Buffer* b, int64_t need) { return const_cast<float*>(f32In(op, b, need)); }

}  // namespace tessera
