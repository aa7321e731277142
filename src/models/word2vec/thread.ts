// One training thread, as word2vec.c's TrainModelThread: reads its own byte range of the corpus (from
// fileSize / threads * id, its share being trainWords / threads words), builds sentences with
// subsampling, trains every position, decays alpha from the shared word counter, and repeats per epoch.
import { CorpusReader, Token, openCorpus } from './corpus.js';
import { MAX_SENTENCE_LENGTH, TrainingKernel, type KernelModel, type KernelScratch } from './kernels.js';
import { Lcg } from './random.js';
import { jsRowOps, type RowOps } from './rowops.js';
import type { WordTable } from './wordtable.js';

/** Words a thread trains between updates of the shared counter and of alpha (as word2vec.c). */
export const ALPHA_UPDATE_WORDS = 10000;

/** What one thread needs besides the shared model. */
export interface ThreadConfig {
  corpus: string;
  fileSize: number;
  threadId: number;
  threads: number;
  epochs: number;
  /** word2vec.c's train_words (every kept word, `</s>` included). */
  trainWords: number;
  startingAlpha: number;
  /** 0 disables subsampling. */
  sample: number;
  /** High word of every thread's generator start (0 reproduces word2vec.c's streams). */
  seed: number;
  bufferBytes: number;
}

/** Counters shared by all threads and read by the progress reporter. */
export interface SharedCounters {
  /** [0]: words processed by all threads over all epochs (word_count_actual). */
  words: BigInt64Array;
  /** [0]: the current learning rate. */
  alpha: Float32Array;
}

/** Current learning rate after `wordsDone` of `epochs * trainWords` words: linear decay, floor 1e-4. */
export function decayedAlpha(startingAlpha: number, wordsDone: number, epochs: number, trainWords: number): number {
  // float arithmetic as word2vec.c: alpha = starting_alpha * (1 - word_count_actual / (real)(iter * train_words + 1))
  const ratio = Math.fround(Math.fround(wordsDone) / Math.fround(epochs * trainWords + 1));
  const alpha = Math.fround(startingAlpha * Math.fround(1 - ratio));
  const floor = startingAlpha * 0.0001;
  return alpha < floor ? Math.fround(floor) : alpha;
}

/** Runs one thread to completion (synchronously; a worker calls this). */
export function runTrainingThread(
  model: KernelModel,
  table: WordTable,
  keep: Float32Array,
  cfg: ThreadConfig,
  counters: SharedCounters,
  ops: RowOps = jsRowOps,
  scratch?: KernelScratch,
): void {
  const rng = new Lcg(cfg.seed, cfg.threadId);
  const kernel = new TrainingKernel(model, rng, ops, scratch);
  const reader = new CorpusReader(openCorpus(cfg.corpus), cfg.bufferBytes);
  const start = Math.floor(cfg.fileSize / cfg.threads) * cfg.threadId;
  const wordLimit = Math.floor(cfg.trainWords / cfg.threads);
  const subsample = cfg.sample > 0;
  const sen = new Int32Array(MAX_SENTENCE_LENGTH + 1);
  let alpha = Math.fround(cfg.startingAlpha);
  let wordCount = 0;
  let lastWordCount = 0;
  let sentenceLength = 0;
  let sentencePosition = 0;
  let epochsLeft = cfg.epochs;
  let eof = false;
  reader.seek(start);
  try {
    for (;;) {
      if (wordCount - lastWordCount > ALPHA_UPDATE_WORDS) {
        const done = Atomics.add(counters.words, 0, BigInt(wordCount - lastWordCount)) + BigInt(wordCount - lastWordCount);
        lastWordCount = wordCount;
        alpha = decayedAlpha(cfg.startingAlpha, Number(done), cfg.epochs, cfg.trainWords);
        counters.alpha[0] = alpha;
      }
      if (sentenceLength === 0) {
        for (;;) {
          const token = reader.next();
          if (token === Token.End) {
            eof = true;
            break;
          }
          const word = token === Token.Newline ? 0 : table.find(reader.word, 0, reader.wordLength, reader.wordHash);
          if (word < 0) continue;
          wordCount++;
          if (word === 0) break;
          if (subsample) {
            rng.next();
            if (keep[word] < rng.low16() / 65536) continue;
          }
          sen[sentenceLength++] = word;
          if (sentenceLength >= MAX_SENTENCE_LENGTH) break;
        }
        sentencePosition = 0;
      }
      if (eof || wordCount > wordLimit) {
        // The sentence in hand is dropped, as word2vec.c does at the end of a thread's share.
        Atomics.add(counters.words, 0, BigInt(wordCount - lastWordCount));
        epochsLeft--;
        if (epochsLeft === 0) break;
        wordCount = 0;
        lastWordCount = 0;
        sentenceLength = 0;
        eof = false;
        reader.seek(start);
        continue;
      }
      if (sentenceLength === 0) {
        // word2vec.c still draws a window shrink for an empty sentence (every word subsampled away);
        // draw it too so that the random stream stays the C tool's.
        rng.next();
        continue;
      }
      kernel.trainPosition(sen, sentenceLength, sentencePosition, alpha);
      sentencePosition++;
      if (sentencePosition >= sentenceLength) sentenceLength = 0;
    }
  } finally {
    reader.close();
  }
}
