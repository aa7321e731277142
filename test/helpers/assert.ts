// Numeric assertions with stated tolerances: |a - e| <= atol + rtol * |e| for every element.
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/index.js';

export function assertClose(actual: Tensor | ArrayLike<number>, expected: Tensor | ArrayLike<number>, opts: { atol?: number; rtol?: number; name?: string } = {}): void {
  const atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 0;
  const a = 'toArray' in actual ? (actual as Tensor).toArray() : actual;
  const e = 'toArray' in expected ? (expected as Tensor).toArray() : expected;
  if ('shape' in actual && 'shape' in expected) {
    assert.deepEqual((actual as Tensor).shape, (expected as Tensor).shape, `${opts.name ?? 'tensor'}: shape`);
  }
  assert.equal(a.length, e.length, `${opts.name ?? 'tensor'}: length ${a.length} vs ${e.length}`);
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]), y = Number(e[i]);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    const err = Math.abs(x - y) - rtol * Math.abs(y);
    if (!(err <= atol) && (err > worst || Number.isNaN(err))) {
      worst = Number.isNaN(err) ? Infinity : err;
      at = i;
    }
  }
  if (at >= 0) assert.fail(`${opts.name ?? 'tensor'}: element ${at} is ${a[at]}, expected ${e[at]} (atol ${atol}, rtol ${rtol})`);
}

/** Largest |a - e| over all elements. */
export function maxAbs(a: Tensor, e: Tensor): number {
  const x = a.toArray(), y = e.toArray();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** The largest |a - e| / (atol + rtol |e|): 1 means an element sits at the tolerance. */
export function toleranceShare(a: Tensor, e: Tensor, atol: number, rtol: number): number {
  const x = a.toArray(), y = e.toArray();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!) / (atol + rtol * Math.abs(y[i]!)));
  return m;
}
