// Loads the CUDA addon (build/native/tessera_cuda.node) once, on first use, and says why when it cannot:
// not built, failed to load (no CUDA libraries), no driver, no device. The cuda device is then reported
// unavailable and everything else keeps working.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TesseraError } from '../../errors.js';
import { builtAddonPath } from '../native-codes.js';

/** An opaque device storage handle (a Node-API external). */
export type Handle = object;

/** The functions native/cuda exports (see native/cuda/ops.h). `dev` is the device index. */
export interface CudaAddon {
  init(errorClass: typeof TesseraError): { deviceCount: number; reason: string; runtimeVersion: number; driverVersion: number };
  deviceInfo(dev: number): { name: string; totalMemory: number; multiProcessors: number; computeCapability: string; sharedMemoryPerBlockOptin: number };
  memoryStats(dev: number): { inUse: number; cached: number; peak: number; mallocs: number; cacheHits: number; synchronizations: number };
  emptyCache(dev: number): void;
  counters(dev: number): Float64Array;
  collected(dev: number): void;
  release(h: Handle): void;
  synchronize(dev: number): void;
  diagnosticLaunchFailure(dev: number): void;
  profile(on?: boolean): [string, number, number][];
  zeros(dev: number, dtype: number, length: number): Handle;
  full(dev: number, dtype: number, length: number, value: number): Handle;
  arange(dev: number, dtype: number, start: number, step: number, length: number): Handle;
  fromHost(dev: number, data: ArrayBufferView, dtype: number): Handle;
  toHost(h: Handle, layout: Float64Array): ArrayBuffer;
  copy(h: Handle, layout: Float64Array, dtype: number): Handle;
  copyInto(dst: Handle, dstLayout: Float64Array, src: Handle, srcLayout: Float64Array): void;
  map(op: number, x: Handle, l: Float64Array, a: number, b: number): Handle;
  binary(op: number, a: Handle, al: Float64Array, b: Handle, bl: Float64Array): Handle;
  where(c: Handle, cl: Float64Array, a: Handle, al: Float64Array, b: Handle, bl: Float64Array): Handle;
  reduce(op: number, x: Handle, l: Float64Array, axes: Float64Array): Handle;
  matmul(a: Handle, al: Float64Array, b: Handle, bl: Float64Array, bias: Handle | null, act: number, allowTf32: boolean): Handle;
  matmulInfo(): { cublasLtVersion: number };
  indexSelect(x: Handle, l: Float64Array, axis: number, index: Handle, il: Float64Array): Handle;
  indexAdd(dev: number, shape: Float64Array, axis: number, index: Handle, il: Float64Array, src: Handle, sl: Float64Array): Handle;
  gather(x: Handle, l: Float64Array, axis: number, index: Handle, il: Float64Array): Handle;
  scatterAdd(dev: number, shape: Float64Array, axis: number, index: Handle, il: Float64Array, src: Handle, sl: Float64Array): Handle;
  unfold(x: Handle, l: Float64Array, kernel: Float64Array, stride: Float64Array, padding: Float64Array): Handle;
  fold(cols: Handle, shape: Float64Array, kernel: Float64Array, stride: Float64Array, padding: Float64Array): Handle;
  manualSeed(dev: number, seed: number): void;
  random(dev: number, kind: number, length: number, a: number, b: number): Handle;
  getRngState(dev: number): number[];
  setRngState(dev: number, state: Float64Array): void;
  softmax(x: Handle, rows: number, n: number, log: boolean): Handle;
  softmaxBackward(y: Handle, dy: Handle, rows: number, n: number, log: boolean): Handle;
  layerNorm(x: Handle, w: Handle | null, b: Handle | null, rows: number, n: number, eps: number): [Handle, Handle, Handle];
  layerNormBackward(dy: Handle, x: Handle, w: Handle | null, mean: Handle, rstd: Handle, rows: number, n: number): [Handle, Handle | null, Handle];
  addLayerNorm(x: Handle, residual: Handle, w: Handle | null, b: Handle | null, rows: number, n: number, eps: number): Handle;
  crossEntropy(logits: Handle, targets: Handle, rows: number, n: number, ignoreIndex: number, smoothing: number): [Handle, Handle];
  crossEntropyBackward(logits: Handle, targets: Handle, lse: Handle, dl: Handle, rows: number, n: number, ignoreIndex: number, smoothing: number): Handle;
  attention(q: Handle, k: Handle, v: Handle, B: number, H: number, Tq: number, Tk: number, D: number,
    mask: Handle | null, maskLayout: Float64Array | null, causal: boolean, scale: number, dropoutP: number,
    qLayout: Float64Array | null, kLayout: Float64Array | null, vLayout: Float64Array | null, outBthd: boolean, tf32: boolean,
    forBackward: boolean): [Handle, Handle, number, number, number, number, Handle | null];
  attentionBackward(q: Handle, k: Handle, v: Handle, out: Handle, lse: Handle, dout: Handle, B: number, H: number, Tq: number, Tk: number, D: number,
    mask: Handle | null, maskLayout: Float64Array | null, causal: boolean, scale: number, dropoutP: number,
    seedLo: number, seedHi: number, offLo: number, offHi: number,
    qLayout: Float64Array | null, kLayout: Float64Array | null, vLayout: Float64Array | null, outBthd: boolean, tf32: boolean,
    keepBits: Handle | null, gradLayout: number): [Handle, Handle | null, Handle | null, 0 | 1 | 2];
  attentionProbs(q: Handle, k: Handle, lse: Handle, B: number, H: number, Tq: number, Tk: number, D: number,
    mask: Handle | null, maskLayout: Float64Array | null, causal: boolean, scale: number,
    qLayout: Float64Array | null, kLayout: Float64Array | null): Handle;
  adamw(p: Handle, g: Handle, m: Handle, v: Handle, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;
  adamwMulti(handles: Handle[], lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;
  lstmCell(gates: Handle, cPrev: Handle, B: number, H: number): [Handle, Handle];
  lstmCellBackward(gates: Handle, cPrev: Handle, c: Handle, dh: Handle, dc: Handle, B: number, H: number): [Handle, Handle];
}

let addon: CudaAddon | null = null;
let deviceCount = 0;
let failure: string | null = null;

/** Where the addon is expected: TESSERA_CUDA_ADDON, else build/native/tessera_cuda.node in the package. */
export function cudaAddonPath(): string | null {
  return builtAddonPath('tessera_cuda.node', 'TESSERA_CUDA_ADDON');
}

function tryLoad(): CudaAddon {
  if (process.env.TESSERA_NO_CUDA) throw new Error('TESSERA_NO_CUDA is set');
  const path = cudaAddonPath();
  if (!path) throw new Error('the Tessera package root was not found');
  if (!existsSync(path)) {
    throw new Error(`${path} is not built (on a machine with the CUDA toolkit: cmake -S native -B build/cuda -DTESSERA_CUDA=ON && cmake --build build/cuda)`);
  }
  const require = createRequire(import.meta.url);
  let mod: CudaAddon;
  try {
    mod = require(path) as CudaAddon;
  } catch (err) {
    throw new Error(`${path} failed to load (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  const info = mod.init(TesseraError);
  if (info.deviceCount === 0) throw new Error(info.reason || 'no CUDA device was found');
  deviceCount = info.deviceCount;
  return mod;
}

/** The addon for device `index`, or a TesseraError "cuda is unavailable: <why>". */
export function loadCudaAddon(index = 0): CudaAddon {
  const name = index === 0 ? 'cuda' : `cuda:${index}`;
  if (!addon && failure === null) {
    try {
      addon = tryLoad();
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
  }
  if (!addon) throw new TesseraError(`${name} is unavailable: ${failure}`);
  if (index < 0 || index >= deviceCount) {
    throw new TesseraError(`${name} is unavailable: this machine has ${deviceCount} CUDA device${deviceCount === 1 ? '' : 's'}`);
  }
  return addon;
}

/** Number of CUDA devices (0 when the addon or the driver is missing). */
export function cudaDeviceCount(): number {
  try {
    loadCudaAddon(0);
    return deviceCount;
  } catch {
    return 0;
  }
}

/** Why the cuda device is unavailable, or null when it is available. */
export function cudaUnavailableReason(): string | null {
  try {
    loadCudaAddon(0);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
