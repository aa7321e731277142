// Public API of the tokenizers: the Tokenizer pipeline and its pieces, loading and saving, training,
// and the character-level tokenizer.
export { Tokenizer, type TokenizerInit, type EncodeOptions, type DecodeOptions, type EncodeInput } from './tokenizer.js';
export {
  Encoding,
  truncateEncodings,
  type TruncationOptions,
  type PaddingOptions,
  type TruncationStrategy,
  type TruncationDirection,
  type PaddingDirection,
} from './encoding.js';
export { type AddedToken, type AddedTokenInit } from './added-vocabulary.js';
export {
  BertNormalizer,
  LowercaseNormalizer,
  StripAccentsNormalizer,
  SequenceNormalizer,
  normalizeText,
  type Normalizer,
  type NormalizedText,
  type BertNormalizerOptions,
} from './normalizer.js';
export {
  BertPreTokenizer,
  ByteLevelPreTokenizer,
  WhitespacePreTokenizer,
  WhitespaceSplitPreTokenizer,
  type PreTokenizer,
  type ByteLevelOptions,
} from './pre-tokenizer.js';
export { WordPieceModel, type WordPieceOptions } from './wordpiece.js';
export { BpeModel, type BpeOptions } from './bpe.js';
export { type Model } from './model.js';
export {
  TemplateProcessing,
  BertProcessing,
  ByteLevelProcessing,
  parseTemplate,
  type PostProcessor,
  type TemplatePiece,
  type TemplateSpecialToken,
} from './post-processor.js';
export { WordPieceDecoder, ByteLevelDecoder, FuseDecoder, cleanupTokenizationSpaces, type Decoder } from './decoder.js';
export { BYTE_TO_CHAR, byteLevelAlphabet, byteLevelToString } from './byte-level.js';
export { writeJson, type JsonValue } from './json.js';
export { CharTokenizer, type CharTokenizerOptions } from './char.js';
export { trainWordPiece, trainBpe, countWords, type TrainingSource, type WordPieceTrainingOptions, type BpeTrainingOptions } from './trainers.js';
export { learnBpe, type BpeLearnOptions, type LearnedBpe } from './bpe-trainer.js';
