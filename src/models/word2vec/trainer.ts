// Trains word2vec as word2vec.c's TrainModel: count the vocabulary (one streaming pass), build the
// Huffman tree / unigram table, initialise syn0 from the generator, then run `threads` worker threads
// that update the shared weights without locks (hogwild), reporting progress from a shared counter.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { TesseraError } from '../../errors.js';
import { buildHuffmanTree } from './huffman.js';
import type { KernelModel, KernelScratch } from './kernels.js';
import { allocateModel } from './memory.js';
import { resolveTrainOptions, type ResolvedTrainOptions, type Word2VecTrainOptions } from './options.js';
import { Lcg } from './random.js';
import { buildUnigramRuns, subsampleThresholds } from './sampling.js';
import type { SharedWasmMemory } from './simd.js';
import { decayedAlpha, type SharedCounters, type ThreadConfig } from './thread.js';
import { WordVectors } from './vectors.js';
import { Vocab } from './vocab.js';
import type { WordTableParts } from './wordtable.js';

/** What a worker thread receives (every big array is a view over a SharedArrayBuffer). */
export interface WorkerInput {
  model: KernelModel;
  /** The SIMD module's memory holding the weights and scratch, or null for the TypeScript kernels. */
  memory: SharedWasmMemory | null;
  /** The sigmoid table inside `memory`. */
  expTable: Float32Array;
  /** This thread's neu1 and neu1e. */
  scratch: KernelScratch;
  table: WordTableParts;
  keep: Float32Array;
  config: ThreadConfig;
  counters: SharedCounters;
}

/** Timings and sizes of a training run. */
export interface Word2VecTrainStats {
  vocabSize: number;
  /** Words of the corpus counted for training (word2vec.c's train_words, `</s>` included). */
  trainWords: number;
  epochs: number;
  threads: number;
  /** Seconds spent counting the vocabulary and building the tables. */
  setupSeconds: number;
  /** Seconds of training (threads running). */
  trainSeconds: number;
  /** CPU seconds the process used while training (all threads; less disturbed by other load than wall time). */
  trainCpuSeconds: number;
  /** epochs * trainWords / trainSeconds. */
  wordsPerSec: number;
  /** wordsPerSec / threads. */
  wordsPerSecPerThread: number;
  /** Whether the WebAssembly SIMD row operations ran (else the TypeScript ones). */
  simd: boolean;
}

/** The result of `trainWord2Vec`. */
export interface Word2VecTrainResult {
  vectors: WordVectors;
  vocab: Vocab;
  options: ResolvedTrainOptions;
  stats: Word2VecTrainStats;
}

function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/**
 * word2vec.c's InitNet: syn0[w][k] = ((next & 0xFFFF) / 65536 - 0.5) / D in row-major order, from a
 * generator started at (seed, 1) (word2vec.c starts it at 1, which seed 0 reproduces).
 */
export function initInputVectors(out: Float32Array, dim: number, seed: number): void {
  const rng = new Lcg(seed, 1);
  for (let i = 0; i < out.length; i++) {
    rng.next();
    out[i] = (rng.low16() / 65536 - 0.5) / dim;
  }
}

