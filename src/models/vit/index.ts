// ViT (Dosovitskiy et al., 2020) as Hugging Face transformers builds it: config, modules named as the
// checkpoint keys, the base model and the image-classification head, loading and saving HF checkpoint folders.
export { vitConfig, vitPreset, vitPresets, pair, type ViTConfig, type ViTPresetName } from './config.js';
export { bicubicWeights, resizeBicubic } from './interpolate.js';
export { ViTEmbeddings, ViTPatchEmbeddings } from './embeddings.js';
export { ViTAttention, ViTLayer, ViTEncoder } from './encoder.js';
export { ViTModel, ViTPooler, type ViTInputs, type ViTOutputOptions, type ViTModelOutput } from './model.js';
export { ViTPreTrainedModel, vitCheckpointSpec, loadViTPretrained, vitCurrentName, type ViTModelClass, type FromPretrainedOptions, type ModelOptions } from './pretrained.js';
export { ViTForImageClassification, type ViTImageClassificationOutput } from './classification.js';
