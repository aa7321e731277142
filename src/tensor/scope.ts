// Memory scopes: `tidy(fn)` frees, as soon as fn returns, the storage of every tensor fn created that its
// result does not reach. JavaScript has no reference counts, so without scopes an intermediate's device
// memory waits for a garbage collection; on the native backends each forward pass would then allocate
// hundreds of MB before the next collection, and collections that large cost real time.
// Only scopes opened while gradients are off track anything: with autograd recording, backward closures
// hold intermediates that no result reaches, so nothing may be freed early.
import { isGradEnabled } from '../autograd/engine.js';
import type { Backend, Storage } from '../backend/backend.js';

interface Scope {
  /** Storages born inside this scope (not yet handed to an outer one), with the backend that frees them. */
  owned: Map<Storage, Backend>;
}

/** The open scopes, innermost last; a null entry is a scope opened with gradients on (tracks nothing). */
const scopes: (Scope | null)[] = [];
/** Storages marked long-lived (parameters, gradients, optimizer state, caches): never freed by a scope. */
const pinned = new WeakSet<Storage>();

/** Anything holding tensors: checked structurally, so this file needs no Tensor import. */
interface TensorLike {
  storage: Storage;
  layout: unknown;
  backend: Backend;
  grad?: TensorLike | null;
}

function isTensorLike(v: object): v is TensorLike {
  return 'storage' in v && 'layout' in v && 'backend' in v;
}

/** @internal Called for every fresh storage wrapped in a tensor: the innermost tracking scope owns it. */
export function trackStorage(storage: Storage, backend: Backend): void {
  const top = scopes.length ? scopes[scopes.length - 1] : null;
  if (top && !pinned.has(storage)) top.owned.set(storage, backend);
}

/**
 * Marks a tensor's storage as long-lived: no scope frees it, whichever scope created it. Parameters,
 * buffers, gradients and optimizer state are kept automatically; call this for a tensor made inside
 * `tidy` that is stored somewhere its result does not reach (a cache on a module, say). Returns t.
 */
export function keep<T extends { storage: Storage }>(t: T): T {
  pinned.add(t.storage);
  for (const s of scopes) s?.owned.delete(t.storage);
  return t;
}

/** Storages of the tensors reachable from v through arrays, Maps, Sets and object fields. */
function reachableStorages(v: unknown, out: Set<Storage>, seen: Set<object>, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 8 || seen.has(v)) return;
  seen.add(v);
  if (ArrayBuffer.isView(v)) return;
  if (isTensorLike(v)) {
    out.add(v.storage);
    if (v.grad) out.add(v.grad.storage);
    return;
  }
  if (Array.isArray(v) || v instanceof Set) {
    for (const x of v) reachableStorages(x, out, seen, depth + 1);
  } else if (v instanceof Map) {
    for (const x of v.values()) reachableStorages(x, out, seen, depth + 1);
  } else {
    for (const x of Object.values(v)) reachableStorages(x, out, seen, depth + 1);
  }
}

/**
 * Runs fn and then frees the memory of every tensor created inside it that its result does not reach
 * (through arrays, Maps, Sets and object fields), like TensorFlow.js's tidy. Tensors the result reaches
 * pass to the enclosing scope, if any. Using a freed tensor afterwards throws a clear error.
 *
 * Only tracks while gradients are off (inside `noGrad`): with autograd recording it just runs fn, since
 * the graph's backward closures hold intermediates no result reaches. If fn throws, nothing is freed.
 * The models' forward passes open scopes themselves when gradients are off, so inference frees its
 * intermediates at once without any call to this.
 */
export function tidy<T>(fn: () => T): T {
  return runScope(fn, !isGradEnabled());
}

/**
 * A scope for one training (micro-)step that tracks even with autograd on: runs fn, then frees every tensor
 * fn created that its result does not reach, like `tidy`. fn must finish its graph (run backward) before it
 * returns, so that no backward closure needs what the scope frees. Gradients, parameters and optimizer
 * state are kept as always. What the Trainer runs each micro-batch in; a hand-written loop gets its
 * activations back at once (instead of at the next garbage collection) the same way:
 *
 * ```ts
 * const lossValue = stepScope(() => {
 *   const loss = model.forward(batch, { labels }).loss!;
 *   loss.backward();
 *   return loss.item();
 * });
 * optimizer.step();
 * optimizer.zeroGrad();
 * ```
 */
export function stepScope<T>(fn: () => T): T {
  return runScope(fn, true);
}

function runScope<T>(fn: () => T, track: boolean): T {
  const scope: Scope | null = track ? { owned: new Map() } : null;
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (scope && scope.owned.size) {
    const reached = new Set<Storage>();
    reachableStorages(result, reached, new Set(), 0);
    const parent = scopes.length ? scopes[scopes.length - 1] : null;
    for (const [storage, backend] of scope.owned) {
      if (pinned.has(storage)) continue;
      if (reached.has(storage)) parent?.owned.set(storage, backend);
      else backend.release?.(storage);
    }
  }
  return result;
}

/**
 * @internal Frees `dead` now when the innermost tracking scope owns its storage and no tensor in `alive`
 * shares it: for a layer loop dropping the previous hidden state. Does nothing with gradients on.
 */
export function releaseOwned(dead: { storage: Storage }, ...alive: { storage: Storage }[]): void {
  // with autograd recording the graph may still need it (a step scope tracks then, but frees only at its end)
  if (isGradEnabled()) return;
  const top = scopes.length ? scopes[scopes.length - 1] : null;
  const backend = top?.owned.get(dead.storage);
  if (!top || !backend || alive.some((t) => t.storage === dead.storage)) return;
  top.owned.delete(dead.storage);
  backend.release?.(dead.storage);
}

/** Runs fn in a `tidy` scope when gradients are off (inference), else plainly: what model forwards use. */
export function inferenceScope<T>(fn: () => T): T {
  return isGradEnabled() ? fn() : tidy(fn);
}
