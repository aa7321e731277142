// Strided layouts (shape, strides, offset in elements) as the TypeScript side encodes them, bounds checks
// against a storage, dimension collapsing and a threaded row walker shared by the elementwise kernels.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include "errors.h"
#include "storage.h"
#include "threadpool.h"

namespace tessera {

constexpr int kMaxDims = 16;

struct Layout {
  int nd = 0;
  int64_t offset = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    return n;
  }
  bool contiguous() const {
    int64_t expected = 1;
    for (int i = nd - 1; i >= 0; i--) {
      if (shape[i] != 1 && strides[i] != expected) return false;
      expected *= shape[i];
    }
    return true;
  }
  std::string shapeString() const {
    std::string s = "[";
    for (int i = 0; i < nd; i++) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }
};

/** A contiguous layout of a shape. */
Layout contiguousLayout(const int64_t* shape, int nd);
/** Throws OpError naming `op` when the layout reaches outside the buffer or the buffer was released. */
void checkLayout(const char* op, const Buffer* b, const Layout& l);
void checkLive(const char* op, const Buffer* b);

/**
 * A shape walked by up to 4 operands with their own strides, after dropping size-1 dims and merging dims
 * that are contiguous for every operand. The last dim is the "row" handed to kernels.
 */
template <int NOP>
struct Walk {
  int nd = 0;
  int64_t shape[kMaxDims];
  int64_t strides[NOP][kMaxDims];

  Walk(const int64_t* shp, int ndim, const int64_t* const* strd) {
    for (int i = 0; i < ndim; i++) {
      if (shp[i] == 1) continue;
      if (nd > 0) {
        bool merge = true;
        for (int o = 0; o < NOP; o++)
          if (strides[o][nd - 1] != strd[o][i] * shp[i]) merge = false;
        if (merge) {
          shape[nd - 1] *= shp[i];
          for (int o = 0; o < NOP; o++) strides[o][nd - 1] = strd[o][i];
          continue;
        }
      }
      shape[nd] = shp[i];
      for (int o = 0; o < NOP; o++) strides[o][nd] = strd[o][i];
      nd++;
    }
    if (nd == 0) {
      shape[0] = 1;
      for (int o = 0; o < NOP; o++) strides[o][0] = 0;
      nd = 1;
    }
  }
  int64_t rowLen() const { return shape[nd - 1]; }
  int64_t rows() const {
    int64_t r = 1;
    for (int i = 0; i < nd - 1; i++) r *= shape[i];
    return r;
  }
  int64_t innerStride(int o) const { return strides[o][nd - 1]; }
  /** Offsets of row `r` for each operand (relative to its base). */
  void rowOffsets(int64_t r, int64_t* off) const {
    for (int o = 0; o < NOP; o++) off[o] = 0;
    for (int i = nd - 2; i >= 0; i--) {
      const int64_t idx = r % shape[i];
      r /= shape[i];
      for (int o = 0; o < NOP; o++) off[o] += idx * strides[o][i];
    }
  }
};

/** Elements below which elementwise work stays on the calling thread. */
constexpr int64_t kParallelGrain = 32768;

/**
 * Calls fn(rowIndex, offsets[NOP], len) for every row of the walk (or piece of a long row: then the offsets
 * point at the piece and len is its length), split over threads when the total exceeds kParallelGrain
 * elements. Offsets advance by an odometer within a thread's range, so there is no division per row.
 */
template <int NOP, typename F>
void forEachRow(const Walk<NOP>& w, F&& fn) {
  const int64_t rows = w.rows(), len = w.rowLen();
  // rows longer than a grain are cut into pieces, so a few long rows still spread over the threads
  const int64_t pieces = len > 2 * kParallelGrain ? (len + kParallelGrain - 1) / kParallelGrain : 1;
  const int64_t pieceLen = (len + pieces - 1) / pieces;
  const int64_t units = rows * pieces;
  const int64_t grain = pieces > 1 ? 1 : std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, len));
  parallelFor(units, grain, [&](int64_t b, int64_t e, int) {
    if (pieces > 1) {
      for (int64_t u = b; u < e; u++) {
        const int64_t r = u / pieces, j0 = (u % pieces) * pieceLen, n = std::min(pieceLen, len - j0);
        int64_t off[NOP];
        w.rowOffsets(r, off);
        for (int o = 0; o < NOP; o++) off[o] += j0 * w.innerStride(o);
        fn(r, off, n);
      }
      return;
    }
    int64_t off[NOP], idx[kMaxDims];
    w.rowOffsets(b, off);
    int64_t rem = b;
    for (int i = w.nd - 2; i >= 0; i--) {
      idx[i] = rem % w.shape[i];
      rem /= w.shape[i];
    }
    for (int64_t r = b; r < e; r++) {
      fn(r, off, len);
      for (int i = w.nd - 2; i >= 0; i--) {
        for (int o = 0; o < NOP; o++) off[o] += w.strides[o][i];
        if (++idx[i] < w.shape[i]) break;
        for (int o = 0; o < NOP; o++) off[o] -= w.strides[o][i] * w.shape[i];
        idx[i] = 0;
      }
    }
  });
}

}  // namespace tessera
