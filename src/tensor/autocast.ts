// Mixed-precision autocast, as torch.autocast: inside withAutocast('bfloat16', fn), matmuls, linear layers
// and attention run in bf16 (their inputs are cast, their outputs are bf16) while parameters stay float32
// masters and everything else (norms, softmax, losses, reductions, the optimizer) keeps float32. Only
// backends that compute in the half type take part (cuda); elsewhere the scope changes nothing.
// As in torch, the half copies of parameters are cached for the whole outermost scope: a model's weights
// are cast once per scope, not once per use.
import { isGradEnabled } from '../autograd/engine.js';
import type { Backend, Storage } from '../backend/backend.js';
import { TesseraError } from '../errors.js';
import { isFloat, type DType } from './dtype.js';

export type AutocastDType = 'bfloat16' | 'float16';

let active: AutocastDType | null = null;

/** What the cast cache needs of a tensor (structural: this file does not import Tensor). */
interface Castable {
  readonly storage: Storage;
  readonly requiresGrad: boolean;
  readonly isLeaf: boolean;
  readonly version: number;
  readonly gradFn: { freed?: boolean } | null;
  to(dtype: DType): Castable;
}

interface CachedCast {
  storage: Storage;
  version: number;
  dtype: DType;
  /** Whether the copy was made with autograd recording (it then carries the cast's backward). */
  recorded: boolean;
  cast: Castable;
}

/** Half copies of parameters made in the current outermost autocast scope; null outside any scope. */
let castCache: Map<Castable, CachedCast> | null = null;
/**
 * Half copies made without autograd (inference) outlive the scope: a model run again and again under
 * autocast casts its weights once, not once per call. Each stays while its parameter lives and is
 * unchanged; `clearAutocastCache()` drops them all.
 */
let inferenceCasts = new WeakMap<Castable, CachedCast>();

/** Drops the half copies of parameters kept between autocast scopes for inference. */
export function clearAutocastCache(): void {
  inferenceCasts = new WeakMap();
}

/** Runs fn with autocast on (matmuls and attention in `dtype`), restoring the previous state after. */
export function withAutocast<T>(dtype: AutocastDType, fn: () => T): T {
  if (dtype !== 'bfloat16' && dtype !== 'float16') throw new TesseraError(`autocast: dtype must be 'bfloat16' or 'float16', got '${dtype as string}'`);
  const prev = active, outermost = castCache === null;
  active = dtype;
  if (outermost) castCache = new Map();
  try {
    return fn();
  } finally {
    active = prev;
    if (outermost) castCache = null;
  }
}

/**
 * t cast to dtype for an autocast op. Parameters (leaves that require grad) are cast once per outermost
 * autocast scope when autograd records (the copy carries the cast's backward, reused while it can), and
 * once for as long as they are unchanged when it does not (inference); a parameter changed in place or
 * given a new storage is cast again. Anything else is cast each time.
 */
export function autocastOperand<T extends Castable>(t: T, dtype: DType, keepAlive: (c: T) => void): T {
  if (t.storage.dtype === dtype) return t;
  if (!castCache || !t.isLeaf || !t.requiresGrad) return t.to(dtype) as T;
  const recorded = isGradEnabled();
  const hit = recorded ? castCache.get(t) : inferenceCasts.get(t);
  if (hit && hit.storage === t.storage && hit.version === t.version && hit.dtype === dtype && hit.recorded === recorded &&
      !(recorded && hit.cast.gradFn?.freed)) {
    return hit.cast as T;
  }
  const cast = t.to(dtype) as T;
  // the copy outlives the memory scope it was made in (tidy): it belongs to the autocast scope
  keepAlive(cast);
  const entry = { storage: t.storage, version: t.version, dtype, recorded, cast };
  if (recorded) castCache.set(t, entry);
  else inferenceCasts.set(t, entry);
  return cast;
}

/** Runs fn with autocast off (inside an autocast scope, e.g. for a float32 loss). */
export function withoutAutocast<T>(fn: () => T): T {
  const prev = active;
  active = null;
  try {
    return fn();
  } finally {
    active = prev;
  }
}

/** The autocast dtype in effect, or null. */
export function autocastDType(): AutocastDType | null {
  return active;
}

/**
 * The dtype an autocast op should compute in for inputs of these dtypes on this backend: the autocast
 * dtype when autocast is on, the backend computes in it and every input is a float; else null.
 */
export function autocastTarget(backend: Backend, dtypes: readonly DType[]): AutocastDType | null {
  if (!active || !backend.computeDTypes.includes(active)) return null;
  return dtypes.every(isFloat) ? active : null;
}
