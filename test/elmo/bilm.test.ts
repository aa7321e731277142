// The ELMo biLSTM: each direction equals torch.nn.LSTM with proj_size (the engine's parity-tested LSTM) without
// clipping; the stack equals running forward cells on the sequence and backward cells on its reversal (residual
// above layer 0); clipping bounds c and h; padded positions change nothing at valid ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../src/autograd/engine.js';
import { LSTM } from '../../src/nn/layers/lstm.js';
import { manualSeed, randn, zeros } from '../../src/tensor/creation.js';
import { where } from '../../src/tensor/ops/elementwise.js';
import { cat, stack } from '../../src/tensor/ops/indexing.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { ElmoLanguageModel, ElmoLstm, LstmCellWithProjection, batchToIds } from '../../src/models/elmo/index.js';
import { assertClose } from '../helpers/assert.js';
import { forEachDevice } from '../helpers/devices.js';
import { SENTENCES, tinyConfig } from './util.js';

const LENGTHS = [5, 3, 1];

/** Reverses the first `len` steps of (T, C) rows. */
function reverseRow(x: Tensor, len: number): Tensor {
  return stack(Array.from({ length: len }, (_, t) => x.select(0, len - 1 - t)), 0);
}

/** Runs a forward-going copy of `cell` on one unpadded row x (T, C). */
function runForward(cell: LstmCellWithProjection, x: Tensor): Tensor {
  return cell.forward(x.unsqueeze(0)).output.select(0, 0);
}

