// A fork-join thread pool: parallelFor splits a range over the pool's threads (the caller is thread 0).
// Size comes from TESSERA_NUM_THREADS or the core count and can be changed at run time.
#pragma once
#include <cstdint>
#include <functional>

namespace tessera {

/** fn(begin, end, threadIndex) over [0, n) in contiguous chunks, one per thread; runs inline when nested. */
using RangeFn = std::function<void(int64_t begin, int64_t end, int thread)>;

int numThreads();
void setNumThreads(int n);
/** Runs fn over [0, n) split into at most numThreads() chunks of at least `grain` items each. */
void parallelFor(int64_t n, int64_t grain, const RangeFn& fn);
/**
 * Runs fn over tasks [0, n) that the threads claim one chunk of `chunk` tasks at a time, so a thread the OS
 * parks for a while (a machine shared with other processes) holds up only the chunk it has, while the
 * others take the rest. fn may run several times per thread; `thread` is the index of the thread running it.
 * Use it where the result does not depend on which thread runs which task.
 */
void parallelForDynamic(int64_t n, int64_t chunk, const RangeFn& fn);
/** Runs fn(t) once on each of `count` threads (count <= numThreads()). */
void parallelRun(int count, const std::function<void(int thread)>& fn);

}  // namespace tessera
