// The language-model softmax shared by both directions (AllenNLP's SoftmaxLoss): logits = h W + b over the whole
// vocabulary, with W stored (projection_dim, vocab_size) as AllenNLP stores softmax_w; and its sampled estimate
// for training (Jean et al. 2015, as in AllenNLP's SampledSoftmaxLoss) with a log-uniform candidate sampler.
import { ShapeError, TesseraError } from '../../errors.js';
import { normal_ } from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { zeros } from '../../tensor/creation.js';
import { crossEntropy } from '../../tensor/ops/fused.js';
import { cat } from '../../tensor/ops/indexing.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/** The logit an accidental hit (a sampled id equal to the row's target) gets: AllenNLP's -10000. */
export const ACCIDENTAL_HIT_LOGIT = -10000;

/**
 * Draws distinct word ids from the log-uniform (Zipfian) distribution P(k) = log((k + 2) / (k + 1)) / log(V + 1)
 * over ids sorted by falling frequency (TensorFlow's log_uniform_candidate_sampler, which AllenNLP ports). Its
 * generator (mulberry32) has a single 32-bit state, so a checkpoint can keep it.
 */
export class LogUniformSampler {
  /** The generator's state; set it to replay a sequence. */
  state: number;
  private readonly logRange: number;

  constructor(readonly numWords: number, seed = 1) {
    if (!Number.isInteger(numWords) || numWords < 2) throw new TesseraError(`LogUniformSampler: numWords must be an integer >= 2, got ${numWords}`);
    this.state = seed >>> 0;
    this.logRange = Math.log(numWords + 1);
  }

  /** A uniform number in [0, 1). */
  private uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The probability of drawing id k in one draw. */
  probability(k: number): number {
    return Math.log((k + 2) / (k + 1)) / this.logRange;
  }

  /** One draw (inverse of the cumulative distribution log(k + 1) / log(V + 1)). */
  draw(): number {
    const k = Math.floor(Math.exp(this.uniform() * this.logRange)) - 1;
    return Math.min(this.numWords - 1, Math.max(0, k));
  }

  /** `numSamples` distinct ids, drawn until that many are distinct; `tries` counts the draws. */
  sample(numSamples: number): { ids: Int32Array; tries: number } {
    if (!Number.isInteger(numSamples) || numSamples < 1 || numSamples > this.numWords) {
      throw new TesseraError(`LogUniformSampler: numSamples must be an integer in [1, ${this.numWords}], got ${numSamples}`);
    }
    const seen = new Set<number>();
    const ids = new Int32Array(numSamples);
    let tries = 0;
    while (seen.size < numSamples) {
      const k = this.draw();
      tries++;
      if (!seen.has(k)) {
        ids[seen.size] = k;
        seen.add(k);
      }
    }
    return { ids, tries };
  }

  /** Expected number of times id k turns up in `tries` draws: 1 - (1 - P(k))^tries. */
  expectedCount(k: number, tries: number): number {
    return -Math.expm1(tries * Math.log1p(-this.probability(k)));
  }
}

export interface SampledLogits {
  /** (N, 1 + S): column 0 the target's corrected logit, then the samples' (accidental hits at ACCIDENTAL_HIT_LOGIT). */
  logits: Tensor;
  /** The S sampled ids. */
  samples: Int32Array;
  /** Draws the sampler needed for S distinct ids. */
  tries: number;
}

export class SoftmaxLoss extends Module {
  /** `softmax_w` (embeddingDim, numWords), drawn from N(0, 1/embeddingDim). */
  readonly softmaxW: Tensor;
  /** `softmax_b` (numWords), zeros. */
  readonly softmaxB: Tensor;

  constructor(readonly numWords: number, readonly embeddingDim: number, opts: { device?: string } = {}) {
    super();
    this.softmaxW = this.addParameter('softmax_w', zeros([embeddingDim, numWords], { device: opts.device }));
    this.softmaxB = this.addParameter('softmax_b', zeros([numWords], { device: opts.device }));
    normal_(this.softmaxW, 0, 1 / Math.sqrt(embeddingDim));
  }

