// word2vec: CBOW and skip-gram with negative sampling and hierarchical softmax, trained on worker threads
// over shared memory as the original word2vec.c; the C tool's vector formats; similarity queries; evaluation.
export { CorpusReader, MAX_WORD_BYTES, SENTENCE_END, Token, openCorpus } from './corpus.js';
export {
  evaluateAnalogies,
  evaluateAnalogyFile,
  evaluateWordPairs,
  evaluateWordPairsFile,
  spearman,
  pearson,
  type AnalogyEvaluation,
  type AnalogyOptions,
  type AnalogySection,
  type WordPairEvaluation,
  type WordPairOptions,
} from './evaluate.js';
export { readVectors, writeVectors, type ReadVectorsOptions, type WriteVectorsOptions } from './formats.js';
export { buildHuffmanTree, type HuffmanTree } from './huffman.js';
export { EXP_INDEX_SCALE, EXP_TABLE, EXP_TABLE_SIZE, MAX_EXP, tableSigmoid } from './exptable.js';
export { MAX_SENTENCE_LENGTH, TrainingKernel, targetsLength, type KernelModel, type KernelScratch } from './kernels.js';
export { jsRowOps, simdRowOps, type RowOps } from './rowops.js';
export { resolveTrainOptions, type ResolvedTrainOptions, type Word2VecProgress, type Word2VecTrainOptions } from './options.js';
export { Lcg } from './random.js';
export {
  DEFAULT_UNIGRAM_TABLE_SIZE,
  buildUnigramRuns,
  buildUnigramTable,
  subsampleThresholds,
  unigramAt,
  unigramRunsFromTable,
  type UnigramRuns,
} from './sampling.js';
export { decayedAlpha } from './thread.js';
export { initInputVectors, trainWord2Vec, type Word2VecTrainResult, type Word2VecTrainStats } from './trainer.js';
export { COSMUL_EPSILON, WordVectors, type QueryOptions, type ScoredWord } from './vectors.js';
export { DEFAULT_MAX_VOCAB_SIZE, Vocab, type VocabOptions } from './vocab.js';
