// Every differentiable op's gradient against central finite differences, on every device, with the
// backend's fused kernels and with the composed fallbacks. float32: eps 1e-2, |err| <= 2e-3 + 2e-2 |numeric|.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binaryCrossEntropyWithLogits, cat, conv2d, crossEntropy, embedding, gradcheck, layerNorm, linear, logSoftmax,
  lstmCell, manualSeed, mseLoss, randn, scaledDotProductAttention, setFusedOps, softmax, stack, tensor, where,
  type Tensor,
} from '../../src/index.js';
import { forEachDevice } from '../helpers/devices.js';

/** positive: inputs in [0.5, inf); kink: inputs kept 0.05 away from 0 (a kink or branch at 0 is within the FD step otherwise). */
type Case = { name: string; shapes: number[][]; f: (...xs: Tensor[]) => Tensor; positive?: boolean; kink?: boolean; atol?: number };

const cases: Case[] = [
  { name: 'add (broadcast)', shapes: [[3, 4], [4]], f: (a, b) => a.add(b) },
  { name: 'sub (broadcast)', shapes: [[2, 1, 4], [3, 1]], f: (a, b) => a.sub(b) },
  { name: 'mul (broadcast)', shapes: [[3, 4], [3, 1]], f: (a, b) => a.mul(b) },
  { name: 'div', kink: true, shapes: [[3, 4], [3, 4]], f: (a, b) => a.div(b.abs().add(1)) },
  { name: 'scalar ops', shapes: [[5]], f: (a) => a.mul(3).add(2).sub(1).div(4) },
  { name: 'pow scalar', shapes: [[6]], f: (a) => a.pow(3) },
  { name: 'pow tensor', kink: true, shapes: [[6], [6]], f: (a, b) => a.abs().add(0.5).pow(b) },
  { name: 'maximum/minimum', kink: true, shapes: [[8], [8]], f: (a, b) => a.maximum(b).add(a.minimum(b).mul(2)) },
  { name: 'neg exp', shapes: [[6]], f: (a) => a.neg().exp() },
  { name: 'log sqrt rsqrt', shapes: [[6]], f: (a) => a.log().add(a.sqrt()).add(a.rsqrt()), positive: true },
  { name: 'abs', kink: true, shapes: [[6]], f: (a) => a.abs() },
  { name: 'tanh sigmoid', shapes: [[7]], f: (a) => a.tanh().add(a.sigmoid()) },
  { name: 'relu', kink: true, shapes: [[7]], f: (a) => a.relu() },
  { name: 'gelu erf', shapes: [[7]], f: (a) => a.gelu() },
  { name: 'gelu tanh', shapes: [[7]], f: (a) => a.gelu('tanh') },
  { name: 'erf sin cos', shapes: [[7]], f: (a) => a.erf().add(a.sin()).add(a.cos()) },
  { name: 'square reciprocal', shapes: [[7]], f: (a) => a.square().add(a.reciprocal()), positive: true },
  { name: 'clamp', kink: true, shapes: [[9]], f: (a) => a.clamp(-0.5, 0.7) },
  { name: 'sum axes', shapes: [[2, 3, 4]], f: (a) => a.sum([0, 2]) },
  { name: 'mean keepdim', shapes: [[2, 3, 4]], f: (a) => a.mean(1, true) },
  { name: 'max/min over axis', kink: true, shapes: [[3, 5]], f: (a) => a.max(1).add(a.min(0).sum()) },
  { name: 'var', shapes: [[4, 5]], f: (a) => a.var(1) },
  { name: 'matmul batched broadcast', shapes: [[2, 3, 4], [4, 5]], f: (a, b) => a.matmul(b) },
  { name: 'matmul transposed operands', shapes: [[4, 3], [5, 4]], f: (a, b) => a.T.matmul(b.T) },
  { name: 'matmul vector', shapes: [[4], [4, 3]], f: (a, b) => a.matmul(b) },
  { name: 'linear', shapes: [[2, 3, 4], [5, 4], [5]], f: (x, w, b) => linear(x, w, b) },
  { name: 'linear + gelu epilogue', shapes: [[3, 4], [5, 4], [5]], f: (x, w, b) => linear(x, w, b, 'gelu') },
  { name: 'reshape permute narrow', shapes: [[2, 3, 4]], f: (a) => a.permute(2, 0, 1).reshape([4, 6]).narrow(1, 1, 3) },
  { name: 'expand', shapes: [[3, 1]], f: (a) => a.expand(3, 4) },
  { name: 'cat stack split', shapes: [[2, 3], [2, 2]], f: (a, b) => stack(cat([a, b], 1).split(2, 1).slice(0, 2), 0) },
  { name: 'embedding', shapes: [[5, 3]], f: (w) => embedding(w, tensor([[0, 4, 4], [1, 0, 2]], { dtype: 'int64', device: w.device })) },
  { name: 'gather', shapes: [[3, 4]], f: (a) => a.gather(1, tensor([[0, 3], [2, 2], [1, 0]], { dtype: 'int32', device: a.device })) },
  { name: 'where', kink: true, shapes: [[6], [6]], f: (a, b) => where(a.gt(0), a, b.mul(2)) },
  { name: 'maskedFill', kink: true, shapes: [[6]], f: (a) => a.maskedFill(a.lt(0), 0).mul(a) },
  { name: 'softmax last', shapes: [[3, 5]], f: (a) => softmax(a) },
  { name: 'softmax axis 0', shapes: [[3, 5]], f: (a) => softmax(a, 0) },
  { name: 'logSoftmax', shapes: [[3, 5]], f: (a) => logSoftmax(a) },
  { name: 'layerNorm', shapes: [[3, 6], [6], [6]], f: (x, w, b) => layerNorm(x, [6], w, b) },
  { name: 'crossEntropy ignore + smoothing', shapes: [[4, 5]], f: (a) => crossEntropy(a, tensor([1, -100, 4, 0], { dtype: 'int64', device: a.device }), { labelSmoothing: 0.1 }) },
  { name: 'bce with logits', shapes: [[6]], f: (a) => binaryCrossEntropyWithLogits(a, tensor([1, 0, 1, 1, 0, 0], { device: a.device })) },
  { name: 'mse', shapes: [[6], [6]], f: (a, b) => mseLoss(a, b) },
  {
    name: 'attention + padding mask', shapes: [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 4]],
    f: (q, k, v) => scaledDotProductAttention(q, k, v, { mask: tensor([[[[0, 0, 0, -1e9, -1e9]]], [[[0, 0, 0, 0, 0]]]], { device: q.device }) }).out,
  },
  { name: 'attention causal', shapes: [[1, 2, 4, 3], [1, 2, 4, 3], [1, 2, 4, 3]], f: (q, k, v) => scaledDotProductAttention(q, k, v, { causal: true }).out },
  { name: 'conv2d stride + padding', shapes: [[2, 3, 5, 5], [4, 3, 3, 3], [4]], f: (x, w, b) => conv2d(x, w, b, 2, 1) },
  { name: 'lstmCell', shapes: [[2, 12], [2, 3]], f: (g, c) => { const r = lstmCell(g, c); return r.h.add(r.c.mul(2)); } },
];

forEachDevice('gradients match finite differences', (device) => {
  for (const fusedMode of [true, false]) {
    describe(fusedMode ? 'fused kernels' : 'composed fallbacks', () => {
      for (const c of cases) {
        test(c.name, () => {
          setFusedOps(fusedMode);
          try {
            manualSeed(7);
            const xs = c.shapes.map((s) => {
              const t = randn(s, { device });
              if (c.positive) return t.abs().add(0.5);
              return c.kink ? t.add(t.sign().mul(0.05)) : t;
            });
            // a fixed random projection makes the scalar depend on every output element differently
            const probe = c.f(...xs.map((x) => x.detach()));
            const R = randn(probe.shape, { device });
            const r = gradcheck((...ys) => c.f(...ys).mul(R).sum(), xs, { atol: c.atol });
            assert.ok(r.ok, r.message);
          } finally {
            setFusedOps(true);
          }
        });
      }
    });
  }
});
