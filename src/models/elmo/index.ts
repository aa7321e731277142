// ELMo: character-CNN token encoder, biLSTM language model with a shared softmax, contextual representations
// mixed by ScalarMix, training, perplexity, and model folders (config.json + model.safetensors + vocab.txt).
export { ELMO_DEFAULTS, ELMO_PRESETS, elmoConfig, elmoConfigFromJson, numFilters, type ElmoConfig, type ElmoCharCnnConfig, type ElmoLstmConfig, type ElmoPresetName } from './config.js';
export {
  BEGINNING_OF_SENTENCE_CHARACTER, END_OF_SENTENCE_CHARACTER, BEGINNING_OF_WORD_CHARACTER, END_OF_WORD_CHARACTER,
  PADDING_CHARACTER, MAX_WORD_LENGTH, BOS_TOKEN, EOS_TOKEN, wordToCharIds, batchToIds, tokenMask, tokenLengths,
  type BatchToIdsOptions, type CharIdBatch,
} from './characters.js';
export { Highway } from './highway.js';
export { CharConv, ElmoCharacterEncoder } from './char-cnn.js';
export { LstmCellWithProjection, ElmoLstm, type LstmCellWithProjectionOptions, type LstmCellResult, type ElmoLstmOptions, type ElmoLstmResult } from './bilm.js';
export { SoftmaxLoss, LogUniformSampler, ACCIDENTAL_HIT_LOGIT, type SampledLogits } from './softmax.js';
export { ElmoLanguageModel, type ElmoEncoding, type ElmoLmOutput } from './model.js';
export { ScalarMix, type ScalarMixOptions } from './scalar-mix.js';
export { Elmo, addSentenceBoundaries, type ElmoOptions, type ElmoOutput } from './embedder.js';
export { ElmoVocabulary, UNK_TOKEN, EOS_ID, BOS_ID, UNK_ID, type VocabularyOptions } from './vocab.js';
export {
  splitSentences, textToSentences, readSentences, chunkSentences, seededRandom, makeBatches, encodeBatch, unigramPerplexity,
  type BatchOptions, type EncodedBatch, type UnigramPerplexity,
} from './data.js';
export { perplexity, yieldToEventLoop, type ElmoPerplexity } from './evaluate.js';
export { trainElmo, ElmoBatchSource, type ElmoBatch, type ElmoTrainOptions, type ElmoTrainProgress, type ElmoTrainResult } from './train.js';
export { ELMO_ARCHITECTURE, readElmoConfig, saveElmo, loadElmo, type LoadedElmo } from './checkpoint.js';
export { runProbe, parseProbeTsv, type ProbeItem, type ProbeReport, type ProbeLayerResult, type ProbeNeighbour, type ProbeOptions } from './probe.js';
export { DEFAULT_PROBE_TSV } from './probe-sentences.js';
