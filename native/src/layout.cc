// Layout helpers: contiguous layouts and bounds checks against a storage.
#include "layout.h"

namespace tessera {

Layout contiguousLayout(const int64_t* shape, int nd) {
  Layout l;
  l.nd = nd;
  int64_t s = 1;
  for (int i = nd - 1; i >= 0; i--) {
    l.shape[i] = shape[i];
    l.strides[i] = s;
    s *= shape[i];
  }
  return l;
}

void checkLive(const char* op, const Buffer* b) {
  if (b->released) throw OpError(std::string(op) + ": storage was released and cannot be used");
}

void checkLayout(const char* op, const Buffer* b, const Layout& l) {
  checkLive(op, b);
  int64_t lo = l.offset, hi = l.offset;
  for (int i = 0; i < l.nd; i++) {
    if (l.shape[i] < 0) throw OpError(std::string(op) + ": negative dimension in shape " + l.shapeString());
    if (l.shape[i] == 0) return;
    const int64_t span = (l.shape[i] - 1) * l.strides[i];
    if (span < 0) lo += span; else hi += span;
  }
  if (lo < 0 || hi >= b->length)
    throw OpError(std::string(op) + ": layout of shape " + l.shapeString() + " at offset " + std::to_string(l.offset) +
                  " reaches elements [" + std::to_string(lo) + ", " + std::to_string(hi) + "] of a storage of " +
                  std::to_string(b->length));
}

}  // namespace tessera
