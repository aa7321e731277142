// The original encoder-decoder Transformer ("Attention Is All You Need"), loading and saving Hugging Face
// MarianMT checkpoints: config and presets, modules named as Marian's keys, greedy decoding and beam search.
export {
  TRANSFORMER_DEFAULTS, TRANSFORMER_PRESETS, transformerConfig, transformerConfigFromJson, positionLayout, targetVocabSize, eosIds,
  type TransformerConfig, type TransformerPresetName, type PositionLayout,
} from './config.js';
export { TransformerAttention, type LayerCache, type AttendOptions } from './attention.js';
export { SinusoidalPositions, embedTokens } from './embeddings.js';
export { EncoderLayer, TransformerEncoder, type EncoderOptions, type EncoderOutput } from './encoder.js';
export { DecoderLayer, TransformerDecoder, type DecoderLayerCache, type DecoderOptions, type DecoderOutput } from './decoder.js';
export { TransformerModel, type TransformerForwardOptions, type TransformerModelOutput } from './model.js';
export { TransformerMTModel, shiftTokensRight, type TransformerMTForwardOptions, type TransformerMTOutput } from './mt-model.js';
export { OutputProjection } from './output-projection.js';
export { greedySearch } from './greedy.js';
export { beamSearch } from './beam-search.js';
export { DecodingState, type Seq2SeqGenerateOptions, type Seq2SeqGenerateResult } from './decoding.js';
export { transformerCheckpointSpec, readTransformerConfig } from './checkpoint.js';
export { MASK_MIN, checkTokenIds, checkPositionIds, checkLength, additivePaddingMask, causalPaddingMask } from './inputs.js';
export { transformerArchitectures, inferTransformerArchitecture } from './runnable.js';