forEachDevice('ELMo biLSTM', (device) => {
  test('without clipping, each direction is torch.nn.LSTM with proj_size (the engine LSTM), ragged batch', () => {
    manualSeed(5);
    const config = tinyConfig({ lstm: { dim: 12, projection_dim: 6, n_layers: 1, cell_clip: null, proj_clip: null, use_skip_connections: true } });
    const bilm = new ElmoLstm(config, { device });
    const ref = new LSTM(6, 12, { projSize: 6, bidirectional: true, device });
    noGrad(() => {
      for (const [sfx, cell] of [['_l0', bilm.forwardLayers[0]!], ['_l0_reverse', bilm.backwardLayers[0]!]] as const) {
        const state = ref.stateDict();
        state.get(`weight_ih${sfx}`)!.assign_(cell.inputLinearity.weight);
        state.get(`weight_hh${sfx}`)!.assign_(cell.stateLinearity.weight);
        state.get(`bias_ih${sfx}`)!.assign_(cell.stateLinearity.bias!);
        state.get(`bias_hh${sfx}`)!.assign_(zeros([48], { device }));
        state.get(`weight_hr${sfx}`)!.assign_(cell.stateProjection.weight);
      }
    });
    const x = randn([3, 5, 6], { device });
    const ours = noGrad(() => bilm.forward(x, LENGTHS).layers[0]!);
    const theirs = noGrad(() => ref.forward(x, { lengths: LENGTHS }).output);
    assertClose(ours, theirs, { atol: 1e-5 });
  });

  test('the stack equals forward cells on the sequence and backward cells on its reversal, residual above layer 0', () => {
    manualSeed(6);
    const config = tinyConfig({ lstm: { dim: 12, projection_dim: 6, n_layers: 2, cell_clip: 0.5, proj_clip: 0.3, use_skip_connections: true } });
    const bilm = new ElmoLstm(config, { device });
    const x = randn([3, 5, 6], { device });
    const out = noGrad(() => bilm.forward(x, LENGTHS));
    const copy = (cell: LstmCellWithProjection) => {
      const c = new LstmCellWithProjection(6, 6, 12, { goForward: true, cellClip: 0.5, projClip: 0.3, device });
      c.loadStateDict(cell.stateDict());
      return c;
    };
    noGrad(() => {
      LENGTHS.forEach((len, b) => {
        const row = x.select(0, b).narrow(0, 0, len);
        let fwd = row, bwd = reverseRow(row, len);
        for (let k = 0; k < 2; k++) {
          const f = runForward(copy(bilm.forwardLayers[k]!), fwd);
          const r = runForward(copy(bilm.backwardLayers[k]!), bwd);
          fwd = k > 0 ? f.add(fwd) : f;
          bwd = k > 0 ? r.add(bwd) : r;
          const expected = cat([fwd, reverseRow(bwd, len)], 1);
          assertClose(out.layers[k]!.select(0, b).narrow(0, 0, len), expected, { atol: 1e-5, name: `layer ${k} row ${b}` });
          if (len < 5) assert.equal(out.layers[k]!.select(0, b).narrow(0, len, 5 - len).abs().max().item(), 0);
        }
      });
    });
  });

  test('clipping: c is clamped before h = o * tanh(c), h after the projection', () => {
    manualSeed(7);
    const cell = new LstmCellWithProjection(4, 3, 5, { cellClip: 0.1, projClip: 0.05, device });
    const x = randn([2, 1, 4], { device }).mul(5);
    const r = noGrad(() => cell.forward(x));
    const gates = noGrad(() => cell.inputLinearity.forward(x.select(1, 0)).add(cell.stateLinearity.forward(zeros([2, 3], { device }))));
    const [i, , g, o] = gates.split(5, 1);
    const c = noGrad(() => i!.sigmoid().mul(g!.tanh()).clamp(-0.1, 0.1));
    const h = noGrad(() => cell.stateProjection.forward(o!.sigmoid().mul(c.tanh())).clamp(-0.05, 0.05));
    assertClose(r.c, c, { atol: 1e-6 });
    assertClose(r.h, h, { atol: 1e-6 });
    assert.ok((r.output.abs().max().item()) <= 0.05 + 1e-7);
  });

  test('masks: changing padded inputs (LSTM) or padded tokens (whole model) leaves valid positions unchanged', () => {
    manualSeed(8);
    const config = tinyConfig();
    const bilm = new ElmoLstm(config, { device });
    const x = randn([3, 5, 6], { device });
    const valid = Tensor.fromHost(Uint8Array.from({ length: 15 }, (_, n) => (n % 5 < LENGTHS[Math.floor(n / 5)]! ? 1 : 0)), [3, 5, 1], 'bool', device);
    const noisy = where(valid, x, randn([3, 5, 6], { device }).mul(100));
    const a = noGrad(() => bilm.forward(x, LENGTHS).layers);
    const b = noGrad(() => bilm.forward(noisy, LENGTHS).layers);
    a.forEach((l, k) => assertClose(b[k]!, l, { atol: 1e-6, name: `layer ${k}` }));

    const model = new ElmoLanguageModel(config, { device });
    model.eval();
    const { ids, lengths } = batchToIds(SENTENCES, { maxChars: 8, sentenceBoundaries: true, device });
    const host = Int32Array.from(ids.toArray() as Int32Array);
    const [B, T, C] = ids.shape as [number, number, number];
    // garbage characters in every padded token slot
    for (let bb = 0; bb < B; bb++) for (let t = lengths[bb]!; t < T; t++) for (let c = 0; c < C; c++) host[(bb * T + t) * C + c] = 1 + ((bb + t + c) % 200);
    const garbage = Tensor.fromHost(host, [B, T, C], 'int32', device);
    const wordIds = lengths.map((n) => Array.from({ length: n }, (_, t) => (t * 7) % 20));
    const clean = noGrad(() => model.forward(ids, lengths, wordIds));
    const dirty = noGrad(() => model.forward(garbage, lengths, wordIds));
    model.layerActivations(clean.encoding).forEach((l, k) => assertClose(model.layerActivations(dirty.encoding)[k]!, l, { atol: 1e-6, name: `activation ${k}` }));
    assertClose(dirty.loss, clean.loss, { atol: 1e-6 });
  });

  test('a sentence gets the same outputs alone and inside a padded batch', () => {
    manualSeed(9);
    const model = new ElmoLanguageModel(tinyConfig(), { device });
    model.eval();
    const batch = batchToIds(SENTENCES, { maxChars: 8, sentenceBoundaries: true, device });
    const alone = batchToIds([SENTENCES[2]!], { maxChars: 8, sentenceBoundaries: true, device });
    const a = noGrad(() => model.layerActivations(model.encode(batch.ids, batch.lengths)));
    const b = noGrad(() => model.layerActivations(model.encode(alone.ids, alone.lengths)));
    a.forEach((l, k) => assertClose(l.select(0, 2).narrow(0, 0, 5), b[k]!.select(0, 0), { atol: 1e-5, name: `layer ${k}` }));
  });
});
