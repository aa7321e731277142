// GEMM benchmark of the native cpu backend: f32 GFLOP/s for square sizes 64..4096 on one thread and on all
// threads, next to the FP32 FMA peak computed for this machine (cores x measured clock x FMA units x lanes
// x 2); with --bf16, bfloat16 operands too (AVX512-BF16 where present); then f32 model shapes, x @ W^T with
// W stored (out, in) and optionally the bias + activation epilogue (default: a BERT encoder's linear layers
// at batch 32 x 128 tokens, hidden 256, intermediate 1024). Prints tables and writes JSON.
//   node dist/bench/gemm.js [--sizes 64,128,...] [--shapes MxKxN[:gelu|geluTanh|relu],...] [--threads N] [--bf16]
//                           [--out FILE (default bench-gemm.json)]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { contiguousLayout, type Activation, type Backend, type Layout } from '../src/backend/backend.js';
import { getNumThreads, measureFmaPeak, nativeAvailable, nativeInfo, setNumThreads } from '../src/backend/cpu/index.js';
import { getBackend } from '../src/backend/registry.js';
import { TesseraError } from '../src/errors.js';

/** The rates of one timed GEMM on `threads` threads. */
interface Rates {
  threads: number;
  /** 2 M N K / wall time. */
  gflops: number;
  /** Fraction of the FP32 FMA peak of `threads` cores. */
  ofPeak: number;
  msPerGemm: number;
  /** 2 M N K / (CPU time / threads): the rate on `threads` cores of its own, unaffected by other processes. */
  gflopsCpu: number;
  ofPeakCpu: number;
}

/** One square GEMM of size n. */
export interface GemmRow extends Rates {
  dtype: 'float32' | 'bfloat16';
  n: number;
}

/** One model-shaped GEMM: C(M, N) = act(A(M, K) @ W^T + bias) with W stored (N, K). */
export interface ShapeRow extends Rates {
  m: number;
  k: number;
  n: number;
  /** 'none' without a bias; otherwise the activation applied after the bias. */
  epilogue: Activation;
}

export interface GemmBenchResult {
  bench: 'gemm';
  isa: string;
  kernel: string;
  bf16Kernel: string;
  cores: number;
  ghz: number;
  fmaUnits: number;
  lanes: number;
  peakGflopsPerCore: number;
  /** All cores busy: per-core clock measured with every thread running FMAs at once. */
  ghzAllCores: number;
  peakGflopsAllCores: number;
  peakFormula: string;
  peakFormulaAllCores: string;
  /** 1-minute load average of the machine when the run ended (other processes competing for the cores). */
  loadAverage: number;
  rows: GemmRow[];
  shapes: ShapeRow[];
}

const DEFAULT_SHAPES = '4096x256x256,4096x256x1024:gelu,4096x1024x256,4096x256x1024';

/** Parses --shapes: MxKxN with an optional :activation (bias + activation epilogue). */
export function parseShapes(text: string): { m: number; k: number; n: number; epilogue: Activation }[] {
  return text.split(',').map((item) => {
    const match = /^(\d+)x(\d+)x(\d+)(?::(gelu|geluTanh|relu))?$/.exec(item.trim());
    if (!match || [match[1], match[2], match[3]].some((v) => Number(v) <= 0))
      throw new TesseraError(`bench gemm: --shapes entries are MxKxN[:gelu|geluTanh|relu] with positive sizes, got '${item}'`);
    return { m: Number(match[1]), k: Number(match[2]), n: Number(match[3]), epilogue: (match[4] ?? 'none') as Activation };
  });
}

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * Wall and CPU milliseconds per GEMM, each the best over samples of at least 25 ms (after a warm-up). CPU time
 * is the process's (all its threads): on a machine shared with other work, wall time counts the moments our
 * threads wait for a core, CPU time does not.
 */
