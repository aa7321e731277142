// Comparing a model's outputs and gradients with a PyTorch fixture folder (expected.safetensors, meta.json):
// outputs within 1e-4 absolute, gradients within 1e-4 relative or 1e-6 absolute, per element.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tensor, type Tensor } from '../../../src/index.js';
import { loadTensors } from '../../../src/io/tensors.js';
import { fixturePath } from '../../helpers/fixtures.js';

export const OUTPUT_ATOL = 1e-4;
export const GRAD_RTOL = 1e-4;
export const GRAD_ATOL = 1e-6;

/** The fixture's meta.json. */
export function readMeta(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(fixturePath(name, 'meta.json'), 'utf8')) as Record<string, unknown>;
}

/**
 * The fixture's labels by Hugging Face argument name, as nested arrays: meta.json's `labels` (an array, or an
 * object with `mlm_labels` / `next_sentence_label`), and top-level `start_positions` / `end_positions`.
 */
export function metaLabels(name: string): Record<string, unknown> {
  const meta = readMeta(name);
  const out: Record<string, unknown> = {};
  const labels = meta.labels;
  if (Array.isArray(labels)) out.labels = labels;
  else if (labels && typeof labels === 'object') Object.assign(out, labels);
  for (const k of ['start_positions', 'end_positions']) if (k in meta) out[k] = meta[k];
  return out;
}

/** metaLabels as int64 tensors on `device`. */
export function metaLabelTensors(name: string, device: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(metaLabels(name))) out[k] = tensor(v as number[], { dtype: 'int64', device });
  return out;
}

export function fixtureInputs(name: string, device: string): Map<string, Tensor> {
  return loadTensors(fixturePath(name, 'inputs.safetensors'), device);
}

export function fixtureExpected(name: string, device = 'cpu-js'): Map<string, Tensor> {
  return loadTensors(fixturePath(name, 'expected.safetensors'), device);
}

/** Largest |a - e| over two equal-shaped tensors. */
export function maxAbsDiff(a: Tensor, e: Tensor): number {
  assert.deepEqual(a.shape, e.shape);
  const x = a.toArray(), y = e.toArray();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(Number(x[i]) - Number(y[i])));
  return m;
}

/**
 * Every non-gradient tensor of expected.safetensors must be among `actual` (same shape) within 1e-4 absolute.
 * Returns the largest error per name.
 */
export function assertOutputs(actual: Map<string, Tensor>, expected: Map<string, Tensor>): Map<string, number> {
  const errors = new Map<string, number>();
  for (const [name, e] of expected) {
    if (name.startsWith('grad.')) continue;
    const a = actual.get(name);
    assert.ok(a, `output ${name} is produced`);
    assert.deepEqual(a.shape, e.shape, `${name}: shape`);
    const err = maxAbsDiff(a, e);
    assert.ok(err <= OUTPUT_ATOL, `${name}: max abs error ${err} > ${OUTPUT_ATOL}`);
    errors.set(name, err);
  }
  return errors;
}

/** Measured gradient errors: largest absolute; largest relative where abs > 1e-6 (the criterion); largest relative where |expected| >= 1e-5. */
export interface GradErrors {
  abs: number;
  rel: number;
  relAll: number;
}

/**
 * Every `grad.<name>` of expected.safetensors against the gradient of the model tensor `<name>`: each element
 * within 1e-4 relative or 1e-6 absolute. Returns, per name, the largest absolute error and the largest
 * relative error among elements whose absolute error exceeds 1e-6.
 */
export function assertGrads(state: Map<string, Tensor>, expected: Map<string, Tensor>): Map<string, GradErrors> {
  const out = new Map<string, GradErrors>();
  for (const [key, e] of expected) {
    if (!key.startsWith('grad.')) continue;
    const p = state.get(key.slice(5));
    assert.ok(p, `model tensor ${key.slice(5)} exists`);
    assert.ok(p.grad, `${key.slice(5)} has a gradient`);
    assert.deepEqual(p.grad.shape, e.shape, `${key}: shape`);
    const x = p.grad.toArray(), y = e.toArray();
    let abs = 0, rel = 0, relAll = 0;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(Number(x[i]) - Number(y[i]));
      abs = Math.max(abs, d);
      if (Math.abs(Number(y[i])) >= 1e-5) relAll = Math.max(relAll, d / Math.abs(Number(y[i])));
      if (d <= GRAD_ATOL) continue;
      const r = d / Math.abs(Number(y[i]));
      assert.ok(r <= GRAD_RTOL, `${key}: element ${i} is ${x[i]}, expected ${y[i]} (rel ${r}, abs ${d})`);
      rel = Math.max(rel, r);
    }
    out.set(key, { abs, rel, relAll });
  }
  assert.ok(out.size > 0, 'the fixture lists gradients');
  return out;
}

/** One line of measured errors for node:test's diagnostics. */
export function describeErrors(outputs: Map<string, number>, grads?: Map<string, GradErrors>): string {
  const o = Math.max(...outputs.values());
  const parts = [`outputs max abs ${o.toExponential(2)} over ${outputs.size} tensors`];
  if (grads) {
    const a = Math.max(...[...grads.values()].map((g) => g.abs));
    const r = Math.max(...[...grads.values()].map((g) => g.rel));
    const ra = Math.max(...[...grads.values()].map((g) => g.relAll));
    parts.push(`grads max abs ${a.toExponential(2)}, max rel ${ra.toExponential(2)} (|expected| >= 1e-5), max rel where abs > 1e-6 ${r.toExponential(2)}, over ${grads.size} tensors`);
  }
  return parts.join('; ');
}
