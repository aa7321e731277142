// The nn layer library.
export { Module, ModuleList, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export * as init from './init.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export { LayerNorm, type LayerNormOptions } from './layers/layer-norm.js';
export { Dropout } from './layers/dropout.js';
export { Conv2d, type Conv2dOptions } from './layers/conv2d.js';
export { FeedForward, activation, linearActivation, type FeedForwardOptions } from './layers/feed-forward.js';
export { MultiHeadAttention, splitHeads, mergeHeads, paddingToAdditive, type AttentionCall, type MultiHeadAttentionOptions } from './layers/multi-head-attention.js';
export { LSTM, type LSTMOptions, type LSTMResult } from './layers/lstm.js';
export { SinusoidalPositionalEncoding, sinusoidalTable, type SinusoidalLayout } from './layers/positional.js';
