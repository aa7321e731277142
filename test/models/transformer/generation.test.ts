// Decoding with the encoder-decoder Transformer: the decoder's KV cache gives the logits of a full pass, greedy
// decoding is the argmax of teacher-forced logits, beam size 1 is greedy, wider beams score at least as well as
// greedy, eos stops a row, padded sources decode as they do alone, and the length penalty ranks hypotheses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, noGrad, type Tensor } from '../../../src/index.js';
import { loadTensors } from '../../../src/io/tensors.js';
import { beamSearch, greedySearch, TransformerMTModel, type DecoderLayerCache } from '../../../src/models/transformer/index.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { ids, randomModel, smallConfig } from './util.js';

/** Sum of log-probabilities of a target row's generated tokens (after the start token, up to eos), by teacher forcing. */
function sequenceLogProb(model: TransformerMTModel, source: Tensor, target: number[], eos: number): { sum: number; length: number } {
  return noGrad(() => {
    const logits = model.forward(source, { decoderInputIds: ids([target.slice(0, -1)], source.device) }).logits; // (1, L-1, V)
    const V = logits.dim(2);
    const lp = logits.toArray();
    let sum = 0, length = 0;
    for (let t = 1; t < target.length; t++) {
      const row = lp.subarray((t - 1) * V, t * V);
      const max = Math.max(...row);
      let z = 0;
      for (const v of row) z += Math.exp(v - max);
      sum += row[target[t]!]! - (max + Math.log(z));
      length++;
      if (target[t] === eos) break;
    }
    return { sum, length };
  });
}

