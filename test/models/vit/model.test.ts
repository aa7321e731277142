// ViT beyond the fixture: config defaults and checks, presets, pixel_values validation, bicubic position
// interpolation (ATen's weights, identity at the same size, gradients), losses by problem type, dropout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryCrossEntropyWithLogits, gradcheck, manualSeed, mseLoss, randn, tensor, zeros } from '../../../src/index.js';
import {
  ViTForImageClassification, ViTModel, bicubicWeights, resizeBicubic, vitConfig, vitPreset,
} from '../../../src/models/vit/index.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { fixtureInputs, maxAbsDiff } from '../bert/fixture-parity.js';

const SMALL = { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, image_size: 16, patch_size: 4 };

test('vitConfig fills HF defaults and refuses bad values by key', () => {
  const c = vitConfig({});
  assert.equal(c.image_size, 224);
  assert.equal(c.patch_size, 16);
  assert.equal(c.qkv_bias, true);
  assert.equal(c.hidden_dropout_prob, 0);
  assert.equal(c.pooler_act, 'tanh');
  assert.deepEqual(vitConfig({ image_size: [32, 48] }).image_size, [32, 48]);
  assert.throws(() => vitConfig({ image_size: 'big' }), /image_size must be a positive integer or \[height, width\], got "big"/);
  assert.throws(() => vitConfig({ patch_size: 64, image_size: 32 }), /patch_size 64 is larger than image_size 32/);
  assert.throws(() => vitConfig({ model_type: 'bert' }), /model_type is 'bert', expected 'vit'/);
  assert.throws(() => vitPreset('vit-giant'), /unknown ViT preset 'vit-giant'/);
  assert.equal(vitPreset('vit-large-patch16-224').hidden_size, 1024);
});

test('bicubic weights: ATen\'s values on a 2 -> 4 resize, rows summing to 1, identity at the same size', () => {
  // upsampling [a, b] to 4: source positions -0.25, 0.25, 0.75, 1.25; Keys' kernel with A = -0.75, taps clamped
  const w = bicubicWeights(2, 4);
  const expected = [1.10546875, -0.10546875, 0.7734375, 0.2265625, 0.2265625, 0.7734375, -0.10546875, 1.10546875];
  expected.forEach((v, i) => assert.ok(Math.abs(w[i]! - v) < 1e-7, `w[${i}] = ${w[i]}, expected ${v}`));
  for (const [n, m] of [[14, 24], [14, 7], [5, 3]] as const) {
    const ww = bicubicWeights(n, m);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += ww[i * n + j]!;
      assert.ok(Math.abs(s - 1) < 1e-6, `row ${i} of ${n} -> ${m} sums to ${s}`);
    }
  }
  const id = bicubicWeights(6, 6);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) assert.equal(id[i * 6 + j], i === j ? 1 : 0);
});

