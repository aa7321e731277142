// Tessera's public API.
import './backend/all.js';

export { TesseraError, ShapeError, DeviceMismatchError, FormatError } from './errors.js';
export type { DType, HostArray } from './tensor/dtype.js';
export { Tensor, tensor, type TensorOptions, type NestedArray, type NumericArray } from './tensor/tensor.js';
export { zeros, ones, full, arange, rand, randn, uniform, normal, randint, manualSeed, zerosLike, onesLike } from './tensor/creation.js';
export { where, maskedFill } from './tensor/ops/elementwise.js';
export { cat, stack, embedding } from './tensor/ops/indexing.js';
export { linear, matmul } from './tensor/ops/linalg.js';
export {
  softmax, logSoftmax, layerNorm, crossEntropy, binaryCrossEntropyWithLogits, mseLoss,
  scaledDotProductAttention, dropout, conv2d, lstmCell, setFusedOps,
  type CrossEntropyOptions, type AttentionOptions,
} from './tensor/ops/fused.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/engine.js';
export { tidy, keep, stepScope } from './tensor/scope.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './autograd/gradcheck.js';
export { getBackend, registerBackend, getDefaultDevice, setDefaultDevice, isDeviceAvailable } from './backend/registry.js';
export type { Backend, Storage, Layout } from './backend/backend.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as io from './io/index.js';
export { loadTensors, saveTensors } from './io/tensors.js';
export * as bert from './models/bert/index.js';
export * as gpt2 from './models/gpt2/index.js';
export * as vit from './models/vit/index.js';
export * as transformer from './models/transformer/index.js';
export * as word2vec from './models/word2vec/index.js';
export * as tokenizers from './tokenizers/index.js';
export { architectures, type RunnableModel } from './models/auto.js';
export * as elmo from './models/elmo/index.js';
export { withAutocast, withoutAutocast, autocastDType, clearAutocastCache, type AutocastDType } from './tensor/autocast.js';
export * as train from './train/index.js';
export * as data from './data/index.js';
export * as plot from './plot/index.js';