forEachDevice('Transformer decoding', (device) => {
  const fixture = TransformerMTModel.fromPretrained(fixturePath('marian-mt'), { device });
  const fx = loadTensors(fixturePath('marian-mt', 'inputs.safetensors'), device);

  test('decoder logits step by step with the KV cache equal one full pass', () => {
    for (const [m, src, mask, tgt] of [
      [fixture, fx.get('input_ids')!, fx.get('attention_mask')!, fx.get('decoder_input_ids')!],
      [randomModel(smallConfig(), device, 2), ids([[3, 9, 27, 4, 1], [5, 6, 1, 0, 0]], device), ids([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], device), ids([[0, 3, 4, 5, 6, 7], [0, 8, 8, 9, 2, 2]], device)],
    ] as const) {
      noGrad(() => {
        const full = m.forward(src, { attentionMask: mask, decoderInputIds: tgt }).logits;
        const enc = m.model.encoder.forward(src, { attentionMask: mask });
        let past: DecoderLayerCache[] | null = null;
        const steps: Tensor[] = [];
        for (let t = 0; t < tgt.dim(1); t++) {
          const d = m.model.decoder.forward(tgt.narrow(1, t, 1), { encoderHiddenStates: enc.lastHiddenState, encoderAttentionMask: mask, pastKeyValues: past, useCache: true });
          past = d.pastKeyValues!;
          steps.push(m.logits(d.lastHiddenState));
        }
        assertClose(cat(steps, 1), full, { atol: 1e-5, name: 'cached logits' });
      });
    }
  });

  test('greedy decoding takes the argmax of the teacher-forced logits; the cache changes nothing', () => {
    const src = fx.get('input_ids')!, mask = fx.get('attention_mask')!;
    const out = fixture.generate(src, { attentionMask: mask, maxNewTokens: 8, eosTokenId: null });
    assert.deepEqual(out.toList(), fixture.generate(src, { attentionMask: mask, maxNewTokens: 8, eosTokenId: null, useCache: false }).toList());
    const rows = out.toList() as number[][];
    assert.ok(rows.every((r) => r[0] === 0 && r.length === 9), 'decoder start token first');
    const logits = fixture.forward(src, { attentionMask: mask, decoderInputIds: out.narrow(1, 0, 8) }).logits;
    assert.deepEqual(logits.argmax(-1).toList(), rows.map((r) => r.slice(1)));
  });

  test('beam size 1 is greedy decoding', () => {
    const m = randomModel(smallConfig(), device, 4);
    const src = ids([[3, 9, 27, 4, 1], [5, 6, 7, 8, 1]], device);
    for (const eosTokenId of [null, 1]) {
      const greedy = greedySearch(m, src, { maxNewTokens: 10, eosTokenId });
      const beam1 = beamSearch(m, src, { maxNewTokens: 10, eosTokenId, numBeams: 1 });
      assert.deepEqual(beam1.sequences.toList(), greedy.sequences.toList());
      assertClose(beam1.scores, greedy.scores, { atol: 1e-5 });
    }
  });

  test('beam search scores at least as well as greedy, better on some inputs, and its scores are the sequences\' own', () => {
    const m = randomModel(smallConfig({ eos_token_id: null }), device, 6);
    const sources = Array.from({ length: 6 }, (_, s) => ids([[2 + s, 10 + 2 * s, 27 - s, 4 + s, 1]], device));
    // a rarely produced eos, and one the model produces often (so that finished hypotheses compete)
    const frequent = (m.generate(sources[0]!, { maxNewTokens: 3 }).toList() as number[][])[0]![1]!;
    let better = 0, finished = 0;
    for (const eos of [1, frequent]) {
      for (const src of sources) {
        const g = m.search(src, { maxNewTokens: 7, eosTokenId: eos });
        const b = m.search(src, { maxNewTokens: 7, eosTokenId: eos, numBeams: 4 });
        assert.ok(b.scores[0]! >= g.scores[0]! - 1e-5, `beam ${b.scores[0]} < greedy ${g.scores[0]}`);
        if (b.scores[0]! > g.scores[0]! + 1e-6) better++;
        const row = (b.sequences.toList() as number[][])[0]!;
        if (row.includes(eos)) finished++;
        // the reported score is the sequence's log-probability / length (length penalty 1)
        const lp = sequenceLogProb(m, src, row, eos);
        assertClose([b.scores[0]!], [lp.sum / lp.length], { atol: 1e-4, name: 'beam score' });
      }
    }
    assert.ok(better > 0, 'beam search beat greedy on at least one input');
    assert.ok(finished > 0, 'some best hypotheses ended with eos');
  });

  test('eos stops a row (padded after); generation ends once every row stopped', () => {
    const m = randomModel(smallConfig({ eos_token_id: null }), device, 8);
    const src = ids([[3, 9, 27, 4, 1], [5, 6, 7, 8, 1]], device);
    const free = m.generate(src, { maxNewTokens: 10 }).toList() as number[][];
    const eos = free[0]![3]!; // the third token of row 0
    const at = free[0]!.indexOf(eos, 1);
    for (const numBeams of [1, 3]) {
      const rows = m.generate(src, { maxNewTokens: 10, eosTokenId: eos, padTokenId: 0, numBeams }).toList() as number[][];
      const stop = rows[0]!.indexOf(eos, 1);
      assert.ok(stop > 0, `row 0 ends with eos (beams ${numBeams})`);
      assert.ok(rows[0]!.slice(stop + 1).every((v) => v === 0), 'padded after eos');
      if (numBeams === 1) assert.deepEqual(rows[0]!.slice(0, at + 1), free[0]!.slice(0, at + 1));
    }
    const single = m.generate(src.narrow(0, 0, 1), { maxNewTokens: 10, eosTokenId: eos }).toList() as number[][];
    assert.equal(single[0]!.length, at + 1);
  });

  test('a padded source decodes as it does alone', () => {
    const m = randomModel(smallConfig(), device, 9);
    const a = [3, 9, 27, 4, 1], b = [5, 6, 1];
    const batch = ids([a, [...b, 0, 0]], device);
    const mask = ids([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], device);
    for (const numBeams of [1, 3]) {
      const both = m.generate(batch, { attentionMask: mask, maxNewTokens: 6, numBeams }).toList() as number[][];
      const alone = m.generate(ids([b], device), { maxNewTokens: 6, numBeams }).toList() as number[][];
      assert.deepEqual(both[1]!.slice(0, alone[0]!.length), alone[0]);
    }
  });

  test('with a length penalty alpha, scores are sum(log p) / length^alpha', () => {
    const m = randomModel(smallConfig({ eos_token_id: null }), device, 6);
    const src = ids([[4, 12, 25, 6, 1]], device);
    const eos = (m.generate(src, { maxNewTokens: 3 }).toList() as number[][])[0]![2]!;
    const lengths = new Set<number>();
    for (const alpha of [-1, 0, 1, 2]) {
      const r = m.search(src, { maxNewTokens: 7, numBeams: 4, lengthPenalty: alpha, eosTokenId: eos });
      const row = (r.sequences.toList() as number[][])[0]!;
      const lp = sequenceLogProb(m, src, row, eos);
      lengths.add(lp.length);
      assertClose([r.scores[0]!], [lp.sum / lp.length ** alpha], { atol: 1e-4, name: `score, alpha ${alpha}` });
    }
    assert.ok(lengths.size > 1, 'the penalty changes which length wins');
  });

  test('options are checked', () => {
    const src = fx.get('input_ids')!;
    assert.throws(() => fixture.generate(src, { numBeams: 0 }), /numBeams must be a positive integer/);
    assert.throws(() => fixture.generate(src, { maxNewTokens: 65 }), /maxNewTokens 65 .*longer than max_position_embeddings 64/);
  });
});
