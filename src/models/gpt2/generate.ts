// Autoregressive generation for GPT-2: greedy or sampled (temperature, top-k, top-p, seeded), rows stopping at eos,
// with a KV cache (one token per step). Left-padded prompts take an attention mask; positions then count real
// tokens only (cumsum(mask) - 1, as transformers' GPT-2 prepare_inputs_for_generation).
import { TesseraError } from '../../errors.js';
import { noGrad } from '../../autograd/engine.js';
import { releaseOwned, tidy } from '../../tensor/scope.js';
import { cat } from '../../tensor/ops/indexing.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { checkLength, checkTokenIds } from '../transformer/inputs.js';
import type { LayerCache } from './attention.js';
import type { GPT2LMHeadModel } from './lm-head.js';
import { argmax, checkSampling, sampleToken, seededRandom, type SamplingOptions } from './sampling.js';

export interface GenerateOptions extends SamplingOptions {
  /** New tokens to produce at most (default 20). */
  maxNewTokens?: number;
  /** Argmax decoding. Default: true unless temperature, topK or topP is given. */
  greedy?: boolean;
  /** A row stops once it produces one of these (default: the config's eos_token_id; null: never). */
  eosTokenId?: number | readonly number[] | null;
  /** Fills finished rows (default: the config's pad_token_id, else the first eos id). */
  padTokenId?: number | null;
  /** (B, T) 1 for prompt tokens, 0 for (left) padding. */
  attentionMask?: Tensor | null;
  /** Seed of the sampling generator; the same seed gives the same tokens. Default: a random seed. */
  seed?: number;
  /** Feed one token per step with cached keys and values (default true); false re-runs the whole sequence. */
  useCache?: boolean;
}

/** Generates continuations of input_ids (B, T); returns (B, T + n) int64 ids, n <= maxNewTokens. */
export function generate(model: GPT2LMHeadModel, inputIds: Tensor, opts: GenerateOptions = {}): Tensor {
  const c = model.config;
  checkTokenIds(inputIds, c.vocab_size, 'generate: input_ids', 'this GPT-2 model');
  checkSampling(opts);
  const sampling = opts.temperature !== undefined || opts.topK !== undefined || opts.topP !== undefined;
  const greedy = opts.greedy ?? !sampling;
  if (greedy && sampling) throw new TesseraError('generate: greedy decoding takes no temperature, topK or topP (set greedy: false to sample)');
  const maxNew = opts.maxNewTokens ?? 20;
  if (!Number.isInteger(maxNew) || maxNew < 0) throw new TesseraError(`generate: maxNewTokens must be a non-negative integer, got ${maxNew}`);
  const [B, T] = inputIds.shape as [number, number];
  checkLength(T + maxNew, c.n_positions, `generate: prompt of ${T} tokens + maxNewTokens ${maxNew}`, 'n_positions', 'this GPT-2 model');
  const eosOpt = opts.eosTokenId === undefined ? c.eos_token_id : opts.eosTokenId;
  const eos = new Set<number>(eosOpt === null ? [] : typeof eosOpt === 'number' ? [eosOpt] : eosOpt);
  const pad = opts.padTokenId ?? c.pad_token_id ?? (eos.size ? [...eos][0]! : 0);
  const random = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  const useCache = opts.useCache ?? true;
  const device = inputIds.device;

  // host copies of the running ids and mask; the mask gives each row's positions
  const ids: number[][] = [];
  const idArr = inputIds.toArray();
  for (let b = 0; b < B; b++) ids.push(Array.from(idArr.subarray(b * T, (b + 1) * T)));
  const mask: number[][] = [];
  if (opts.attentionMask) {
    const m = opts.attentionMask;
    if (m.ndim !== 2 || m.dim(0) !== B || m.dim(1) !== T) throw new TesseraError(`generate: attentionMask of shape [${m.shape.join(', ')}] does not match input_ids [${B}, ${T}]`);
    const ma = m.toArray();
    for (let b = 0; b < B; b++) mask.push(Array.from(ma.subarray(b * T, (b + 1) * T), (v) => (v ? 1 : 0)));
  } else {
    for (let b = 0; b < B; b++) mask.push(new Array<number>(T).fill(1));
  }
  const hasPadding = mask.some((row) => row.includes(0));
  const positionsOf = (row: number[], from: number) => {
    // cumsum(mask) - 1, padded slots at 1 (transformers' convention; they are never attended)
    const out: number[] = [];
    let count = 0;
    row.forEach((m, i) => {
      count += m;
      if (i >= from) out.push(m ? count - 1 : 1);
    });
    return out;
  };
  const i64 = (rows: number[][]) => tensor(rows, { dtype: 'int64', device });

  const done = new Array<boolean>(B).fill(false);
  // every step runs in a memory scope; the previous step's cache and token tensor are freed as soon as the
  // next ones exist, so a long generation holds one cache, not one per step
  return noGrad(() => tidy(() => {
    let past: LayerCache[] | null = null;
    let out = inputIds.dtype === 'int64' ? inputIds : inputIds.to('int64');
    for (let step = 0; step < maxNew; step++) {
      const len = ids[0]!.length;
      const from = useCache && past ? len - 1 : 0;
      const prevPast = past;
      const r = tidy(() => {
        const o = model.forward(from ? out.narrow(1, from, len - from) : out, {
          attentionMask: hasPadding ? i64(mask) : null,
          positionIds: hasPadding ? i64(mask.map((row) => positionsOf(row, from))) : null,
          pastKeyValues: prevPast,
          useCache,
        });
        return { past: o.pastKeyValues ?? null, last: o.logits.select(1, o.logits.dim(1) - 1).toArray() }; // (B, V) on the host
      });
      past = r.past;
      if (prevPast) {
        const alive = past ? past.flatMap((c) => [c.key, c.value]) : [];
        for (const c of prevPast) {
          releaseOwned(c.key, ...alive);
          releaseOwned(c.value, ...alive);
        }
      }
      const last = r.last;
      const V = last.length / B;
      const next: number[] = [];
      for (let b = 0; b < B; b++) {
        const row = last.subarray(b * V, (b + 1) * V);
        const tok = done[b] ? pad : greedy ? argmax(row) : sampleToken(row, opts, random);
        if (!done[b] && eos.has(tok)) done[b] = true;
        next.push(tok);
        ids[b]!.push(tok);
        mask[b]!.push(1);
      }
      const prevOut = out;
      out = cat([out, i64(next.map((t) => [t]))], 1);
      releaseOwned(prevOut, out);
      if (done.every(Boolean)) break;
    }
    return out;
  }));
}
