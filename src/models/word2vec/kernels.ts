// The training kernels: one window position of CBOW or skip-gram, with negative sampling and/or
// hierarchical softmax, as word2vec.c's TrainModelThread body, over Float32Array rows (row operations
// from rowops.ts: plain TypeScript, or WebAssembly SIMD when the rows live in its shared memory).
import type { HuffmanTree } from './huffman.js';
import type { Lcg } from './random.js';
import { jsRowOps, type RowOps } from './rowops.js';
import { unigramAt, type UnigramRuns } from './sampling.js';

/** word2vec.c's longest sentence; longer lines are split into pieces of this many kept words. */
export const MAX_SENTENCE_LENGTH = 1000;

/** The weights and tables one training step reads and writes (shared by all threads). */
export interface KernelModel {
  /** Vector size. */
  dim: number;
  /** Vocabulary size. */
  vocabSize: number;
  /** Input vectors (V, D): the word vectors. */
  syn0: Float32Array;
  /** Hierarchical-softmax output vectors (V-1 inner nodes, D), or null without `hs`. */
  syn1: Float32Array | null;
  /** Negative-sampling output vectors (V, D), or null with `negative` 0. */
  syn1neg: Float32Array | null;
  /** Huffman codes (hierarchical softmax), or null. */
  huffman: HuffmanTree | null;
  /** The unigram^0.75 table negatives are drawn from (as runs), or null. */
  unigram: UnigramRuns | null;
  /** Negative samples per positive (0: none). */
  negative: number;
  /** Maximum window (the actual window is shrunk at random per position). */
  window: number;
  /** CBOW (true) or skip-gram (false). */
  cbow: boolean;
}

/** A thread's scratch vectors: the hidden layer neu1 and its accumulated error neu1e (D each). */
export interface KernelScratch {
  neu1: Float32Array;
  neu1e: Float32Array;
  /** Room for a window's negative-sampling targets: 2 x window x (negative + 1) ids. */
  targets?: Int32Array;
}

/** Length of a thread's `targets` scratch. */
export function targetsLength(window: number, negative: number): number {
  return Math.max(1, 2 * window * (negative + 1));
}

/** One thread's kernel: the model, the thread's generator and its scratch vectors neu1, neu1e. */
export class TrainingKernel {
  readonly neu1: Float32Array;
  readonly neu1e: Float32Array;
  private readonly ops: RowOps;
  private readonly targets: Int32Array;
  private readonly dim: number;
  private readonly syn0: Float32Array;
  private readonly syn1: Float32Array;
  private readonly syn1neg: Float32Array;
  private readonly codes: Uint8Array;
  private readonly points: Int32Array;
  private readonly lengths: Uint8Array;
  private readonly codeStride: number;
  private readonly unigram: UnigramRuns;
  private readonly negative: number;
  private readonly hs: boolean;
  private readonly window: number;
  private readonly cbow: boolean;
  private readonly vocabSize: number;

  /**
   * A kernel over `model` drawing from `rng` (word2vec.c's per-thread next_random), computing with `ops`.
   * SIMD ops need every array — the model's and the `scratch` neu1, neu1e and targets — in their memory
   * (as `allocateModel` lays them out); a RangeError names the first one that is not.
   */
  constructor(model: KernelModel, readonly rng: Lcg, ops: RowOps = jsRowOps, scratch?: KernelScratch) {
    this.ops = ops;
    this.dim = model.dim;
    this.syn0 = model.syn0;
    this.hs = model.huffman !== null && model.syn1 !== null;
    this.syn1 = model.syn1 ?? new Float32Array(0);
    this.syn1neg = model.syn1neg ?? new Float32Array(0);
    this.codes = model.huffman?.codes ?? new Uint8Array(0);
    this.points = model.huffman?.points ?? new Int32Array(0);
    this.lengths = model.huffman?.lengths ?? new Uint8Array(0);
    this.codeStride = model.huffman?.maxLength ?? 0;
    this.unigram = model.unigram ?? { tableSize: 1, starts: new Int32Array(2), bucketSize: 1, buckets: new Int32Array(2) };
    this.negative = model.syn1neg && model.unigram ? model.negative : 0;
    this.targets = scratch?.targets ?? new Int32Array(targetsLength(model.window, this.negative));
    this.window = model.window;
    this.cbow = model.cbow;
    this.vocabSize = model.vocabSize;
    this.neu1 = scratch?.neu1 ?? new Float32Array(model.dim);
    this.neu1e = scratch?.neu1e ?? new Float32Array(model.dim);
    const arrays = { syn0: this.syn0, syn1: this.syn1, syn1neg: this.syn1neg, codes: this.codes, points: this.points, neu1: this.neu1, neu1e: this.neu1e, targets: this.targets };
    for (const [name, array] of Object.entries(arrays)) {
      if (!ops.accepts(array)) throw new RangeError(`TrainingKernel: ${name} is not in the memory of its row operations`);
    }
  }

