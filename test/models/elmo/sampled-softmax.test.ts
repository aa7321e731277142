// The sampled softmax (Jean et al. 2015; AllenNLP's SampledSoftmaxLoss): the log-uniform sampler's distribution
// and distinct draws, the corrected logits and removed accidental hits against a hand computation, its loss
// approaching the full softmax's in expectation as the samples grow, gradients reaching only the rows it used,
// and the language model using it in training only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/backend/all.js';
import { noGrad } from '../../../src/autograd/engine.js';
import { manualSeed, randn } from '../../../src/tensor/creation.js';
import { crossEntropy } from '../../../src/tensor/ops/fused.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { ACCIDENTAL_HIT_LOGIT, ElmoLanguageModel, LogUniformSampler, SoftmaxLoss, batchToIds, elmoConfig } from '../../../src/models/elmo/index.js';
import { forEachDevice } from '../../helpers/devices.js';

test('log-uniform sampler: P(k) sums to 1, draws follow it, samples are distinct, expected counts', () => {
  const V = 50;
  const s = new LogUniformSampler(V, 7);
  let total = 0;
  for (let k = 0; k < V; k++) total += s.probability(k);
  assert.ok(Math.abs(total - 1) < 1e-12);
  const counts = new Float64Array(V);
  const n = 40000;
  for (let i = 0; i < n; i++) counts[s.draw()]! += 1;
  for (const k of [0, 1, 5, 20, 49]) {
    const p = s.probability(k);
    assert.ok(Math.abs(counts[k]! / n - p) < 4 * Math.sqrt((p * (1 - p)) / n) + 1e-3, `id ${k}: ${counts[k]! / n} vs ${p}`);
  }
  const { ids, tries } = s.sample(20);
  assert.equal(new Set(ids).size, 20);
  assert.ok(tries >= 20);
  assert.ok(Math.abs(s.expectedCount(3, tries) - (1 - (1 - s.probability(3)) ** tries)) < 1e-12);
  assert.throws(() => s.sample(51), /numSamples must be an integer in \[1, 50\]/);
  // the state replays the sequence
  const a = new LogUniformSampler(V, 3), b = new LogUniformSampler(V, 99);
  a.sample(5);
  b.state = a.state;
  assert.deepEqual(Array.from(a.sample(8).ids), Array.from(b.sample(8).ids));
});

