// A seeded sampler of random windows over a token stream (nanoGPT's get_batch): each batch draws B start
// offsets; its state (generator words + batches drawn) is the data position saved in checkpoints.
import { TesseraError } from '../errors.js';
import { SeededRandom } from './rng.js';

/** What a checkpoint keeps of a sampler to continue exactly where it was. */
export type SamplerState = {
  rng: number[];
  /** Batches drawn so far. */
  drawn: number;
};

export interface WindowSamplerOptions {
  /** Tokens in the stream. */
  length: number;
  /** Tokens per window. */
  window: number;
  /** Windows per batch. */
  batchSize: number;
  seed: number;
}

/** Draws batches of window start offsets uniformly from [0, length - window]. */
export class WindowSampler {
  readonly length: number;
  readonly window: number;
  readonly batchSize: number;
  private rng: SeededRandom;
  private drawnCount = 0;

  constructor(opts: WindowSamplerOptions) {
    for (const key of ['window', 'batchSize'] as const) {
      if (!Number.isInteger(opts[key]) || opts[key] < 1) throw new TesseraError(`${key} must be a positive integer, got ${opts[key]}`);
    }
    if (opts.length < opts.window) throw new TesseraError(`the text has ${opts.length} tokens, fewer than one window of ${opts.window}`);
    this.length = opts.length;
    this.window = opts.window;
    this.batchSize = opts.batchSize;
    this.rng = new SeededRandom(opts.seed);
  }

  /** Batches drawn so far. */
  get drawn(): number {
    return this.drawnCount;
  }

  /** The next batch's start offsets. */
  next(): Int32Array {
    const out = new Int32Array(this.batchSize);
    const span = this.length - this.window + 1;
    for (let b = 0; b < this.batchSize; b++) out[b] = this.rng.nextInt(span);
    this.drawnCount++;
    return out;
  }

  state(): SamplerState {
    return { rng: this.rng.state(), drawn: this.drawnCount };
  }

  setState(s: SamplerState): void {
    if (!s || !Array.isArray(s.rng) || !Number.isInteger(s.drawn) || s.drawn < 0) throw new TesseraError(`malformed sampler state ${JSON.stringify(s)}`);
    this.rng = SeededRandom.fromState(s.rng);
    this.drawnCount = s.drawn;
  }
}

/** Consecutive non-overlapping windows covering a stream (the last partial window is dropped), in batches. */
export function* sequentialWindows(length: number, window: number, batchSize: number): Generator<Int32Array> {
  const count = Math.floor(length / window);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = (start + i) * window;
    yield out;
  }
}
