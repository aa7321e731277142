// Clock and FMA-throughput probes behind the GEMM benchmark's computed peak.
#include "cpu_probe.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>

#include "cpu_features.h"
#include "threadpool.h"

#include <vector>

namespace tessera {

double threadCpuSeconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
#else
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
#endif
}

namespace {

double measureGhz() {
#if defined(__x86_64__)
  // warm up the core to its sustained clock, then time 4 dependent adds per iteration (1 cycle each)
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    uint64_t x = 0, one = 1;
    const uint64_t n = 100000000ULL;
    const double t0 = threadCpuSeconds();
    // register-register adds: some cores fold chains of add-immediate in the renamer, never these
    for (uint64_t i = 0; i < n; i++) asm volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0" : "+r"(x) : "r"(one));
    const double s = threadCpuSeconds() - t0;
    best = std::fmax(best, 4.0 * n / s / 1e9);
  }
  return best;
#else
  return 0;
#endif
}

}  // namespace

PeakEstimate estimatePeak() {
  PeakEstimate p{};
  p.ghz = measureGhz();
  const Isa isa = activeIsa();
  p.lanes = isa == Isa::Avx512 ? 16 : (isa == Isa::Avx2 ? 8 : 4);
#ifdef TESSERA_HAVE_AVX512
  if (isa == Isa::Avx512) p.probeGflops = fmaProbeAvx512(0.3);
#endif
#ifdef TESSERA_HAVE_AVX2
  if (isa == Isa::Avx2) p.probeGflops = fmaProbeAvx2(0.3);
#endif
  if (p.ghz > 0 && p.probeGflops > 0) {
    p.fmaUnits = static_cast<int>(std::lround(p.probeGflops / (p.ghz * p.lanes * 2)));
    if (p.fmaUnits < 1) p.fmaUnits = 1;
  } else {
    p.fmaUnits = 1;
  }
  p.peakGflopsPerCore = p.ghz * p.fmaUnits * p.lanes * 2;
  return p;
}

PeakEstimate estimatePeakConcurrent(int threads) {
  PeakEstimate one = estimatePeak();
  if (threads <= 1 || one.probeGflops <= 0) return one;
  const Isa isa = activeIsa();
  std::vector<double> rates(threads, 0.0);
  parallelRun(threads, [&](int t) {
#ifdef TESSERA_HAVE_AVX512
    if (isa == Isa::Avx512) rates[t] = fmaProbeAvx512(0.3);
#endif
#ifdef TESSERA_HAVE_AVX2
    if (isa == Isa::Avx2) rates[t] = fmaProbeAvx2(0.3);
#endif
    (void)isa;
  });
  double total = 0;
  for (double r : rates) total += r;
  PeakEstimate all = one;
  all.probeGflops = total;
  all.ghz = total / (threads * one.fmaUnits * one.lanes * 2.0);
  all.peakGflopsPerCore = all.ghz * one.fmaUnits * one.lanes * 2;
  return all;
}

}  // namespace tessera
