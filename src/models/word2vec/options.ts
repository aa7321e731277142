// Training options with word2vec.c's defaults, and their validation (each bad value names its option).
import * as os from 'node:os';
import { TesseraError } from '../../errors.js';
import { DEFAULT_UNIGRAM_TABLE_SIZE } from './sampling.js';
import { DEFAULT_MAX_VOCAB_SIZE } from './vocab.js';

/** Progress of a training run, reported every `progressIntervalMs` and once at the end. */
export interface Word2VecProgress {
  /** Words trained so far over all threads and epochs (subsampled words count as trained). */
  wordsDone: number;
  /** epochs x words in the corpus vocabulary. */
  totalWords: number;
  /** wordsDone / seconds of training so far. */
  wordsPerSec: number;
  /** Current learning rate. */
  alpha: number;
  /** Seconds left at the current speed. */
  etaSec: number;
}

/** Options of `trainWord2Vec`; every field but `corpus` has word2vec.c's default. */
export interface Word2VecTrainOptions {
  /** Path of a text corpus: words separated by spaces/tabs, sentences by newlines. */
  corpus: string;
  /** 'cbow' (default, as word2vec.c) or 'skipgram'. */
  architecture?: 'cbow' | 'skipgram';
  /** Hierarchical softmax (default false). */
  hs?: boolean;
  /** Negative samples per word (default 5; 0 = none). */
  negative?: number;
  /** Vector size (default 100). */
  size?: number;
  /** Maximum context distance (default 5). */
  window?: number;
  /** Discard words seen fewer times (default 5). */
  minCount?: number;
  /** Subsampling threshold t (default 1e-3; 0 = off). */
  sample?: number;
  /** Starting learning rate (default 0.05 for CBOW, 0.025 for skip-gram). */
  alpha?: number;
  /** Passes over the corpus (default 5). */
  epochs?: number;
  /** Worker threads (default: all cores). */
  threads?: number;
  /** Seed of the generators (default 0, which draws word2vec.c's exact random streams). */
  seed?: number;
  /** Prune rare words while counting once there are more distinct words (default 21M, as C). */
  maxVocabSize?: number;
  /** Entries of the negative-sampling table (default 1e8, as C). */
  negativeTableSize?: number;
  /** Corpus read buffer per thread, bytes (default 1 MiB). */
  bufferBytes?: number;
  /**
   * Use the WebAssembly SIMD row operations when available and the weights fit its 4 GiB memory
   * (default true); false runs the plain TypeScript kernels.
   */
  simd?: boolean;
  /** Called with progress every `progressIntervalMs` (default 1000) and at the end. */
  onProgress?: (progress: Word2VecProgress) => void;
  progressIntervalMs?: number;
}

/** Options with every default filled in. */
export interface ResolvedTrainOptions {
  corpus: string;
  cbow: boolean;
  hs: boolean;
  negative: number;
  size: number;
  window: number;
  minCount: number;
  sample: number;
  alpha: number;
  epochs: number;
  threads: number;
  seed: number;
  maxVocabSize: number;
  negativeTableSize: number;
  bufferBytes: number;
  simd: boolean;
  progressIntervalMs: number;
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TesseraError(`word2vec option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function numberOption(name: string, value: number | undefined, fallback: number, positive: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new TesseraError(`word2vec option ${name} must be a ${positive ? 'positive' : 'non-negative'} number, got ${String(value)}`);
  }
  return value;
}

/** Fills defaults and checks every option. */
export function resolveTrainOptions(options: Word2VecTrainOptions): ResolvedTrainOptions {
  if (typeof options.corpus !== 'string' || options.corpus === '') {
    throw new TesseraError('word2vec option corpus (a file path) is required');
  }
  const arch = options.architecture ?? 'cbow';
  if (arch !== 'cbow' && arch !== 'skipgram') {
    throw new TesseraError(`word2vec option architecture must be 'cbow' or 'skipgram', got ${String(arch)}`);
  }
  const cbow = arch === 'cbow';
  const hs = options.hs ?? false;
  const negative = integerOption('negative', options.negative, hs ? 0 : 5, 0, 1000);
  if (!hs && negative === 0) {
    throw new TesseraError('word2vec needs an objective: hierarchical softmax (hs) or negative > 0');
  }
  return {
    corpus: options.corpus,
    cbow,
    hs,
    negative,
    size: integerOption('size', options.size, 100, 1, 100_000),
    window: integerOption('window', options.window, 5, 1, 10_000),
    minCount: integerOption('minCount', options.minCount, 5, 0),
    sample: numberOption('sample', options.sample, 1e-3, false),
    alpha: numberOption('alpha', options.alpha, cbow ? 0.05 : 0.025, true),
    epochs: integerOption('epochs', options.epochs, 5, 1, 100_000),
    threads: integerOption('threads', options.threads, os.availableParallelism(), 1, 1024),
    seed: integerOption('seed', options.seed, 0, 0, 2 ** 32 - 1),
    maxVocabSize: integerOption('maxVocabSize', options.maxVocabSize, DEFAULT_MAX_VOCAB_SIZE, 2),
    negativeTableSize: integerOption('negativeTableSize', options.negativeTableSize, DEFAULT_UNIGRAM_TABLE_SIZE, 1, 2 ** 30),
    bufferBytes: integerOption('bufferBytes', options.bufferBytes, 1 << 20, 16, 2 ** 30),
    simd: options.simd ?? true,
    progressIntervalMs: integerOption('progressIntervalMs', options.progressIntervalMs, 1000, 1),
  };
}