  /**
   * Trains on position `pos` of `sen[0, len)`: draws the window shrink b = next_random % window, then
   * runs CBOW or skip-gram over the context words within window - b of `pos`.
   */
  trainPosition(sen: Int32Array, len: number, pos: number, alpha: number): void {
    this.rng.next();
    const b = this.rng.mod(this.window);
    if (this.cbow) this.cbowWindow(sen, len, pos, b, alpha);
    else this.skipGramWindow(sen, len, pos, b, alpha);
  }

  /** Skip-gram at `pos` with shrink `b`: each context word's vector learns to predict the middle word. */
  skipGramWindow(sen: Int32Array, len: number, pos: number, b: number, alpha: number): void {
    const window = this.window;
    const dim = this.dim;
    const syn0 = this.syn0;
    const neu1e = this.neu1e;
    const word = sen[pos];
    const lo = Math.max(b, window - pos);
    const hi = Math.min(window * 2 + 1 - b, len - pos + window); // context offsets a in [lo, hi), a != window
    if (this.negative > 0) this.drawNegatives(word, hi - lo - (lo <= window && window < hi ? 1 : 0));
    let group = 0;
    for (let a = lo; a < hi; a++) {
      if (a === window) continue;
      const l1 = sen[pos - window + a] * dim;
      neu1e.fill(0);
      if (this.hs) this.hierarchicalSoftmax(syn0, l1, word, alpha);
      if (this.negative > 0) this.negativeSampling(syn0, l1, alpha, group++);
      this.ops.axpy(syn0, l1, neu1e, 0, 1, dim);
    }
  }

  /** CBOW at `pos` with shrink `b`: the mean of the context vectors predicts the middle word. */
  cbowWindow(sen: Int32Array, len: number, pos: number, b: number, alpha: number): void {
    const window = this.window;
    const dim = this.dim;
    const syn0 = this.syn0;
    const neu1 = this.neu1;
    const neu1e = this.neu1e;
    const word = sen[pos];
    neu1.fill(0);
    neu1e.fill(0);
    let cw = 0;
    for (let a = b; a < window * 2 + 1 - b; a++) {
      if (a === window) continue;
      const c = pos - window + a;
      if (c < 0 || c >= len) continue;
      this.ops.axpy(neu1, 0, syn0, sen[c] * dim, 1, dim);
      cw++;
    }
    if (cw === 0) return;
    this.ops.divide(neu1, cw, dim);
    if (this.hs) this.hierarchicalSoftmax(neu1, 0, word, alpha);
    if (this.negative > 0) {
      this.drawNegatives(word, 1);
      this.negativeSampling(neu1, 0, alpha, 0);
    }
    // The error goes to every context word unscaled (cbow_mean=1 as in word2vec.c and gensim).
    for (let a = b; a < window * 2 + 1 - b; a++) {
      if (a === window) continue;
      const c = pos - window + a;
      if (c < 0 || c >= len) continue;
      this.ops.axpy(syn0, sen[c] * dim, neu1e, 0, 1, dim);
    }
  }

  /**
   * Fills `groups` groups of `targets`, each the word then `negative` draws from the unigram table, in
   * word2vec.c's order (a draw of `</s>` becomes next_random % (V - 1) + 1). word2vec.c interleaves the
   * same draws with the updates; drawing them first lets their memory reads overlap.
   */
  drawNegatives(word: number, groups: number): void {
    const rng = this.rng;
    const unigram = this.unigram;
    const tableSize = unigram.tableSize;
    const targets = this.targets;
    const negative = this.negative;
    for (let g = 0, i = 0; g < groups; g++) {
      targets[i++] = word;
      for (let d = 0; d < negative; d++) {
        rng.next();
        let target = unigramAt(unigram, rng.shr16Mod(tableSize));
        if (target === 0) target = rng.mod(this.vocabSize - 1) + 1;
        targets[i++] = target;
      }
    }
  }

  /** Negative sampling for hidden vector `hv[ho, ho + D)` with target group `group` (see RowOps.negative). */
  negativeSampling(hv: Float32Array, ho: number, alpha: number, group: number): void {
    const count = this.negative + 1;
    this.ops.negative(hv, ho, this.syn1neg, this.neu1e, this.targets, group * count, count, alpha, this.dim);
  }

  /** Hierarchical softmax for hidden vector `hv[ho, ho + D)` along `word`'s Huffman path (see RowOps.hierarchical). */
  hierarchicalSoftmax(hv: Float32Array, ho: number, word: number, alpha: number): void {
    this.ops.hierarchical(hv, ho, this.syn1, this.neu1e, this.points, this.codes, word * this.codeStride, this.lengths[word], alpha, this.dim);
  }
}
