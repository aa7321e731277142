// Choosing the next token from a row of logits, on the host: greedy argmax, or sampling after temperature,
// top-k and top-p (nucleus) filtering in transformers' order (TemperatureLogitsWarper, TopKLogitsWarper,
// TopPLogitsWarper), from a seeded generator so that a seed gives the same text every run.
import { TesseraError } from '../../errors.js';

export interface SamplingOptions {
  /** Divides the logits (> 0); 1 leaves them. */
  temperature?: number;
  /** Keep the k most likely tokens (ties with the k-th kept). */
  topK?: number;
  /** Keep the smallest most-likely set whose probability reaches p, in (0, 1]. */
  topP?: number;
}

/** A seeded uniform generator in [0, 1) (mulberry32: small, fast, good enough for sampling). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest value (the first one on ties, as torch.argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Checks sampling options, naming the bad one. */
export function checkSampling(opts: SamplingOptions): void {
  if (opts.temperature !== undefined && !(opts.temperature > 0 && Number.isFinite(opts.temperature))) {
    throw new TesseraError(`temperature must be a positive number, got ${opts.temperature}`);
  }
  if (opts.topK !== undefined && !(Number.isInteger(opts.topK) && opts.topK >= 1)) throw new TesseraError(`topK must be a positive integer, got ${opts.topK}`);
  if (opts.topP !== undefined && !(opts.topP > 0 && opts.topP <= 1)) throw new TesseraError(`topP must be in (0, 1], got ${opts.topP}`);
}

/** Samples one token id from a row of logits after temperature, top-k and top-p. */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, random: () => number): number {
  const V = logits.length;
  const t = opts.temperature ?? 1;
  const z = Float64Array.from(logits as ArrayLike<number>, (x) => x / t);
  if (opts.topK !== undefined && opts.topK < V) {
    const kth = [...z].sort((a, b) => b - a)[opts.topK - 1]!;
    for (let i = 0; i < V; i++) if (z[i]! < kth) z[i] = -Infinity;
  }
  let max = -Infinity;
  for (const x of z) if (x > max) max = x;
  const p = z.map((x) => Math.exp(x - max));
  let total = p.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined && opts.topP < 1) {
    // drop the least likely tokens while their total mass stays <= 1 - topP; the most likely always stays
    const order = [...p.keys()].sort((a, b) => p[a]! - p[b]!);
    let cum = 0;
    for (let r = 0; r < order.length - 1; r++) {
      const i = order[r]!;
      cum += p[i]! / total;
      if (cum > 1 - opts.topP) break;
      p[i] = 0;
    }
    total = p.reduce((a, b) => a + b, 0);
  }
  let u = random() * total;
  let last = 0;
  for (let i = 0; i < V; i++) {
    if (p[i]! === 0) continue;
    last = i;
    u -= p[i]!;
    if (u < 0) return i;
  }
  return last;
}
