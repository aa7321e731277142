// Data for training: text corpora, the train/validation split, seeded resumable batch sampling, LM batches.
export { readTextCorpus, splitTrainVal, type TrainValSplit } from './corpus.js';
export { SeededRandom } from './rng.js';
export { WindowSampler, sequentialWindows, type SamplerState, type WindowSamplerOptions } from './sampler.js';
export { lmBatch, LmBatchSource, lmEvalBatches, lmFullPass, type LmBatch, type LmBatchSourceOptions } from './lm-batches.js';
export { CharCorpus } from './char-corpus.js';
export { readImage, resizeImage, imageProcessing, pixelValues, type RgbImage, type ImageProcessing } from './image.js';
