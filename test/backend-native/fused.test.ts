// Native fused ops against cpu-js: softmax / log-softmax, layer norm, cross-entropy, attention (mask,
// causal, Tq != Tk; dropout checked against cpu-js's backward fed the same mask), AdamW and the LSTM cell,
// forward and backward. Tolerance 1e-5 absolute + 1e-4 relative unless stated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contiguousLayout, type AttentionArgs, type Backend, type Layout, type Storage } from '../../src/backend/backend.js';
import { attentionBackward as jsAttentionBackward } from '../../src/backend/cpu-js/fused.js';
import { TesseraError } from '../../src/errors.js';
import { bf16ToFloat, floatToBf16 } from '../../src/tensor/dtype.js';
import { compareOp, cpu, describeNative, js, Rand, read } from './helpers.js';

const TOL = { atol: 1e-5, rtol: 1e-4 };
const f32 = (data: Float32Array) => ({ data, dtype: 'float32' as const });

describeNative('native fused ops', () => {
  test('softmax and log-softmax, forward and backward, with -inf entries and fully masked rows', () => {
    const r = new Rand(50);
    for (const [rows, n] of [[7, 13], [64, 1000], [3, 1]]) {
      const x = r.floats(rows! * n!, -10, 10);
      for (let i = 0; i < x.length; i += 5) x[i] = -Infinity;
      if (n! > 1) for (let j = 0; j < n!; j++) x[j] = -Infinity;  // row 0 fully masked
      const dy = r.floats(rows! * n!);
      for (const log of [false, true]) {
        compareOp(`softmax ${rows}x${n} log=${log}`, [f32(x)], (be, [a]) => be.softmax!(a!, rows!, n!, log), TOL);
        const y = js().softmax!(js().fromHost(x, 'float32'), rows!, n!, log);
        const yHost = read(js(), y, contiguousLayout([rows! * n!]));
        const finite = Float32Array.from(yHost, (v) => (Number.isFinite(v) ? v : -50));
        compareOp(`softmaxBackward ${rows}x${n} log=${log}`, [f32(finite), f32(dy)], (be, [yy, d]) => be.softmaxBackward!(yy!, d!, rows!, n!, log), TOL);
      }
    }
  });

  test('layer norm with and without weight and bias, forward and backward', () => {
    const r = new Rand(51);
    for (const [rows, n] of [[5, 17], [300, 384]]) {
      const x = r.floats(rows! * n!, -2, 4), w = r.floats(n!), b = r.floats(n!), dy = r.floats(rows! * n!);
      for (const [useW, useB] of [[true, true], [false, false], [true, false], [false, true]]) {
        for (const part of ['y', 'mean', 'rstd'] as const) {
          compareOp(`layerNorm ${part} w=${useW} b=${useB}`, [f32(x), f32(w), f32(b)],
            (be, [xx, ww, bb]) => be.layerNorm!(xx!, useW ? ww! : null, useB ? bb! : null, rows!, n!, 1e-5)[part], TOL);
        }
        for (const part of ['dx', 'dweight', 'dbias'] as const) {
          if (part === 'dweight' && !useW) continue;
          compareOp(`layerNormBackward ${part} w=${useW}`, [f32(x), f32(w), f32(dy)], (be, [xx, ww, d]) => {
            const fwd = be.layerNorm!(xx!, useW ? ww! : null, null, rows!, n!, 1e-5);
            return be.layerNormBackward!(d!, xx!, useW ? ww! : null, fwd.mean, fwd.rstd, rows!, n!)[part]!;
          }, { atol: 1e-4, rtol: 1e-4 });
        }
      }
    }
  });

  test('cross-entropy with ignored rows and label smoothing, forward and backward; bad targets fail', () => {
    const r = new Rand(52);
    const rows = 40, n = 257;
    const logits = r.floats(rows * n, -8, 8), dl = r.floats(rows, 0, 1);
    const targets = r.ints(rows, 0, n);
    targets[3] = -100;
    targets[17] = -100;
    for (const dtype of ['int32', 'int64'] as const) {
      const t = { data: dtype === 'int32' ? targets : BigInt64Array.from(Array.from(targets, BigInt)), dtype };
      for (const s of [0, 0.1]) {
        for (const part of ['losses', 'lse'] as const) {
          compareOp(`crossEntropy ${part} ${dtype} s=${s}`, [f32(logits), t], (be, [x, tt]) => be.crossEntropy!(x!, tt!, rows, n, -100, s)[part], TOL);
        }
        compareOp(`crossEntropyBackward ${dtype} s=${s}`, [f32(logits), t, f32(dl)], (be, [x, tt, d]) => {
          const f = be.crossEntropy!(x!, tt!, rows, n, -100, s);
          return be.crossEntropyBackward!(x!, tt!, f.lse, d!, rows, n, -100, s);
        }, TOL);
      }
    }
    // bf16 logits (kept half by the front end on this device): float32 losses, bf16 gradient
    const half = Uint16Array.from(logits, floatToBf16);
    const wide = Float32Array.from(half, bf16ToFloat);
    const t32 = cpu().fromHost(targets, 'int32');
    const hb = cpu().crossEntropy!(cpu().fromHost(half, 'bfloat16'), t32, rows, n, -100, 0.1);
    const fb = cpu().crossEntropy!(cpu().fromHost(wide, 'float32'), t32, rows, n, -100, 0.1);
    assert.equal(hb.losses.dtype, 'float32');
    assert.deepEqual(read(cpu(), hb.losses, contiguousLayout([rows])), read(cpu(), fb.losses, contiguousLayout([rows])));
    const dl32 = cpu().fromHost(dl, 'float32');
    const gh = cpu().crossEntropyBackward!(cpu().fromHost(half, 'bfloat16'), t32, hb.lse, dl32, rows, n, -100, 0.1);
    const gf = cpu().crossEntropyBackward!(cpu().fromHost(wide, 'float32'), t32, fb.lse, dl32, rows, n, -100, 0.1);
    assert.equal(gh.dtype, 'bfloat16');
    const ghv = Array.from(cpu().toHost(gh, contiguousLayout([rows * n])) as Uint16Array, bf16ToFloat);
    read(cpu(), gf, contiguousLayout([rows * n])).forEach((e, i) => assert.equal(ghv[i], bf16ToFloat(floatToBf16(e)), `bf16 dlogits[${i}]`));
    const bad = cpu().fromHost(Int32Array.from([0, n]), 'int32');
    assert.throws(() => cpu().crossEntropy!(cpu().zeros('float32', 2 * n), bad, 2, n, -100, 0),
      (e: unknown) => e instanceof TesseraError && (e as Error).message === `crossEntropy: target ${n} is out of range for ${n} classes`);
  });

  function attentionInputs(be: Backend, r: Rand, B: number, H: number, Tq: number, Tk: number, D: number) {
    return {
      q: be.fromHost(r.floats(B * H * Tq * D, -1, 1), 'float32'),
      k: be.fromHost(r.floats(B * H * Tk * D, -1, 1), 'float32'),
      v: be.fromHost(r.floats(B * H * Tk * D, -1, 1), 'float32'),
      dout: be.fromHost(r.floats(B * H * Tq * D, -1, 1), 'float32'),
      mask: be.fromHost(Float32Array.from({ length: B * Tk }, () => (r.next() < 0.2 ? -1e9 : 0)), 'float32'),
    };
  }

  test('attention forward and backward: padding mask broadcast by strides, causal, Tq != Tk', () => {
    const configs = [
      { B: 2, H: 3, Tq: 7, Tk: 7, D: 8, causal: false, mask: true },
      { B: 1, H: 2, Tq: 5, Tk: 9, D: 16, causal: true, mask: false },
      { B: 2, H: 2, Tq: 33, Tk: 33, D: 64, causal: true, mask: true },
      // causal over several 64-row blocks, with a cached past (Tk > Tq) and with Tq > Tk (early rows see nothing)
      { B: 1, H: 2, Tq: 150, Tk: 200, D: 16, causal: true, mask: true },
      { B: 1, H: 1, Tq: 140, Tk: 70, D: 8, causal: true, mask: false },
    ];
    for (const c of configs) {
      const results = [js(), cpu()].map((be) => {
        const x = attentionInputs(be, new Rand(53), c.B, c.H, c.Tq, c.Tk, c.D);
        const maskLayout: Layout = { shape: [c.B, c.H, c.Tq, c.Tk], strides: [c.Tk, 0, 0, 1], offset: 0 };
        const args: AttentionArgs = {
          q: x.q, k: x.k, v: x.v, shape: { B: c.B, H: c.H, Tq: c.Tq, Tk: c.Tk, D: c.D },
          mask: c.mask ? { storage: x.mask, layout: maskLayout } : undefined, causal: c.causal, scale: 1 / Math.sqrt(c.D), dropoutP: 0, returnProbs: true,
        };
        const res = be.attention!(args);
        const grads = be.attentionBackward!(args, res, x.dout);
        const all = (s: Storage) => read(be, s, contiguousLayout([s.length]));
        return { out: all(res.out), probs: all(res.probs!), dq: all(grads.dq), dk: all(grads.dk), dv: all(grads.dv) };
      });
      for (const part of ['out', 'probs', 'dq', 'dk', 'dv'] as const) {
        assert.equal(results[1]![part].length, results[0]![part].length);
        results[1]![part].forEach((v, i) => {
          const e = results[0]![part][i]!;
          if (!(Math.abs(v - e) <= TOL.atol + TOL.rtol * Math.abs(e))) assert.fail(`attention ${JSON.stringify(c)} ${part}[${i}] = ${v}, expected ${e}`);
        });
      }
    }
  });

  test('attention dropout: seeded, drops about p, and its backward equals cpu-js fed the same mask', () => {
    const B = 2, H = 2, Tq = 80, Tk = 80, D = 8, p = 0.25;
    const be = cpu();
    const x = attentionInputs(be, new Rand(54), B, H, Tq, Tk, D);
    const args: AttentionArgs = { q: x.q, k: x.k, v: x.v, shape: { B, H, Tq, Tk, D }, causal: true, scale: 0.3, dropoutP: p, returnProbs: true };
    be.manualSeed(1);
    const r1 = be.attention!(args);
    be.manualSeed(1);
    const r2 = be.attention!(args);
    const all = (s: Storage) => read(be, s, contiguousLayout([s.length]));
    assert.deepEqual(all(r1.out), all(r2.out));
    const saved = r1.saved as { probs: Storage; keep: Storage };
    const keep = all(saved.keep);
    const dropped = keep.filter((k) => k === 0).length / keep.length;
    assert.ok(Math.abs(dropped - p) < 0.06, `dropped ${dropped}`);
    const grads = be.attentionBackward!(args, r1, x.dout);
    const host = (s: Storage) => Float32Array.from(all(s));
    const expected = jsAttentionBackward(args, host(x.q), host(x.k), host(x.v),
      { probs: host(saved.probs), keep: Float32Array.from(keep, (k) => (k ? 1 / (1 - p) : 0)) }, host(x.dout));
    for (const part of ['dq', 'dk', 'dv'] as const) {
      const got = all(grads[part]);
      got.forEach((v, i) => {
        const e = expected[part][i]!;
        if (!(Math.abs(v - e) <= TOL.atol + TOL.rtol * Math.abs(e))) assert.fail(`dropout ${part}[${i}] = ${v}, expected ${e}`);
      });
    }
  });

  test('AdamW steps in place like cpu-js', () => {
    const r = new Rand(55);
    const n = 100_003;
    const p0 = r.floats(n), g = r.floats(n), m0 = r.floats(n, -0.1, 0.1), v0 = r.floats(n, 0, 0.1);
    for (const part of [0, 1, 2]) {
      compareOp(`adamw ${['param', 'm', 'v'][part]}`, [f32(p0), f32(g), f32(m0), f32(v0)], (be, [pp, gg, mm, vv]) => {
        for (let step = 1; step <= 3; step++) be.adamw!(pp!, gg!, mm!, vv!, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step });
        return [pp!, mm!, vv!][part]!;
      }, { atol: 1e-6, rtol: 1e-5 });
    }
  });

  test('LSTM cell forward and backward', () => {
    const r = new Rand(56);
    const B = 5, H = 33;
    const gates = r.floats(B * 4 * H, -4, 4), cPrev = r.floats(B * H), dh = r.floats(B * H), dc = r.floats(B * H);
    for (const part of ['h', 'c'] as const) {
      compareOp(`lstmCell ${part}`, [f32(gates), f32(cPrev)], (be, [g, c]) => be.lstmCell!(g!, c!, B, H)[part], TOL);
    }
    for (const part of ['dgates', 'dcPrev'] as const) {
      compareOp(`lstmCellBackward ${part}`, [f32(gates), f32(cPrev), f32(dh), f32(dc)], (be, [g, c, h, d]) => {
        const f = be.lstmCell!(g!, c!, B, H);
        return be.lstmCellBackward!(g!, c!, f.c, h!, d!, B, H)[part];
      }, TOL);
    }
  });
});
