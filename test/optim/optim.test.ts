// Optimizers against the update rules of torch.optim written out by hand in double precision, fused AdamW
// against the composed one, learning-rate schedules and global-norm clipping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optim, setFusedOps, tensor, type Tensor } from '../../src/index.js';
import { assertClose } from '../helpers/assert.js';
import { forEachDevice } from '../helpers/devices.js';

const GRADS = [[0.5, -1, 2], [0.1, 0.3, -0.2], [-1, 0, 1], [2, 2, -3]];
const P0 = [1, -0.5, 0.25];

/** Runs an optimizer over GRADS from P0 and returns the parameter values after each step. */
function run(device: string, make: (p: Tensor[]) => optim.Optimizer): number[][] {
  const p = tensor(P0, { device, requiresGrad: true });
  const opt = make([p]);
  const out: number[][] = [];
  for (const g of GRADS) {
    p.grad = tensor(g, { device });
    opt.step();
    out.push(Array.from(p.toArray()));
  }
  return out;
}

/** torch.optim.Adam / AdamW reference in doubles. */
function adamRef(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean): number[][] {
  const p = [...P0], m = [0, 0, 0], v = [0, 0, 0];
  const out: number[][] = [];
  GRADS.forEach((g0, s) => {
    const t = s + 1;
    for (let i = 0; i < 3; i++) {
      let g = g0[i]!;
      if (decoupled) p[i] = p[i]! * (1 - lr * wd);
      else g += wd * p[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps;
      p[i] = p[i]! - (lr / (1 - b1 ** t)) * (m[i]! / denom);
    }
    out.push([...p]);
  });
  return out;
}

forEachDevice('optimizers', (device) => {
  test('SGD with momentum, Nesterov and weight decay follows torch.optim.SGD', () => {
    const got = run(device, (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }));
    const p = [...P0], buf = [0, 0, 0];
    GRADS.forEach((g0, s) => {
      for (let i = 0; i < 3; i++) {
        const d = g0[i]! + 0.01 * p[i]!;
        buf[i] = s === 0 ? d : 0.9 * buf[i]! + d;
        p[i] = p[i]! - 0.1 * (d + 0.9 * buf[i]!);
      }
      assertClose(got[s]!, p, { atol: 1e-6, name: `step ${s + 1}` });
    });
  });

  test('Adam (L2 decay) follows torch.optim.Adam', () => {
    const got = run(device, (ps) => new optim.Adam(ps, { lr: 0.01, weightDecay: 0.1 }));
    adamRef(0.01, 0.9, 0.999, 1e-8, 0.1, false).forEach((ref, s) => assertClose(got[s]!, ref, { atol: 1e-6, name: `step ${s + 1}` }));
  });

  test('AdamW (decoupled decay) follows torch.optim.AdamW, fused and composed', () => {
    const ref = adamRef(0.01, 0.9, 0.95, 1e-8, 0.1, true);
    for (const fused of [true, false]) {
      setFusedOps(fused);
      try {
        const got = run(device, (ps) => new optim.AdamW(ps, { lr: 0.01, betas: [0.9, 0.95], weightDecay: 0.1 }));
        ref.forEach((r, s) => assertClose(got[s]!, r, { atol: 1e-6, name: `step ${s + 1}` }));
      } finally {
        setFusedOps(true);
      }
    }
  });

  test('optimizer state dict round trip continues identically', () => {
    const p = tensor(P0, { device, requiresGrad: true });
    const opt = new optim.AdamW([p], { lr: 0.01 });
    p.grad = tensor(GRADS[0]!, { device });
    opt.step();
    const q = tensor(Array.from(p.toArray()), { device, requiresGrad: true });
    const opt2 = new optim.AdamW([q], { lr: 0.01 });
    opt2.loadStateDict(opt.stateDict());
    for (const [o, x] of [[opt, p], [opt2, q]] as const) {
      x.grad = tensor(GRADS[1]!, { device });
      o.step();
    }
    assert.deepEqual(Array.from(q.toArray()), Array.from(p.toArray()));
  });

  test('global-norm clipping scales every gradient by maxNorm / norm', () => {
    const a = tensor([3, 0], { device, requiresGrad: true }), b = tensor([4], { device, requiresGrad: true });
    a.grad = tensor([3, 0], { device });
    b.grad = tensor([4], { device });
    const norm = optim.clipGradNorm([a, b], 1);
    assertClose(norm!.reshape([1]), [5], { atol: 1e-6 });
    assertClose(a.grad!, [0.6, 0], { atol: 1e-6 });
    assertClose(b.grad!, [0.8], { atol: 1e-6 });
    optim.clipGradNorm([a, b], 10);
    assertClose(b.grad!, [0.8], { atol: 1e-6 });
  });
});

test('schedules: warmup + linear, warmup + cosine, Noam', () => {
  const lin = optim.warmupLinear(10, 110);
  assert.equal(lin(0), 0.1);
  assert.equal(lin(9), 1);
  assert.equal(lin(60), 0.5);
  assert.equal(lin(110), 0);
  const cos = optim.warmupCosine(0, 100, 0.1);
  assert.equal(cos(0), 1);
  assert.ok(Math.abs(cos(50) - 0.55) < 1e-12);
  assert.ok(Math.abs(cos(100) - 0.1) < 1e-12);
  const noam = optim.noam(512, 4000);
  // peak at step = warmup: 512^-0.5 * 4000^-0.5
  assert.ok(Math.abs(noam(3999) - 512 ** -0.5 * 4000 ** -0.5) < 1e-12);
  assert.ok(noam(100) < noam(3999) && noam(20000) < noam(3999));
  const p = tensor([1], { requiresGrad: true });
  const opt = new optim.SGD([p], { lr: 2 });
  const sched = new optim.LrScheduler(opt, lin);
  assert.equal(sched.lr, 0.2);
  sched.step();
  assert.ok(Math.abs(sched.lr - 0.4) < 1e-12);
});
