// Mixed-precision autocast, as torch.autocast: inside withAutocast('bfloat16', fn), matmuls, linear layers
// and attention run in bf16 (their inputs are cast, their outputs are bf16) while parameters stay float32
// masters and everything else (norms, softmax, losses, reductions, the optimizer) keeps float32. Only
// backends that compute in the half type take part (cuda); elsewhere the scope changes nothing.
import type { Backend } from '../backend/backend.js';
import { TesseraError } from '../errors.js';
import { isFloat, type DType } from './dtype.js';

export type AutocastDType = 'bfloat16' | 'float16';

let active: AutocastDType | null = null;

/** Runs fn with autocast on (matmuls and attention in `dtype`), restoring the previous state after. */
export function withAutocast<T>(dtype: AutocastDType, fn: () => T): T {
  if (dtype !== 'bfloat16' && dtype !== 'float16') throw new TesseraError(`autocast: dtype must be 'bfloat16' or 'float16', got '${dtype as string}'`);
  const prev = active;
  active = dtype;
  try {
    return fn();
  } finally {
    active = prev;
  }
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
