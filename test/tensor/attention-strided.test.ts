// Fused attention on strided q/k/v (heads of one (B, T, 3 * H * D) projection) against the composed fallback:
// masks, causal, Tq != Tk, edge sizes of the kernel's tiles, both output orders and the backward. Every device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  getBackend, gradcheck, manualSeed, noGrad, randn, scaledDotProductAttention, setFusedOps, tensor, type AttentionOptions, type Tensor,
} from '../../src/index.js';
import { contiguousLayout } from '../../src/backend/backend.js';
import { assertClose } from '../helpers/assert.js';
import { forEachDevice } from '../helpers/devices.js';

/** Head i of a (B, T, n * H * D) tensor as a (B, H, T, D) view: what splitting a fused QKV projection gives. */
function head(x: Tensor, i: number, H: number, D: number): Tensor {
  const [B, T] = x.shape as [number, number];
  return x.narrow(2, i * H * D, H * D).reshape([B, T, H, D]).transpose(1, 2);
}

function composed<T>(fn: () => T): T {
  setFusedOps(false);
  try {
    return fn();
  } finally {
    setFusedOps(true);
  }
}

interface Case { name: string; B: number; H: number; Tq: number; Tk: number; D: number; opts: (device: string) => AttentionOptions }

const cases: Case[] = [
  { name: 'no mask', B: 2, H: 3, Tq: 7, Tk: 7, D: 8, opts: () => ({}) },
  {
    name: 'padding additive mask', B: 2, H: 2, Tq: 9, Tk: 9, D: 16,
    opts: (device) => ({ mask: tensor([[[[0, 0, 0, 0, 0, 0, -1e9, -1e9, -1e9]]], [[[0, 0, 0, 0, 0, 0, 0, 0, 0]]]], { device }) }),
  },
  { name: 'causal', B: 1, H: 2, Tq: 20, Tk: 20, D: 8, opts: () => ({ causal: true }) },
  { name: 'causal, Tq < Tk (cached decoder step)', B: 2, H: 2, Tq: 5, Tk: 13, D: 4, opts: () => ({ causal: true }) },
  { name: 'Tq != Tk with a full (Tq, Tk) mask', B: 2, H: 2, Tq: 6, Tk: 11, D: 12, opts: (device) => ({ mask: randn([6, 11], { device }) }) },
  { name: 'bool mask, scale, probabilities', B: 1, H: 3, Tq: 4, Tk: 6, D: 5, opts: (device) => ({ mask: randn([1, 1, 4, 6], { device }).gt(-1), scale: 0.3, returnProbs: true }) },
  // tile edges: D and T not multiples of the micro-kernel's tile, keys past one K block, several query blocks
  { name: 'edge sizes, long keys', B: 1, H: 1, Tq: 150, Tk: 300, D: 33, opts: () => ({}) },
  { name: 'edge sizes, causal, several query blocks', B: 1, H: 1, Tq: 150, Tk: 150, D: 17, opts: () => ({ causal: true }) },
];