/** Trains word vectors on a corpus file; see Word2VecTrainOptions for the settings. */
export async function trainWord2Vec(options: Word2VecTrainOptions): Promise<Word2VecTrainResult> {
  const opts = resolveTrainOptions(options);
  const setupStart = performance.now();
  const vocab = Vocab.fromFile(opts.corpus, {
    minCount: opts.minCount,
    maxVocabSize: opts.maxVocabSize,
    bufferBytes: opts.bufferBytes,
  });
  const fileSize = fs.statSync(opts.corpus).size;
  const v = vocab.size;
  const dim = opts.size;
  if (v * dim > 2 ** 31 - 1) {
    throw new TesseraError(`vocabulary ${v} x size ${dim} is too large for one Float32Array; raise --min-count or lower --size`);
  }
  const weights = allocateModel(
    { vocabSize: v, dim, hs: opts.hs, negative: opts.negative, window: opts.window, threads: opts.threads, simd: opts.simd },
    opts.hs ? buildHuffmanTree(vocab.counts) : null,
  );
  const syn0 = weights.syn0;
  initInputVectors(syn0, dim, opts.seed);
  const model: KernelModel = {
    dim,
    vocabSize: v,
    syn0,
    syn1: weights.syn1,
    syn1neg: weights.syn1neg,
    huffman: weights.huffman,
    unigram: opts.negative > 0 ? buildUnigramRuns(vocab.counts, opts.negativeTableSize, true) : null,
    negative: opts.negative,
    window: opts.window,
    cbow: opts.cbow,
  };
  const keep = sharedFloat32(v);
  keep.set(subsampleThresholds(vocab.counts, vocab.trainWords, opts.sample));
  const counters: SharedCounters = {
    words: new BigInt64Array(new SharedArrayBuffer(8)),
    alpha: sharedFloat32(1),
  };
  counters.alpha[0] = Math.fround(opts.alpha);
  const table = vocab.table.parts(true);
  const setupSeconds = (performance.now() - setupStart) / 1000;

  const totalWords = opts.epochs * vocab.trainWords;
  const trainStart = performance.now();
  const cpuStart = process.cpuUsage();
  const report = () => {
    if (!options.onProgress) return;
    const wordsDone = Math.min(Number(counters.words[0]), totalWords);
    const seconds = (performance.now() - trainStart) / 1000;
    const wordsPerSec = seconds > 0 ? wordsDone / seconds : 0;
    options.onProgress({
      wordsDone,
      totalWords,
      wordsPerSec,
      alpha: counters.alpha[0],
      etaSec: wordsPerSec > 0 ? (totalWords - wordsDone) / wordsPerSec : Infinity,
    });
  };
  const timer = options.onProgress ? setInterval(report, opts.progressIntervalMs) : null;
  const workerUrl = new URL('./worker.js', import.meta.url);
  try {
    await Promise.all(
      Array.from({ length: opts.threads }, (_, threadId) => {
        const input: WorkerInput = {
          model,
          memory: weights.memory,
          expTable: weights.expTable,
          scratch: weights.scratch[threadId],
          table,
          keep,
          counters,
          config: {
            corpus: opts.corpus,
            fileSize,
            threadId,
            threads: opts.threads,
            epochs: opts.epochs,
            trainWords: vocab.trainWords,
            startingAlpha: Math.fround(opts.alpha),
            sample: opts.sample,
            seed: opts.seed,
            bufferBytes: opts.bufferBytes,
          },
        };
        return runWorker(workerUrl, input);
      }),
    );
  } finally {
    if (timer) clearInterval(timer);
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  counters.alpha[0] = decayedAlpha(Math.fround(opts.alpha), Number(counters.words[0]), opts.epochs, vocab.trainWords);
  report();
  const wordsPerSec = trainSeconds > 0 ? totalWords / trainSeconds : 0;
  return {
    vectors: new WordVectors(vocab.words.slice(), new Float32Array(syn0), dim),
    vocab,
    options: opts,
    stats: {
      vocabSize: v,
      trainWords: vocab.trainWords,
      epochs: opts.epochs,
      threads: opts.threads,
      setupSeconds,
      trainSeconds,
      trainCpuSeconds: (cpu.user + cpu.system) / 1e6,
      wordsPerSec,
      wordsPerSecPerThread: wordsPerSec / opts.threads,
      simd: weights.memory !== null,
    },
  };
}

function runWorker(url: URL, input: WorkerInput): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: input });
    let finished = false;
    worker.once('message', () => {
      finished = true;
    });
    worker.once('error', (err) => reject(err instanceof TesseraError ? err : new TesseraError(`word2vec training thread failed: ${err.message}`)));
    worker.once('exit', (code) => {
      if (finished && code === 0) resolve();
      else reject(new TesseraError(`word2vec training thread ${input.config.threadId} exited with code ${code}`));
    });
  });
}