function timeGemm(be: Backend, n: number, dtype: 'float32' | 'bfloat16'): { wallMs: number; cpuMs: number } {
  const fill = new Float32Array(n * n);
  for (let i = 0; i < fill.length; i++) fill[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const l = contiguousLayout([n, n]);
  const f = be.fromHost(fill, 'float32');
  const a = dtype === 'float32' ? f : be.copy(f, l, dtype), b = a;
  const result = bestOf(() => be.release?.(be.matmul(a, l, b, l)));
  be.release?.(a);
  if (a !== f) be.release?.(f);
  return result;
}

/** x (m, k) @ W^T for W stored (n, k), with a bias and `act` unless act is 'none'; times as timeGemm. */
function timeShape(be: Backend, m: number, k: number, n: number, act: Activation): { wallMs: number; cpuMs: number } {
  const fill = (count: number) => {
    const f = new Float32Array(count);
    for (let i = 0; i < count; i++) f[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    return be.fromHost(f, 'float32');
  };
  const x = fill(m * k), w = fill(n * k), bias = fill(n);
  const xl = contiguousLayout([m, k]), wt: Layout = { shape: [k, n], strides: [1, k], offset: 0 };
  const epilogue = act === 'none' ? undefined : { bias, activation: act };
  const result = bestOf(() => be.release?.(be.matmul(x, xl, w, wt, epilogue)));
  for (const s of [x, w, bias]) be.release?.(s);
  return result;
}

function bestOf(once: () => void): { wallMs: number; cpuMs: number } {
  once();
  let wallMs = Infinity, cpuMs = Infinity, spent = 0, samples = 0;
  while (samples < 3 || (spent < 600 && samples < 50)) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    let runs = 0;
    do {
      once();
      runs++;
    } while (performance.now() - t0 < 25);
    const wall = performance.now() - t0, cpu = process.cpuUsage(c0);
    wallMs = Math.min(wallMs, wall / runs);
    cpuMs = Math.min(cpuMs, (cpu.user + cpu.system) / 1000 / runs);
    spent += wall;
    samples++;
  }
  return { wallMs, cpuMs };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<GemmBenchResult> {
  if (!nativeAvailable()) {
    // getBackend gives the reason as a TesseraError
    getBackend('cpu');
    throw new TesseraError('bench gemm: the native cpu backend is unavailable');
  }
  const sizes = (option(argv, '--sizes') ?? '64,128,256,512,1024,2048,4096').split(',').map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s <= 0)) throw new TesseraError(`bench gemm: --sizes must be positive integers, got '${option(argv, '--sizes')}'`);
  const out = option(argv, '--out') ?? 'bench-gemm.json';
  const shapeList = parseShapes(option(argv, '--shapes') ?? DEFAULT_SHAPES);
  const be = getBackend('cpu');
  const allThreads = Number(option(argv, '--threads') ?? getNumThreads());
  const before = measureFmaPeak();
  const info = nativeInfo();
  const rows: GemmRow[] = [];
  const shapes: ShapeRow[] = [];
  const perCore = { value: before.peakGflopsPerCore };
  const previousThreads = getNumThreads();
  setNumThreads(allThreads);
  const allCore = allThreads > 1 ? measureFmaPeak(allThreads) : before;
  setNumThreads(previousThreads);
  const peakOf = (threads: number) => (threads > 1 ? allCore.peakGflopsPerCore * threads : perCore.value);
  const previous = getNumThreads();
  try {
    const dtypes = argv.includes('--bf16') ? (['float32', 'bfloat16'] as const) : (['float32'] as const);
    for (const dtype of dtypes) for (const n of sizes) {
      for (const threads of allThreads > 1 ? [1, allThreads] : [1]) {
        setNumThreads(threads);
        const { wallMs, cpuMs } = timeGemm(be, n, dtype);
        const gflops = (2 * n ** 3) / (wallMs * 1e6), gflopsCpu = (2 * n ** 3) / ((cpuMs / threads) * 1e6);
        const peakT = peakOf(threads);
        rows.push({ dtype, n, threads, gflops, ofPeak: gflops / peakT, msPerGemm: wallMs, gflopsCpu, ofPeakCpu: gflopsCpu / peakT });
        console.log(`${dtype === 'float32' ? 'f32 ' : 'bf16'} gemm ${String(n).padStart(5)}  ${threads} thread${threads > 1 ? 's' : ' '}  ${gflops.toFixed(1).padStart(7)} GFLOP/s ${(100 * gflops / peakT).toFixed(1).padStart(5)}% of peak` +
          `   (per CPU-second: ${gflopsCpu.toFixed(1).padStart(7)} GFLOP/s ${(100 * gflopsCpu / peakT).toFixed(1).padStart(5)}%)`);
      }
    }
    for (const { m, k, n, epilogue } of shapeList) {
      for (const threads of allThreads > 1 ? [1, allThreads] : [1]) {
        setNumThreads(threads);
        const { wallMs, cpuMs } = timeShape(be, m, k, n, epilogue);
        const flops = 2 * m * k * n, gflops = flops / (wallMs * 1e6), gflopsCpu = flops / ((cpuMs / threads) * 1e6);
        const peakT = peakOf(threads);
        shapes.push({ m, k, n, epilogue, threads, gflops, ofPeak: gflops / peakT, msPerGemm: wallMs, gflopsCpu, ofPeakCpu: gflopsCpu / peakT });
        const name = `${m}x${k}x${n} W^T${epilogue === 'none' ? '' : ` +bias+${epilogue}`}`;
        console.log(`f32 ${name.padEnd(30)} ${threads} thread${threads > 1 ? 's' : ' '}  ${wallMs.toFixed(3).padStart(8)} ms ${gflops.toFixed(1).padStart(7)} GFLOP/s ${(100 * gflops / peakT).toFixed(1).padStart(5)}% of peak` +
          `   (per CPU-second: ${gflopsCpu.toFixed(1).padStart(7)} GFLOP/s ${(100 * gflopsCpu / peakT).toFixed(1).padStart(5)}%)`);
      }
    }
  } finally {
    setNumThreads(previous);
  }
  const after = measureFmaPeak();
  // the clock of a shared or turbo-boosting machine moves: the peak is the higher of the two measurements
  const peak = after.peakGflopsPerCore > before.peakGflopsPerCore ? after : before;
  perCore.value = peak.peakGflopsPerCore;
  for (const r of [...rows, ...shapes]) {
    r.ofPeak = r.gflops / peakOf(r.threads);
    r.ofPeakCpu = r.gflopsCpu / peakOf(r.threads);
  }
  const result: GemmBenchResult = {
    bench: 'gemm', isa: info.isa, kernel: info.gemmKernel, bf16Kernel: info.bf16GemmKernel, cores: allThreads, ghz: peak.ghz, fmaUnits: peak.fmaUnits, lanes: peak.lanes,
    peakGflopsPerCore: peak.peakGflopsPerCore, ghzAllCores: allCore.ghz, peakGflopsAllCores: peakOf(allThreads),
    peakFormula: `1 core x ${peak.ghz.toFixed(2)} GHz x ${peak.fmaUnits} FMA units x ${peak.lanes} lanes x 2 = ${peak.peakGflopsPerCore.toFixed(1)} GFLOP/s`,
    peakFormulaAllCores: `${allThreads} cores x ${allCore.ghz.toFixed(2)} GHz (all busy) x ${peak.fmaUnits} FMA units x ${peak.lanes} lanes x 2 = ${peakOf(allThreads).toFixed(1)} GFLOP/s`,
    loadAverage: loadavg()[0]!,
    rows,
    shapes,
  };
  console.log(`peak: ${result.peakFormula} (clock measured ${before.ghz.toFixed(2)} GHz before, ${after.ghz.toFixed(2)} GHz after); ` +
    `${result.peakFormulaAllCores}; load average ${result.loadAverage.toFixed(2)}`);
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${out}`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`tessera: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    process.exit(1);
  });
}
