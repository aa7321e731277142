// GPT-2: config and presets, modules named as Hugging Face checkpoints, the LM head, generation.
export { GPT2_DEFAULTS, GPT2_PRESETS, gpt2Config, gpt2ConfigFromJson, innerDim, type GPT2Config, type GPT2PresetName } from './config.js';
export { Conv1D } from './conv1d.js';
export { GPT2Attention, type GPT2AttentionCall, type LayerCache } from './attention.js';
export { GPT2MLP } from './mlp.js';
export { GPT2Block } from './block.js';
export { GPT2Model, type GPT2ForwardOptions, type GPT2ModelOutput } from './model.js';
export { GPT2LMHeadModel, causalLmLoss, type GPT2LMForwardOptions, type GPT2LMOutput, type FromPretrainedOptions } from './lm-head.js';
export { generate, type GenerateOptions } from './generate.js';
export { argmax, sampleToken, seededRandom, type SamplingOptions } from './sampling.js';
export { gpt2CheckpointSpec, readGPT2Config } from './checkpoint.js';
export { gpt2Architectures, inferGPT2Architecture } from './runnable.js';