forEachDevice('attention on strided q/k/v', (device) => {
  const be = getBackend(device);

  for (const c of cases) {
    test(`${c.name}: forward and gradients match the composed ops`, () => {
      manualSeed(3);
      const { B, H, Tq, Tk, D } = c;
      const xq = randn([B, Tq, H * D], { device }), xkv = randn([B, Tk, 2 * H * D], { device });
      const opts = c.opts(device);
      const dy = randn([B, Tq, H * D], { device });
      const run = () => {
        const a = xq.detach().requiresGrad_(true), b = xkv.detach().requiresGrad_(true);
        const r = scaledDotProductAttention(head(a, 0, H, D), head(b, 0, H, D), head(b, 1, H, D), opts);
        // merging heads as models do: (B, H, Tq, D) -> (B, Tq, H * D)
        const merged = r.out.transpose(1, 2).reshape([B, Tq, H * D]);
        merged.mul(dy).sum().backward();
        return { out: merged.detach(), probs: r.probs, da: a.grad!, db: b.grad! };
      };
      const got = run(), want = composed(run);
      assertClose(got.out, want.out, { atol: 1e-5, name: 'output' });
      if (opts.returnProbs) assertClose(got.probs!, want.probs!, { atol: 1e-6, name: 'probabilities' });
      assertClose(got.da, want.da, { atol: 1e-5, rtol: 1e-5, name: 'dq' });
      assertClose(got.db, want.db, { atol: 1e-5, rtol: 1e-5, name: 'dk, dv' });
    });
  }

  test('merging heads after strided attention is a view (no copy) where the backend writes (B, Tq, H, D)', () => {
    manualSeed(4);
    const x = randn([2, 5, 3 * 2 * 4], { device });
    const { out } = noGrad(() => scaledDotProductAttention(head(x, 0, 2, 4), head(x, 1, 2, 4), head(x, 2, 2, 4)));
    assert.deepEqual(out.shape, [2, 2, 5, 4]);
    const merged = out.transpose(1, 2).reshape([2, 5, 8]);
    if (be.attentionStrided) assert.equal(merged.storage, out.storage);
    assertClose(merged, composed(() => scaledDotProductAttention(head(x, 0, 2, 4), head(x, 1, 2, 4), head(x, 2, 2, 4))).out.transpose(1, 2).reshape([2, 5, 8]), { atol: 1e-5 });
  });

  test('a row with every key masked gives zeros', () => {
    const x = randn([1, 3, 3 * 4], { device });
    const mask = tensor([[0, 0, 0], [-Infinity, -Infinity, -Infinity], [0, -Infinity, 0]], { device });
    const r = scaledDotProductAttention(head(x, 0, 1, 4), head(x, 1, 1, 4), head(x, 2, 1, 4), { mask });
    assert.deepEqual(Array.from(r.out.select(2, 1).toArray()), [0, 0, 0, 0]);
    assertClose(r.out, composed(() => scaledDotProductAttention(head(x, 0, 1, 4), head(x, 1, 1, 4), head(x, 2, 1, 4), { mask })).out, { atol: 1e-5 });
  });

  test('gradients through the strided path match finite differences', () => {
    manualSeed(5);
    const R = randn([2, 4, 2 * 3], { device });
    const f = (x: Tensor) => {
      const r = scaledDotProductAttention(head(x, 0, 2, 3), head(x, 1, 2, 3), head(x, 2, 2, 3), { causal: true });
      return r.out.transpose(1, 2).reshape([2, 4, 6]).mul(R).sum();
    };
    const res = gradcheck(f, [randn([2, 4, 3 * 2 * 3], { device })]);
    assert.ok(res.ok, res.message);
  });

  if (!be.attentionStrided) return;

  test('backend: both output orders and dropout equal the contiguous call', () => {
    manualSeed(6);
    const [B, H, Tq, Tk, D] = [2, 3, 9, 12, 20];
    const xq = randn([B, Tq, H * D], { device }), xkv = randn([B, Tk, 2 * H * D], { device });
    const q = head(xq, 0, H, D), k = head(xkv, 0, H, D), v = head(xkv, 1, H, D);
    const Q = q.contiguous(), K = k.contiguous(), V = v.contiguous();
    const shape = { B, H, Tq, Tk, D };
    for (const dropoutP of [0, 0.25]) {
      const base = { shape, causal: false, scale: 0.25, dropoutP, returnProbs: true, needsBackward: true };
      manualSeed(9);
      const ref = be.attention!({ ...base, q: Q.storage, k: K.storage, v: V.storage });
      const layouts = { q: q.layout, k: k.layout, v: v.layout };
      for (const outLayout of ['bhtd', 'bthd'] as const) {
        manualSeed(9);
        const r = be.attention!({ ...base, q: q.storage, k: k.storage, v: v.storage, layouts, outLayout });
        const want = be.toHost(ref.out, contiguousLayout([B, H, Tq, D]));
        const got = outLayout === 'bhtd' ? be.toHost(r.out, contiguousLayout([B, H, Tq, D]))
          : be.toHost(r.out, { shape: [B, H, Tq, D], strides: [Tq * H * D, D, H * D, 1], offset: 0 });
        assertClose(got as Float32Array, want as Float32Array, { atol: 1e-5, name: `output ${outLayout}, dropout ${dropoutP}` });
        const dout = randn([B, H, Tq, D], { device });
        const g = be.attentionBackward!({ ...base, q: q.storage, k: k.storage, v: v.storage, layouts, outLayout }, r, dout.storage);
        const gRef = be.attentionBackward!({ ...base, q: Q.storage, k: K.storage, v: V.storage }, ref, dout.storage);
        for (const n of ['dq', 'dk', 'dv'] as const) {
          const len = n === 'dq' ? B * H * Tq * D : B * H * Tk * D;
          assertClose(be.toHost(g[n], contiguousLayout([len])) as Float32Array, be.toHost(gRef[n], contiguousLayout([len])) as Float32Array, { atol: 1e-5, name: `${n}, dropout ${dropoutP}` });
        }
      }
    }
  });
});
