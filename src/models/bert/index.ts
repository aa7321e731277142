// BERT (Devlin et al., 2018) as Hugging Face transformers builds it: config, modules named as the checkpoint
// keys, the base model and its task heads, loading and saving HF checkpoint folders.
export { bertConfig, bertPreset, bertPresets, type BertConfig, type BertPresetName } from './config.js';
export { ConfigReader, numLabelsOf, type ProblemType } from '../hf-config.js';
export { BertEmbeddings } from './embeddings.js';
export { BertSelfAttention, BertSelfOutput, BertAttention } from './attention.js';
export { BertIntermediate, BertOutput, BertLayer, BertEncoder, type EncoderResult } from './encoder.js';
export { BertPooler } from './pooler.js';
export { BertModel, additiveKeyMask, MASK_MIN, type BertInputs, type BertModelOutput, type OutputOptions } from './model.js';
export { BertPreTrainedModel, bertCheckpointSpec, loadBertPretrained, type BertModelClass, type FromPretrainedOptions, type ModelOptions } from './pretrained.js';
export { BertLMPredictionHead, BertPredictionHeadTransform, TiedDecoder } from './lm-head.js';
export { BertForPreTraining, BertForMaskedLM, BertForNextSentencePrediction, BertClsHeads, type BertForPreTrainingOutput, type BertHeadOutput } from './pretraining.js';
export { BertForSequenceClassification, BertForTokenClassification } from './classification.js';
export { BertForQuestionAnswering, type BertQuestionAnsweringOutput } from './question-answering.js';
export { sequenceClassificationLoss, inferProblemType } from '../classification-loss.js';
