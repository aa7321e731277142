// Loads the native addon (build/native/tessera_native.node) once, on first use. When it is missing or fails
// to load, loadAddon throws a TesseraError saying why (from the build's status file when there is one) and
// Tessera prints one warning and runs on cpu-js.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TesseraError } from '../../errors.js';
import { builtAddonPath } from '../native-codes.js';

/** An opaque native storage handle (a Node-API external). */
export type Handle = object;

/** The functions the addon exports (native/src/ops_*.cc, fused_*.cc). */
export interface NativeAddon {
  init(errorClass: typeof TesseraError): void;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  setIsa(name: string): void;
  info(): { isa: string; gemmKernel: string; bf16GemmKernel: string; threads: number; avx2Fma: boolean; avx512f: boolean; avx512bf16: boolean; builtIsas: string };
  peak(threads?: number): { ghz: number; lanes: number; fmaUnits: number; probeGflops: number; peakGflopsPerCore: number };
  zeros(dtype: number, length: number): Handle;
  full(dtype: number, length: number, value: number): Handle;
  arange(dtype: number, start: number, step: number, length: number): Handle;
  fromHost(data: ArrayBufferView, dtype: number): Handle;
  toHost(h: Handle, layout: Float64Array): ArrayBuffer;
  copy(h: Handle, layout: Float64Array, dtype: number): Handle;
  copyInto(dst: Handle, dstLayout: Float64Array, src: Handle, srcLayout: Float64Array): void;
  release(h: Handle): void;
  isReleased(h: Handle): boolean;
  liveBytes(): number;
  cachedBytes(): number;
  emptyCache(): void;
  matmul(a: Handle, al: Float64Array, b: Handle, bl: Float64Array, bias: Handle | null, act: number): Handle;
  map(op: number, x: Handle, l: Float64Array, a: number, b: number): Handle;
  binary(op: number, a: Handle, al: Float64Array, b: Handle, bl: Float64Array): Handle;
  where(c: Handle, cl: Float64Array, a: Handle, al: Float64Array, b: Handle, bl: Float64Array): Handle;
  reduce(op: number, x: Handle, l: Float64Array, axes: Float64Array): Handle;
  indexSelect(x: Handle, l: Float64Array, axis: number, index: Handle, il: Float64Array): Handle;
  indexAdd(shape: Float64Array, axis: number, index: Handle, il: Float64Array, src: Handle, sl: Float64Array): Handle;
  gather(x: Handle, l: Float64Array, axis: number, index: Handle, il: Float64Array): Handle;
  scatterAdd(shape: Float64Array, axis: number, index: Handle, il: Float64Array, src: Handle, sl: Float64Array): Handle;
  unfold(x: Handle, l: Float64Array, kernel: Float64Array, stride: Float64Array, padding: Float64Array): Handle;
  fold(cols: Handle, shape: Float64Array, kernel: Float64Array, stride: Float64Array, padding: Float64Array): Handle;
  manualSeed(seed: number): void;
  random(kind: number, length: number, a: number, b: number): Handle;
  getRngState(): number[];
  setRngState(state: Float64Array): void;
  softmax(x: Handle, rows: number, n: number, log: boolean): Handle;
  softmaxBackward(y: Handle, dy: Handle, rows: number, n: number, log: boolean): Handle;
  layerNorm(x: Handle, w: Handle | null, b: Handle | null, rows: number, n: number, eps: number): [Handle, Handle, Handle];
  addLayerNorm(x: Handle, residual: Handle, w: Handle | null, b: Handle | null, rows: number, n: number, eps: number): Handle;
  layerNormBackward(dy: Handle, x: Handle, w: Handle | null, mean: Handle, rstd: Handle, rows: number, n: number): [Handle, Handle | null, Handle];
  crossEntropy(logits: Handle, targets: Handle, rows: number, n: number, ignoreIndex: number, smoothing: number): [Handle, Handle];
  crossEntropyBackward(logits: Handle, targets: Handle, lse: Handle, dl: Handle, rows: number, n: number, ignoreIndex: number, smoothing: number): Handle;
  attention(q: Handle, k: Handle, v: Handle, B: number, H: number, Tq: number, Tk: number, D: number,
    mask: Handle | null, maskLayout: Float64Array | null, causal: boolean, scale: number, dropoutP: number, keepProbs: boolean,
    layouts?: Float64Array | null, outBthd?: boolean): [Handle, Handle | null, Handle | null];
  attentionBackward(q: Handle, k: Handle, v: Handle, B: number, H: number, Tq: number, Tk: number, D: number,
    probs: Handle, keep: Handle | null, dropoutP: number, scale: number, dout: Handle, causal: boolean,
    layouts?: Float64Array | null): [Handle, Handle, Handle];
  adamw(p: Handle, g: Handle, m: Handle, v: Handle, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;
  lstmCell(gates: Handle, cPrev: Handle, B: number, H: number): [Handle, Handle];
  lstmCellBackward(gates: Handle, cPrev: Handle, c: Handle, dh: Handle, dc: Handle, B: number, H: number): [Handle, Handle];
}

let addon: NativeAddon | null = null;
let failure: string | null = null;
let warned = false;

/** Where the addon is expected: TESSERA_NATIVE_ADDON, else build/native/tessera_native.node in the package. */
export function addonPath(): string | null {
  return builtAddonPath('tessera_native.node', 'TESSERA_NATIVE_ADDON');
}

function whyMissing(path: string): string {
  const status = join(dirname(path), 'status.json');
  if (existsSync(status)) {
    try {
      const s = JSON.parse(readFileSync(status, 'utf8')) as { ok?: boolean; reason?: string };
      if (s.ok === false && s.reason) return `the native build failed: ${s.reason}`;
    } catch {
      // fall through to the generic reason
    }
  }
  return `${path} is not built (run: node scripts/build-native.mjs --strict)`;
}

function tryLoad(): NativeAddon {
  if (process.env.TESSERA_NO_NATIVE) throw new Error('TESSERA_NO_NATIVE is set');
  const path = addonPath();
  if (!path) throw new Error('the Tessera package root was not found');
  if (!existsSync(path)) throw new Error(whyMissing(path));
  const require = createRequire(import.meta.url);
  const mod = require(path) as NativeAddon;
  mod.init(TesseraError);
  return mod;
}

/** The addon, or a TesseraError saying why it is unavailable (with one warning on stderr, the first time). */
export function loadAddon(): NativeAddon {
  if (addon) return addon;
  if (failure === null) {
    try {
      addon = tryLoad();
      return addon;
    } catch (err) {
      failure = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    }
  }
  if (!warned && !process.env.TESSERA_NO_NATIVE) {
    warned = true;
    process.stderr.write(`tessera: warning: native cpu backend unavailable (${failure}); running on cpu-js\n`);
  }
  throw new TesseraError(`device 'cpu' is unavailable: ${failure}`);
}

/** True when the addon loads (never warns). */
export function nativeAvailable(): boolean {
  if (addon) return true;
  if (failure !== null) return false;
  try {
    addon = tryLoad();
    return true;
  } catch (err) {
    failure = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return false;
  }
}
