// Beam search scored as transformers' BeamSearchScorer: numBeams prefixes per input by summed log-probability;
// an eos-ended prefix becomes a hypothesis scored sum / length^lengthPenalty; an input is done when numBeams are
// finished and (unless earlyStopping) no running beam can beat the worst; at the limit running beams compete too.
import { noGrad } from '../../autograd/engine.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { DecodingState, lengthNormalized, padRows, resolveDecoding, type Seq2SeqGenerateOptions, type Seq2SeqGenerateResult } from './decoding.js';
import type { TransformerMTModel } from './mt-model.js';

interface Hypothesis {
  tokens: number[];
  score: number;
}

/** The best `size` hypotheses seen so far for one input. */
class Hypotheses {
  readonly items: Hypothesis[] = [];
  constructor(private readonly size: number) {}

  add(tokens: number[], score: number): void {
    if (this.items.length >= this.size && score <= this.worst()) return;
    this.items.push({ tokens, score });
    this.items.sort((a, b) => b.score - a.score);
    if (this.items.length > this.size) this.items.pop();
  }

  worst(): number {
    return this.items.length ? this.items[this.items.length - 1]!.score : -Infinity;
  }

  get full(): boolean {
    return this.items.length >= this.size;
  }
}

/** Indices of the `m` largest values of row (largest first; ties keep the lower index first). */
function topIndices(row: ArrayLike<number>, m: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (top.length === m && v <= row[top[m - 1]!]!) continue;
    let at = top.length;
    while (at > 0 && row[top[at - 1]!]! < v) at--;
    top.splice(at, 0, i);
    if (top.length > m) top.pop();
  }
  return top;
}

export function beamSearch(model: TransformerMTModel, inputIds: Tensor, opts: Seq2SeqGenerateOptions = {}): Seq2SeqGenerateResult {
  const r = resolveDecoding(model, opts);
  const K = r.numBeams;
  return noGrad(() => {
    const device = inputIds.device;
    const enc = model.model.encoder.forward(inputIds, { attentionMask: opts.attentionMask });
    const B = inputIds.dim(0), N = B * K;
    // every input's encoder states repeated for its K beams: row b*K + k is beam k of input b
    const repeat = tensor(Array.from({ length: N }, (_, i) => Math.floor(i / K)), { dtype: 'int64', device });
    const states = enc.lastHiddenState.indexSelect(0, repeat); // (N, S, C)
    const mask = opts.attentionMask ? opts.attentionMask.indexSelect(0, repeat) : null; // (N, S)
    const state = new DecodingState(model, states, mask, r.useCache);
    let rows = Array.from({ length: N }, () => [r.start]);
    // only the first beam of each input is live at the start, so the first step does not pick K copies
    let beamScores: number[] = Array.from({ length: N }, (_, i) => (i % K === 0 ? 0 : -1e9));
    const hyps = Array.from({ length: B }, () => new Hypotheses(K));
    const done = new Array<boolean>(B).fill(false);
    const perBeam = Math.max(2, 1 + r.eos.size) * K; // enough candidates to refill K beams past the eos ones
    for (let step = 0; step < r.maxNew; step++) {
      const logProbs = state.step(rows);
      const nextRows: number[][] = new Array(N);
      const nextScores: number[] = new Array(N);
      const source: number[] = new Array(N);
      for (let b = 0; b < B; b++) {
        if (done[b]) {
          for (let k = 0; k < K; k++) {
            const i = b * K + k;
            nextRows[i] = [...rows[i]!, r.pad];
            nextScores[i] = beamScores[i]!;
            source[i] = i;
          }
          continue;
        }
        const cands: { score: number; beam: number; token: number }[] = [];
        for (let k = 0; k < K; k++) {
          const beam = b * K + k;
          const lp = logProbs[beam]!;
          for (const token of topIndices(lp, perBeam)) cands.push({ score: beamScores[beam]! + lp[token]!, beam, token });
        }
        cands.sort((x, y) => y.score - x.score || x.beam - y.beam);
        let filled = 0;
        for (let rank = 0; rank < Math.min(perBeam, cands.length) && filled < K; rank++) {
          const c = cands[rank]!;
          if (r.eos.has(c.token)) {
            // an eos outside the top K would not have been kept as a beam either
            if (rank < K) hyps[b]!.add([...rows[c.beam]!, c.token], lengthNormalized(c.score, step + 1, r.lengthPenalty));
            continue;
          }
          const i = b * K + filled++;
          nextRows[i] = [...rows[c.beam]!, c.token];
          nextScores[i] = c.score;
          source[i] = c.beam;
        }
        const h = hyps[b]!;
        if (h.full && (r.earlyStopping || h.worst() >= lengthNormalized(cands[0]!.score, step + 1, r.lengthPenalty))) done[b] = true;
      }
      rows = nextRows;
      beamScores = nextScores;
      state.reorder(source);
      if (done.every(Boolean)) break;
    }
    // inputs still running at the length limit: their live beams compete with the finished hypotheses
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      for (let k = 0; k < K; k++) {
        const i = b * K + k;
        hyps[b]!.add(rows[i]!, lengthNormalized(beamScores[i]!, rows[i]!.length - 1, r.lengthPenalty));
      }
    }
    const best = hyps.map((h) => h.items[0]!);
    return { sequences: padRows(best.map((h) => h.tokens), r.pad, device), scores: best.map((h) => h.score) };
  });
}
