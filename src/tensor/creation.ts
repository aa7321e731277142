// Tensor factories: zeros, ones, full, arange, rand, randn, and the global seed.
import { numel } from '../backend/backend.js';
import { getBackend, registeredKinds } from '../backend/registry.js';
import { TesseraError } from '../errors.js';
import type { DType } from './dtype.js';
import { Tensor, type TensorOptions } from './tensor.js';

function make(shape: readonly number[], opts: TensorOptions, fill: (n: number) => ReturnType<ReturnType<typeof getBackend>['zeros']>, backendDevice?: string): Tensor {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new TesseraError(`invalid shape [${shape.join(', ')}]`);
  const backend = getBackend(backendDevice ?? opts.device);
  const t = Tensor.fromStorage(fill(numel(shape)), shape, backend);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

export function zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return make(shape, opts, (n) => getBackend(opts.device).zeros(opts.dtype ?? 'float32', n));
}

export function ones(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  return make(shape, opts, (n) => getBackend(opts.device).full(opts.dtype ?? 'float32', n, value));
}

/** start, start+step, ... below end (torch.arange); int64 when all arguments are integers, as torch. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new TesseraError('arange: step must be non-zero');
  const n = Math.max(0, Math.ceil((e - s) / step));
  const dtype: DType = opts.dtype ?? (Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step) ? 'int64' : 'float32');
  return make([n], opts, (len) => getBackend(opts.device).arange(dtype, s, step, len));
}

/** Uniform in [0, 1) from the device's seeded generator. */
export function rand(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return uniform(shape, 0, 1, opts);
}

export function uniform(shape: readonly number[], low: number, high: number, opts: TensorOptions = {}): Tensor {
  const t = make(shape, { ...opts, requiresGrad: false }, (n) => getBackend(opts.device).random('uniform', n, low, high));
  const out = opts.dtype && opts.dtype !== 'float32' ? t.to(opts.dtype) : t;
  if (opts.requiresGrad) out.requiresGrad_(true);
  return out;
}

/** Standard normal from the device's seeded generator. */
export function randn(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return normal(shape, 0, 1, opts);
}

export function normal(shape: readonly number[], mean: number, std: number, opts: TensorOptions = {}): Tensor {
  const t = make(shape, { ...opts, requiresGrad: false }, (n) => getBackend(opts.device).random('normal', n, mean, std));
  const out = opts.dtype && opts.dtype !== 'float32' ? t.to(opts.dtype) : t;
  if (opts.requiresGrad) out.requiresGrad_(true);
  return out;
}

/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return uniform(shape, low, high, { device: opts.device }).floor().clamp(low, high - 1).to(opts.dtype ?? 'int64');
}

/** Seeds the generator of every device (the default one, and any already created). */
export function manualSeed(seed: number): void {
  for (const kind of registeredKinds()) {
    try {
      getBackend(kind).manualSeed(seed);
    } catch {
      // a device that is unavailable here has no generator to seed
    }
  }
}

export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}

export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