forEachDevice('ELMo sampled softmax', (device) => {
  test('logits: target and samples less log expected count, accidental hits removed', () => {
    manualSeed(2);
    const V = 12, P = 5, N = 7;
    const sm = new SoftmaxLoss(V, P, { device });
    noGrad(() => sm.softmaxB.assign_(randn([V], { device })));
    const states = randn([N, P], { device });
    const targets = [0, 1, 2, 3, 0, 5, 11];
    const sampler = new LogUniformSampler(V, 5);
    const { logits, samples, tries } = sm.sampledLogits(states, targets, sampler, 8);
    const full = sm.logits(states).toArray();
    const got = logits.toArray();
    const S = samples.length;
    assert.deepEqual(logits.shape, [N, 1 + S]);
    let hits = 0;
    for (let n = 0; n < N; n++) {
      const y = targets[n]!;
      assert.ok(Math.abs(got[n * (1 + S)]! - (full[n * V + y]! - Math.log(sampler.expectedCount(y, tries)))) < 1e-4);
      for (let s = 0; s < S; s++) {
        const k = samples[s]!;
        const v = got[n * (1 + S) + 1 + s]!;
        if (k === y) {
          hits++;
          assert.equal(v, ACCIDENTAL_HIT_LOGIT);
        } else {
          assert.ok(Math.abs(v - (full[n * V + k]! - Math.log(sampler.expectedCount(k, tries)))) < 1e-4);
        }
      }
    }
    // 8 of 12 ids sampled: frequent targets are certainly among them
    assert.ok(hits >= 3, `${hits} accidental hits`);
  });

  test('the loss approaches the full softmax loss in expectation as the samples grow', () => {
    manualSeed(4);
    const V = 40, P = 6, N = 16;
    const sm = new SoftmaxLoss(V, P, { device });
    const states = randn([N, P], { device });
    const targets = Array.from({ length: N }, (_, n) => (n * 7) % V);
    const full = noGrad(() => sm.forward(states, Tensor.fromHost(Int32Array.from(targets), [N], 'int32', device)).item());
    const mean = (S: number, draws: number) => {
      const sampler = new LogUniformSampler(V, 11);
      let sum = 0;
      noGrad(() => {
        for (let i = 0; i < draws; i++) sum += sm.sampledForward(states, targets, sampler, S).item();
      });
      return sum / draws;
    };
    const few = mean(4, 200), many = mean(36, 200);
    const gapFew = Math.abs(few - full) / full, gapMany = Math.abs(many - full) / full;
    assert.ok(gapMany < 0.03, `36 of 40 samples: mean ${many} vs full ${full}`);
    assert.ok(gapMany < gapFew, `the gap shrinks: ${gapFew} (4 samples) -> ${gapMany} (36 samples)`);
  });

  test('gradients reach the states and only the softmax rows of targets and samples', () => {
    manualSeed(6);
    const V = 30, P = 4, N = 5;
    const sm = new SoftmaxLoss(V, P, { device });
    const states = randn([N, P], { device }).requiresGrad_(true);
    const targets = [1, 2, 3, 4, 25];
    const sampler = new LogUniformSampler(V, 1);
    const probe = new LogUniformSampler(V, 1);
    const used = new Set([...targets, ...probe.sample(6).ids]);
    crossEntropy(sm.sampledLogits(states, targets, sampler, 6).logits, Tensor.fromHost(new Int32Array(N), [N], 'int32', device), { reduction: 'sum' }).backward();
    const gs = states.grad!.toArray();
    assert.ok(gs.every((v) => Number.isFinite(v)) && gs.some((v) => v !== 0));
    const gw = sm.softmaxW.grad!.toArray(), gb = sm.softmaxB.grad!.toArray();
    for (let k = 0; k < V; k++) {
      let col = Math.abs(gb[k]!);
      for (let p = 0; p < P; p++) col += Math.abs(gw[p * V + k]!);
      if (used.has(k)) assert.ok(col > 0, `id ${k} was used but got no gradient`);
      else assert.equal(col, 0, `id ${k} was not used but got a gradient`);
    }
  });

  test('the language model uses the sampled softmax in training and the full one in eval', () => {
    manualSeed(8);
    const config = elmoConfig('elmo-small', {
      char_cnn: { filters: [[1, 4], [2, 4]], n_highway: 1, embedding: { dim: 4 }, n_characters: 262, max_characters_per_token: 8, activation: 'relu' },
      lstm: { dim: 8, projection_dim: 4, n_layers: 2, cell_clip: 3, proj_clip: 3, use_skip_connections: true },
      vocab_size: 20, dropout: 0, softmax: 'sampled', n_negative_samples_batch: 6,
    });
    const model = new ElmoLanguageModel(config, { device });
    assert.ok(model.sampler);
    const { ids, lengths } = batchToIds([['a', 'b', 'c'], ['d', 'e']], { maxChars: 8, sentenceBoundaries: true, device });
    const wordIds = [[1, 5, 6, 7, 0], [1, 8, 9, 0]];
    model.eval();
    const evalLoss = noGrad(() => model.forward(ids, lengths, wordIds).loss.item());
    const fullConfig = new ElmoLanguageModel({ ...config, softmax: 'full' }, { device });
    fullConfig.loadStateDict(model.stateDict());
    fullConfig.eval();
    assert.ok(Math.abs(evalLoss - noGrad(() => fullConfig.forward(ids, lengths, wordIds).loss.item())) < 1e-5);
    model.train();
    const before = model.sampler!.state;
    const out = model.forward(ids, lengths, wordIds);
    assert.notEqual(model.sampler!.state, before, 'training draws negatives');
    out.loss.backward();
    assert.ok(model.lstm.forwardLayers[0]!.inputLinearity.weight.grad!.toArray().some((v) => v !== 0));
  });
});
