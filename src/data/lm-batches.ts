// Language-model batches from an encoded token stream: windows of T tokens as (B, T) int64 input ids, the
// labels being the same ids (the model shifts them: position t predicts token t + 1).
import { tensor, type Tensor } from '../tensor/tensor.js';
import { WindowSampler, sequentialWindows, type SamplerState } from './sampler.js';

/** One causal-LM batch. */
export interface LmBatch {
  /** (B, T) int64 */
  inputIds: Tensor;
  /** (B, T) int64, equal to inputIds */
  labels: Tensor;
  /** Tokens predicted in this batch: B * (T - 1). */
  tokens: number;
}

/** Builds the (B, T) batch of the windows starting at `offsets`. */
export function lmBatch(ids: ArrayLike<number>, offsets: ArrayLike<number>, window: number, device?: string): LmBatch {
  const B = offsets.length;
  const flat = new Int32Array(B * window);
  for (let b = 0; b < B; b++) {
    const o = offsets[b]!;
    for (let t = 0; t < window; t++) flat[b * window + t] = ids[o + t]!;
  }
  const inputIds = tensor(flat, { dtype: 'int64', shape: [B, window], device });
  return { inputIds, labels: inputIds, tokens: B * (window - 1) };
}

export interface LmBatchSourceOptions {
  window: number;
  batchSize: number;
  seed: number;
  device?: string;
}

/** Random training batches over a token stream, resumable through state()/setState(). */
export class LmBatchSource {
  private readonly sampler: WindowSampler;

  constructor(private readonly ids: Int32Array | Uint16Array, private readonly opts: LmBatchSourceOptions) {
    this.sampler = new WindowSampler({ length: ids.length, window: opts.window, batchSize: opts.batchSize, seed: opts.seed });
  }

  next(): LmBatch {
    return lmBatch(this.ids, this.sampler.next(), this.opts.window, this.opts.device);
  }

  state(): SamplerState {
    return this.sampler.state();
  }

  setState(s: SamplerState): void {
    this.sampler.setState(s);
  }
}

/** Fixed evaluation batches: `count` random batches drawn with `seed` (the same ones at every evaluation). */
export function* lmEvalBatches(ids: Int32Array | Uint16Array, opts: LmBatchSourceOptions & { count: number }): Generator<LmBatch> {
  const sampler = new WindowSampler({ length: ids.length, window: opts.window, batchSize: opts.batchSize, seed: opts.seed });
  for (let i = 0; i < opts.count; i++) yield lmBatch(ids, sampler.next(), opts.window, opts.device);
}

/** Every non-overlapping window of the stream, in batches (a full pass, e.g. over the validation split). */
export function* lmFullPass(ids: Int32Array | Uint16Array, window: number, batchSize: number, device?: string): Generator<LmBatch> {
  for (const offsets of sequentialWindows(ids.length, window, batchSize)) yield lmBatch(ids, offsets, window, device);
}
