// Measures what the FP32 FMA peak formula needs: the core clock (a chain of dependent 1-cycle adds) and
// the sustained FMA throughput of one core with the active ISA's widest vectors.
#pragma once

namespace tessera {

struct PeakEstimate {
  double ghz;          // measured core clock under load
  int lanes;           // f32 lanes per vector of the active ISA
  int fmaUnits;        // vector FMAs retired per cycle, rounded from the throughput probe
  double probeGflops;  // what the FMA loop reached on one core
  double peakGflopsPerCore;  // ghz * fmaUnits * lanes * 2
};

PeakEstimate estimatePeak();
/**
 * The same with `threads` cores busy at once (all-core clocks are lower, notably under AVX-512): every thread
 * runs the FMA loop; ghz is derived from the summed rate with the single-core FMA unit count.
 */
PeakEstimate estimatePeakConcurrent(int threads);
/** Seconds of CPU time this thread has run (so probes are not skewed by other processes sharing the core). */
double threadCpuSeconds();
/** Sustained GFLOP/s of independent FMA chains, one thread (per ISA file). */
double fmaProbeAvx512(double seconds);
double fmaProbeAvx2(double seconds);

}  // namespace tessera
