// GPT-2 generation: greedy output equal to transformers' (generate.json), KV-cached logits equal to a full
// re-run, reproducible seeded sampling, eos stopping, left-padded batches, and option errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cat, noGrad, type Tensor } from '../../../src/index.js';
import { GPT2LMHeadModel, sampleToken, seededRandom, type LayerCache } from '../../../src/models/gpt2/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { ids, oddConfig, randomModel } from './util.js';

const reference = JSON.parse(readFileSync(fixturePath('gpt2-lm', 'generate.json'), 'utf8')) as { prompt: number[][]; greedy: number[][] };

forEachDevice('GPT-2 generation', (device) => {
  const model = GPT2LMHeadModel.fromPretrained(fixturePath('gpt2-lm'), { device });

  test('greedy decoding reproduces transformers generate() exactly, with and without the cache', () => {
    const prompt = ids(reference.prompt, device);
    const n = reference.greedy[0]!.length - reference.prompt[0]!.length;
    assert.deepEqual(model.generate(prompt, { maxNewTokens: n }).toList(), reference.greedy);
    assert.deepEqual(model.generate(prompt, { maxNewTokens: n, useCache: false }).toList(), reference.greedy);
  });

  test('logits computed step by step with the KV cache equal one full forward', () => {
    for (const m of [model, randomModel(oddConfig(), device, 3)]) {
      const V = m.config.vocab_size;
      const x = ids([[3, 14, 15, 9, 2, 6, 5, 3], [35, 8, 9, 7, 9, 3, 2, 3]].map((r) => r.map((v) => v % V)), device);
      noGrad(() => {
        const full = m.forward(x, { outputAttentions: true }).logits;
        // a 3-token prefix, then one token at a time
        let r = m.forward(x.narrow(1, 0, 3), { useCache: true });
        const steps: Tensor[] = [r.logits];
        let past: LayerCache[] = r.pastKeyValues!;
        for (let t = 3; t < 8; t++) {
          r = m.forward(x.narrow(1, t, 1), { pastKeyValues: past, useCache: true });
          past = r.pastKeyValues!;
          steps.push(r.logits);
        }
        assert.equal(past[0]!.key.dim(2), 8);
        assertClose(cat(steps, 1), full, { atol: 1e-5, name: 'cached logits' });
      });
    }
  });

  test('seeded sampling is reproducible; top-k 1 is greedy; different seeds differ', () => {
    const prompt = ids([[34, 71, 29], [1, 2, 3]], device);
    const a = model.generate(prompt, { maxNewTokens: 12, temperature: 1.3, topP: 0.95, seed: 42 }).toList();
    const b = model.generate(prompt, { maxNewTokens: 12, temperature: 1.3, topP: 0.95, seed: 42 }).toList();
    const c = model.generate(prompt, { maxNewTokens: 12, temperature: 1.3, topP: 0.95, seed: 43 }).toList();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual(model.generate(prompt, { maxNewTokens: 6, topK: 1, seed: 5 }).toList(), model.generate(prompt, { maxNewTokens: 6 }).toList());
  });

  test('a row stops at eos and is padded; generation ends when every row has stopped', () => {
    const prompt = ids([[34, 71, 29, 86, 4], [5, 6, 7, 8, 9]], device);
    const free = model.generate(prompt, { maxNewTokens: 8, eosTokenId: null }).toList() as number[][];
    const eos = free[1]![7]!; // the third token row 1 generates
    const stopAt = free[1]!.indexOf(eos, 5);
    const out = model.generate(prompt, { maxNewTokens: 8, eosTokenId: eos, padTokenId: 100 }).toList() as number[][];
    assert.deepEqual(out[1]!.slice(0, stopAt + 1), free[1]!.slice(0, stopAt + 1));
    assert.ok(out[1]!.slice(stopAt + 1).every((v) => v === 100), 'padded after eos');
    // a single row stops the loop right at eos
    const single = model.generate(prompt.narrow(0, 1, 1), { maxNewTokens: 8, eosTokenId: eos }).toList() as number[][];
    assert.equal(single[0]!.length, stopAt + 1);
  });

  test('a left-padded batch generates what each prompt generates alone', () => {
    const m = randomModel(oddConfig({ eos_token_id: null }), device, 11);
    const long = [4, 8, 15, 16, 23], short = [30, 2];
    const batch = ids([long, [0, 0, 0, ...short]], device);
    const mask = ids([[1, 1, 1, 1, 1], [0, 0, 0, 1, 1]], device);
    const out = m.generate(batch, { maxNewTokens: 6, attentionMask: mask }).toList() as number[][];
    assert.deepEqual(out[0], (m.generate(ids([long], device), { maxNewTokens: 6 }).toList() as number[][])[0]);
    assert.deepEqual(out[1]!.slice(3), (m.generate(ids([short], device), { maxNewTokens: 6 }).toList() as number[][])[0]);
  });

  test('options are checked', () => {
    const p = ids([[1, 2]], device);
    assert.throws(() => model.generate(p, { maxNewTokens: 63 }), /prompt of 2 tokens \+ maxNewTokens 63.* longer than n_positions 64/);
    assert.throws(() => model.generate(p, { temperature: 0 }), /temperature must be a positive number/);
    assert.throws(() => model.generate(p, { topP: 1.5 }), /topP must be in \(0, 1\]/);
    assert.throws(() => model.generate(p, { topK: 2, greedy: true }), /greedy decoding takes no temperature, topK or topP/);
  });
});

test('sampling: top-k keeps only the k best, top-p keeps the smallest set reaching p', () => {
  const logits = [0, Math.log(4), Math.log(3), Math.log(2)]; // probabilities 0.1, 0.4, 0.3, 0.2
  const draw = (opts: Parameters<typeof sampleToken>[1]) => {
    const rng = seededRandom(9);
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) seen.add(sampleToken(logits, opts, rng));
    return [...seen].sort();
  };
  assert.deepEqual(draw({}), [0, 1, 2, 3]);
  assert.deepEqual(draw({ topK: 2 }), [1, 2]);
  assert.deepEqual(draw({ topP: 0.65 }), [1, 2]); // 0.4 + 0.3 reaches 0.65
  assert.deepEqual(draw({ topP: 0.75 }), [1, 2, 3]);
  assert.deepEqual(draw({ temperature: 0.01 }), [1]);
});