  private checkStates(states: Tensor): void {
    if (states.ndim !== 2 || states.dim(1) !== this.embeddingDim) {
      throw new ShapeError(`SoftmaxLoss: states of shape ${shapeStr(states.shape)} are not (N, ${this.embeddingDim})`);
    }
  }

  /** Logits (N, numWords) of states (N, embeddingDim). */
  logits(states: Tensor): Tensor {
    this.checkStates(states);
    return states.matmul(this.softmaxW).add(this.softmaxB);
  }

  /** Summed negative log-likelihood of targets (N) given states (N, embeddingDim) (a 0-d tensor). */
  forward(states: Tensor, targets: Tensor): Tensor {
    return crossEntropy(this.logits(states), targets, { reduction: 'sum' });
  }

  /**
   * The sampled softmax's logits: for each row the target's logit and those of `numSamples` distinct ids drawn
   * by `sampler` (shared by the batch), each less the log of its expected count; a sampled id equal to the row's
   * target gets ACCIDENTAL_HIT_LOGIT, so the target is counted once.
   */
  sampledLogits(states: Tensor, targets: ArrayLike<number>, sampler: LogUniformSampler, numSamples: number): SampledLogits {
    this.checkStates(states);
    const N = states.dim(0);
    if (targets.length !== N) throw new ShapeError(`SoftmaxLoss: ${targets.length} targets for ${N} states`);
    if (sampler.numWords !== this.numWords) throw new TesseraError(`SoftmaxLoss: the sampler draws from ${sampler.numWords} words but the softmax has ${this.numWords}`);
    const dev = states.device;
    const { ids: samples, tries } = sampler.sample(numSamples);
    const S = samples.length;
    const logQ = (k: number) => Math.log(sampler.expectedCount(k, tries));
    const tgt = Tensor.fromHost(Int32Array.from(targets), [N], 'int32', dev);
    const smp = Tensor.fromHost(samples, [S], 'int32', dev);
    const wt = this.softmaxW.transpose(0, 1); // (numWords, embeddingDim) view
    const trueLogit = states
      .mul(wt.indexSelect(0, tgt))
      .sum(1)
      .add(this.softmaxB.indexSelect(0, tgt))
      .sub(Tensor.fromHost(Float32Array.from(targets, logQ), [N], 'float32', dev)); // (N)
    const sampled = states
      .matmul(this.softmaxW.indexSelect(1, smp))
      .add(this.softmaxB.indexSelect(0, smp))
      .sub(Tensor.fromHost(Float32Array.from(samples, logQ), [S], 'float32', dev)); // (N, S)
    const column = new Map<number, number>();
    samples.forEach((k, s) => column.set(k, s));
    const hits = new Uint8Array(N * S);
    for (let n = 0; n < N; n++) {
      const s = column.get(targets[n]!);
      if (s !== undefined) hits[n * S + s] = 1;
    }
    const masked = sampled.maskedFill(Tensor.fromHost(hits, [N, S], 'bool', dev), ACCIDENTAL_HIT_LOGIT);
    return { logits: cat([trueLogit.unsqueeze(1), masked], 1), samples, tries };
  }

  /**
   * The sampled softmax loss (summed over the N rows, 0-d): the negative log-probability of the target among
   * itself and the samples, with sampledLogits' correction. A training estimate; evaluate with forward().
   */
  sampledForward(states: Tensor, targets: ArrayLike<number>, sampler: LogUniformSampler, numSamples: number): Tensor {
    const { logits } = this.sampledLogits(states, targets, sampler, numSamples);
    const zero = Tensor.fromHost(new Int32Array(logits.dim(0)), [logits.dim(0)], 'int32', states.device);
    return crossEntropy(logits, zero, { reduction: 'sum' });
  }
}
