// Fork-join pool: workers spin briefly on a generation counter, then sleep on a condition variable; the
// caller spins briefly for the last worker, then sleeps until it signals.
// The calling thread takes chunk 0, so a 1-thread pool runs everything inline with no synchronisation.
#include "threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera {
namespace {

thread_local bool insideParallel = false;

class Pool {
 public:
  explicit Pool(int n) : size_(std::max(1, n)) {
    for (int t = 1; t < size_; t++) workers_.emplace_back([this, t] { loop(t); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int size() const { return size_; }

  void run(int count, const std::function<void(int)>& fn) {
    count = std::min(count, size_);
    if (count <= 1 || insideParallel) {
      for (int t = 0; t < count; t++) fn(t);
      return;
    }
    std::lock_guard<std::mutex> runLock(runMu_);  // one parallel region at a time (JS is single-threaded anyway)
    job_ = &fn;
    jobCount_ = count;
    pending_.store(count - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    insideParallel = true;
    fn(0);
    insideParallel = false;
    // spin briefly (the usual case: workers finish within microseconds), then sleep until the last one
    // signals; on an oversubscribed machine spinning would steal the core from the very worker awaited
    const auto spinUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
      if ((spins & 63) == 63 && std::chrono::steady_clock::now() > spinUntil) break;
    }
    if (pending_.load(std::memory_order_acquire) != 0) {
      std::unique_lock<std::mutex> lock(doneMu_);
      doneCv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    job_ = nullptr;
  }

 private:
  void loop(int t) {
    insideParallel = true;
    // generation 0 is the pool's state at construction: a job published before this thread first runs
    // still counts as new
    uint64_t seen = 0;
    for (;;) {
      // spin a little before sleeping: back-to-back ops (a training step) then start in microseconds
      uint64_t g = seen;
      for (int i = 0; i < 20000; i++) {
        g = generation_.load(std::memory_order_acquire);
        if (g != seen) break;
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        g = generation_.load(std::memory_order_acquire);
      }
      seen = g;
      if (stop_) return;
      if (t < jobCount_) {
        (*job_)(t);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          std::lock_guard<std::mutex> lock(doneMu_);
          doneCv_.notify_one();
        }
      }
    }
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex mu_, runMu_, doneMu_;
  std::condition_variable cv_, doneCv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(int)>* job_ = nullptr;
  int jobCount_ = 0;
  std::atomic<bool> stop_{false};
};

int defaultThreads() {
  const char* env = std::getenv("TESSERA_NUM_THREADS");
  if (env && *env) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(hc) : 1;
}

Pool* pool = nullptr;

Pool& getPool() {
  if (!pool) pool = new Pool(defaultThreads());
  return *pool;
}

}  // namespace

int numThreads() { return getPool().size(); }

void setNumThreads(int n) {
  if (n < 1) n = 1;
  if (pool && pool->size() == n) return;
  delete pool;
  pool = new Pool(n);
}

void parallelRun(int count, const std::function<void(int)>& fn) { getPool().run(count, fn); }

void parallelFor(int64_t n, int64_t grain, const RangeFn& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t chunks = std::min<int64_t>(numThreads(), (n + grain - 1) / grain);
  if (chunks <= 1 || insideParallel) {
    fn(0, n, 0);
    return;
  }
  const int64_t per = n / chunks, extra = n % chunks;
  getPool().run(static_cast<int>(chunks), [&](int t) {
    const int64_t b = t * per + std::min<int64_t>(t, extra);
    const int64_t e = b + per + (t < extra ? 1 : 0);
    fn(b, e, t);
  });
}

void parallelForDynamic(int64_t n, int64_t chunk, const RangeFn& fn) {
  if (n <= 0) return;
  if (chunk < 1) chunk = 1;
  const int64_t chunks = (n + chunk - 1) / chunk;
  const int threads = static_cast<int>(std::min<int64_t>(numThreads(), chunks));
  if (threads <= 1 || insideParallel) {
    fn(0, n, 0);
    return;
  }
  std::atomic<int64_t> next{0};
  getPool().run(threads, [&](int t) {
    for (;;) {
      const int64_t b = next.fetch_add(chunk, std::memory_order_relaxed);
      if (b >= n) return;
      fn(b, std::min(n, b + chunk), t);
    }
  });
}

}  // namespace tessera