forEachDevice('ViT inputs, interpolation and losses', (device) => {
  test('resizeBicubic keeps constants and a linear ramp inside, and is differentiable', () => {
    const c = resizeBicubic(zeros([3, 3, 2], { device }).add(2.5), 5, 7);
    assert.deepEqual(c.shape, [5, 7, 2]);
    assert.ok(c.toArray().every((v) => Math.abs(v - 2.5) < 1e-6));
    const ramp = tensor(Array.from({ length: 8 }, (_, i) => [[i]]), { device }); // (8, 1, 1)
    const up = resizeBicubic(ramp, 16, 1).toArray();
    // output 4 sits at source 1.75: taps 0..3 weighted by Keys' kernel at t = 0.75 (A = -0.75, which does not
    // reproduce ramps exactly): 0.26171875 * 1 + 0.87890625 * 2 - 0.10546875 * 3
    assert.ok(Math.abs(up[4]! - 1.703125) < 1e-6, `ramp value 4 is ${up[4]}`);
    for (let i = 0; i < 16; i++) assert.ok(Math.abs(up[i]! + up[15 - i]! - 7) < 1e-5, 'the resize is symmetric');
    const r = gradcheck((g) => resizeBicubic(g, 5, 3).square().sum(), [randn([4, 2, 3], { device })], { eps: 1e-2, atol: 1e-2, rtol: 1e-2 });
    assert.ok(r.ok, r.message);
  });

  test('pixel_values of the wrong rank, channels, dtype or size fail with one clear line', () => {
    manualSeed(1);
    const m = new ViTModel(SMALL, { device }).eval();
    assert.throws(() => m.forward({ pixelValues: zeros([3, 16, 16], { device }) }), /pixel_values has shape \[3, 16, 16\], expected \(batch, 3, height, width\)/);
    assert.throws(() => m.forward({ pixelValues: zeros([1, 1, 16, 16], { device }) }), /pixel_values has 1 channels \(shape \[1, 1, 16, 16\]\), but the model's num_channels is 3/);
    assert.throws(() => m.forward({ pixelValues: zeros([1, 3, 16, 16], { device, dtype: 'int32' }) }), /pixel_values must be floating point, got int32/);
    assert.throws(() => m.forward({ pixelValues: zeros([1, 3, 24, 16], { device }) }), /pixel_values are 24x16 but the model takes 16x16 images \(interpolatePosEncoding allows other sizes\)/);
    assert.throws(() => m.forward({ pixelValues: zeros([1, 3, 2, 16], { device }) }, { interpolatePosEncoding: true }), /pixel_values are 2x16, smaller than one 4x4 patch/);
  });

  test('interpolatePosEncoding: same size changes nothing; other sizes (square or not) run with a resized table', () => {
    const model = ViTForImageClassification.fromPretrained(fixturePath('vit-cls'), { device }).eval();
    const px = fixtureInputs('vit-cls', device).get('pixel_values')!;
    assert.deepEqual(model.forward({ pixelValues: px }, { interpolatePosEncoding: true }).logits.toArray(), model.forward({ pixelValues: px }).logits.toArray());
    const big = randn([2, 3, 48, 40], { device });
    const out = model.vit.forward({ pixelValues: big }, { interpolatePosEncoding: true });
    assert.deepEqual(out.lastHiddenState.shape, [2, 1 + 6 * 5, 32]);
    // the table used is [cls; bicubic(grid)] of the checkpoint's 4x4 grid
    const table = model.vit.embeddings.interpolatePosEncoding(30, 48, 40);
    const pos = model.vit.embeddings.positionEmbeddings;
    assert.deepEqual(table.narrow(1, 0, 1).toArray(), pos.narrow(1, 0, 1).toArray());
    assert.ok(maxAbsDiff(table.narrow(1, 1, 30).reshape([6, 5, 32]), resizeBicubic(pos.narrow(1, 1, 16).reshape([4, 4, 32]), 6, 5)) === 0);
    // the position table gets gradients through the resize
    model.zeroGrad();
    model.forward({ pixelValues: big }, { interpolatePosEncoding: true, labels: tensor([1, 2], { dtype: 'int64', device }) }).loss!.backward();
    assert.ok(model.vit.embeddings.positionEmbeddings.grad!.abs().sum().item() > 0);
  });

  test('losses by problem type: regression MSE, multi-label BCE, single-label CE with label checks', () => {
    manualSeed(2);
    const px = randn([2, 3, 16, 16], { device });
    const reg = new ViTForImageClassification({ ...SMALL, num_labels: 1 }, { device }).eval();
    const r = reg.forward({ pixelValues: px }, { labels: tensor([0.25, 2], { device }) });
    assert.ok(Math.abs(r.loss!.item() - mseLoss(r.logits.reshape([-1]), tensor([0.25, 2], { device })).item()) < 1e-6);
    const multi = new ViTForImageClassification({ ...SMALL, num_labels: 3 }, { device }).eval();
    const y = tensor([[1, 0, 0], [0, 1, 1]], { device });
    const mo = multi.forward({ pixelValues: px }, { labels: y });
    assert.ok(Math.abs(mo.loss!.item() - binaryCrossEntropyWithLogits(mo.logits, y).item()) < 1e-6);
    assert.throws(() => multi.forward({ pixelValues: px }, { labels: tensor([0, 5], { dtype: 'int64', device }) }), /labels holds class 5, but there are 3 classes/);
  });

  test('dropout is active in train mode and off in eval mode', () => {
    manualSeed(3);
    const m = new ViTForImageClassification({ ...SMALL, hidden_dropout_prob: 0.2, attention_probs_dropout_prob: 0.2 }, { device });
    const px = randn([1, 3, 16, 16], { device });
    m.train();
    assert.notDeepEqual(m.forward({ pixelValues: px }).logits.toArray(), m.forward({ pixelValues: px }).logits.toArray());
    m.eval();
    assert.deepEqual(m.forward({ pixelValues: px }).logits.toArray(), m.forward({ pixelValues: px }).logits.toArray());
  });
});
