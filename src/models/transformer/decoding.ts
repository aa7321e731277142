// What greedy decoding and beam search share: their options, and a decoding state that encodes the source once
// and then gives next-token log-probabilities step by step, feeding one token per row with the decoder's
// key/value cache (or the whole prefix again when the cache is off), reorderable for beams.
import { TesseraError } from '../../errors.js';
import { logSoftmax } from '../../tensor/ops/fused.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { eosIds } from './config.js';
import type { DecoderLayerCache } from './decoder.js';
import { checkLength } from './inputs.js';
import type { TransformerMTModel } from './mt-model.js';

export interface Seq2SeqGenerateOptions {
  /** (B, S): 1 for real source tokens, 0 for padding. */
  attentionMask?: Tensor | null;
  /** New target tokens at most (after the start token). Default: maxLength - 1. */
  maxNewTokens?: number;
  /** Longest output including the start token, as transformers' max_length (default 20). */
  maxLength?: number;
  /** Beams (default 1: greedy). */
  numBeams?: number;
  /** Finished hypotheses score sum(log p) / length^lengthPenalty (default 1; length counts generated tokens, eos included). */
  lengthPenalty?: number;
  /** Beam search stops for an input as soon as numBeams hypotheses are finished (default false: once none can improve). */
  earlyStopping?: boolean;
  /** Default: the config's eos_token_id; null: never stop early. */
  eosTokenId?: number | readonly number[] | null;
  /** Fills finished rows. Default: the config's pad_token_id, else the first eos id. */
  padTokenId?: number | null;
  /** First decoder input. Default: the config's decoder_start_token_id. */
  decoderStartTokenId?: number | null;
  /** Feed one token per step with cached keys and values (default true). */
  useCache?: boolean;
}

export interface Seq2SeqGenerateResult {
  /** (B, L) int64: the start token, the generated tokens, padding after eos. */
  sequences: Tensor;
  /** Per row: sum of the generated tokens' log-probabilities / (generated length)^lengthPenalty. */
  scores: number[];
}

export interface ResolvedDecoding {
  maxNew: number;
  eos: Set<number>;
  pad: number;
  start: number;
  lengthPenalty: number;
  earlyStopping: boolean;
  useCache: boolean;
  numBeams: number;
}

/** Fills defaults from the config and checks the options, naming a bad one. */
export function resolveDecoding(model: TransformerMTModel, opts: Seq2SeqGenerateOptions): ResolvedDecoding {
  const c = model.config;
  const maxLength = opts.maxLength ?? 20;
  const maxNew = opts.maxNewTokens ?? maxLength - 1;
  if (!Number.isInteger(maxNew) || maxNew < 1) throw new TesseraError(`generate: maxNewTokens must be a positive integer, got ${maxNew}`);
  // the decoder sees at most maxNew positions (start token + all but the last generated one)
  checkLength(maxNew, c.max_position_embeddings, `generate: maxNewTokens ${maxNew} needs a target`, 'max_position_embeddings', 'this Transformer');
  const eosOpt = opts.eosTokenId === undefined ? eosIds(c) : opts.eosTokenId;
  const eos = new Set<number>(eosOpt === null ? [] : typeof eosOpt === 'number' ? [eosOpt] : eosOpt);
  const start = opts.decoderStartTokenId ?? c.decoder_start_token_id;
  if (start === null) throw new TesseraError('generate: no decoder start token (set decoderStartTokenId or decoder_start_token_id in the config)');
  const numBeams = opts.numBeams ?? 1;
  if (!Number.isInteger(numBeams) || numBeams < 1) throw new TesseraError(`generate: numBeams must be a positive integer, got ${numBeams}`);
  const lengthPenalty = opts.lengthPenalty ?? 1;
  if (!Number.isFinite(lengthPenalty)) throw new TesseraError(`generate: lengthPenalty must be a finite number, got ${lengthPenalty}`);
  return {
    maxNew, eos, start, numBeams, lengthPenalty,
    pad: opts.padTokenId ?? c.pad_token_id ?? (eos.size ? [...eos][0]! : 0),
    earlyStopping: opts.earlyStopping ?? false,
    useCache: opts.useCache ?? true,
  };
}

/** The source encoded once; next-token log-probabilities for N running target rows. */
export class DecodingState {
  private past: DecoderLayerCache[] | null = null;

  /**
   * `encoderStates` (N, S, C) and `sourceMask` (N, S) are already repeated per row (per beam).
   */
  constructor(
    private readonly model: TransformerMTModel,
    private encoderStates: Tensor,
    private sourceMask: Tensor | null,
    private readonly useCache: boolean,
  ) {}

  /** Log-probabilities (N rows of V) of the next token after each row of `tokens` (all rows one length). */
  step(tokens: number[][]): Float32Array[] {
    const device = this.encoderStates.device;
    const len = tokens[0]!.length;
    const feed = this.useCache && this.past ? tokens.map((row) => [row[len - 1]!]) : tokens;
    const dec = this.model.model.decoder.forward(tensor(feed, { dtype: 'int64', device }), {
      encoderHiddenStates: this.encoderStates,
      encoderAttentionMask: this.sourceMask,
      pastKeyValues: this.useCache ? this.past : null,
      useCache: this.useCache,
    });
    if (this.useCache) this.past = dec.pastKeyValues ?? null;
    const h = dec.lastHiddenState;
    const last = h.select(1, h.dim(1) - 1); // (N, C)
    const lp = logSoftmax(this.model.logits(last), -1).toArray() as Float32Array; // (N, V)
    const V = lp.length / tokens.length;
    return tokens.map((_, i) => lp.subarray(i * V, (i + 1) * V));
  }

  /** Row i continues row indices[i] (beam reordering of the cache). */
  reorder(indices: readonly number[]): void {
    if (!this.past) return;
    const idx = tensor([...indices], { dtype: 'int64', device: this.encoderStates.device });
    // cross-attention keys/values depend only on the source, the same for every beam of an input
    this.past = this.past.map((l) => ({ self: { key: l.self.key.indexSelect(0, idx), value: l.self.value.indexSelect(0, idx) }, cross: l.cross }));
  }
}

/** A (B, L) int64 tensor from rows padded to one length with `pad`. */
export function padRows(rows: number[][], pad: number, device: string): Tensor {
  const L = Math.max(...rows.map((r) => r.length));
  return tensor(rows.map((r) => [...r, ...new Array<number>(L - r.length).fill(pad)]), { dtype: 'int64', device });
}

/** sum(log p) / length^alpha (transformers' BeamHypotheses.add). */
export function lengthNormalized(sumLogProbs: number, length: number, alpha: number): number {
  return sumLogProbs / length ** alpha;
}
