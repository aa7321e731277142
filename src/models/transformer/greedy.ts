// Greedy decoding for the encoder-decoder Transformer: encode once, then take the most likely next token at
// each step (KV cache), stopping rows at eos (padded after) until all stop or maxNewTokens.
import { noGrad } from '../../autograd/engine.js';
import type { Tensor } from '../../tensor/tensor.js';
import { DecodingState, lengthNormalized, padRows, resolveDecoding, type Seq2SeqGenerateOptions, type Seq2SeqGenerateResult } from './decoding.js';
import type { TransformerMTModel } from './mt-model.js';

export function greedySearch(model: TransformerMTModel, inputIds: Tensor, opts: Seq2SeqGenerateOptions = {}): Seq2SeqGenerateResult {
  const r = resolveDecoding(model, opts);
  return noGrad(() => {
    const enc = model.model.encoder.forward(inputIds, { attentionMask: opts.attentionMask });
    const B = inputIds.dim(0);
    const state = new DecodingState(model, enc.lastHiddenState, opts.attentionMask ?? null, r.useCache);
    const rows = Array.from({ length: B }, () => [r.start]);
    const sums = new Array<number>(B).fill(0);
    const lengths = new Array<number>(B).fill(0);
    const done = new Array<boolean>(B).fill(false);
    for (let step = 0; step < r.maxNew && !done.every(Boolean); step++) {
      const logProbs = state.step(rows);
      for (let b = 0; b < B; b++) {
        if (done[b]) {
          rows[b]!.push(r.pad);
          continue;
        }
        const lp = logProbs[b]!;
        let best = 0;
        for (let v = 1; v < lp.length; v++) if (lp[v]! > lp[best]!) best = v;
        rows[b]!.push(best);
        sums[b]! += lp[best]!;
        lengths[b]!++;
        if (r.eos.has(best)) done[b] = true;
      }
    }
    return {
      sequences: padRows(rows, r.pad, inputIds.device),
      scores: sums.map((s, b) => lengthNormalized(s, lengths[b]!, r.lengthPenalty)),
    };
  });
}
