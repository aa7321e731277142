// A small GPT-2 trained on the device follows the same loss curve as on the cpu-js reference (same initial
// weights, same batches, float32, AdamW), and under bf16 autocast it still learns, close to float32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, optim, tensor, type Tensor } from '../../src/index.js';
import { GPT2LMHeadModel, gpt2Config } from '../../src/models/gpt2/index.js';
import { withAutocast } from '../../src/tensor/autocast.js';
import { DUT, randomInts, skipDut } from './util.js';

const config = gpt2Config(null, {
  vocab_size: 97, n_positions: 32, n_layer: 2, n_head: 4, n_embd: 64, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0,
});
const B = 4, T = 32, STEPS = 25;

/** Batches of a repeating pattern with noise: learnable, so the loss falls. */
function batch(step: number): Int32Array {
  const noise = randomInts(B * T, 97, 1000 + step);
  return Int32Array.from(noise, (r, i) => ((i % T) * 7 + Math.floor(i / T) * 3 + (r % 5 === 0 ? r : 0)) % 97);
}

function train(device: string, init: Map<string, Tensor>, autocast: boolean): number[] {
  const model = new GPT2LMHeadModel(config, device);
  model.loadStateDict(init);
  model.train();
  const opt = new optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const ids = tensor(batch(step), { shape: [B, T], dtype: 'int64', device });
    const run = () => model.forward(ids, { labels: ids }).loss!;
    const loss = autocast ? withAutocast('bfloat16', run) : run();
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return losses;
}

function initialWeights(): Map<string, Tensor> {
  manualSeed(11);
  return new GPT2LMHeadModel(config, 'cpu-js').stateDict();
}

test('a small GPT-2 trained on the device reaches the same loss curve as on cpu-js (float32)', { skip: skipDut }, () => {
  const init = initialWeights();
  const ref = train('cpu-js', init, false);
  const got = train(DUT, init, false);
  assert.ok(ref[STEPS - 1]! < ref[0]! - 0.5, `the reference learns: ${ref[0]} -> ${ref[STEPS - 1]}`);
  for (let i = 0; i < STEPS; i++) {
    assert.ok(Math.abs(got[i]! - ref[i]!) <= 2e-3 * Math.max(1, Math.abs(ref[i]!)), `step ${i}: ${DUT} loss ${got[i]} vs cpu-js ${ref[i]}`);
  }
});

test('under bf16 autocast the same model learns, close to its float32 curve', { skip: skipDut }, () => {
  const init = initialWeights();
  const f32 = train(DUT, init, false);
  const bf16 = train(DUT, init, true);
  assert.ok(bf16[STEPS - 1]! < bf16[0]! - 0.5, `bf16 learns: ${bf16[0]} -> ${bf16[STEPS - 1]}`);
  for (let i = 0; i < STEPS; i++) {
    assert.ok(Math.abs(bf16[i]! - f32[i]!) <= 0.05 * Math.max(1, Math.abs(f32[i]!)), `step ${i}: bf16 loss ${bf16[i]} vs float32 ${f32[i]}`);
  }
});
