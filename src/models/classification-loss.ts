// Classification losses as transformers computes them for sequence/image classification heads
// (loss_utils.ForSequenceClassificationLoss): the problem type picks MSE, cross-entropy or BCE-with-logits.
import { TesseraError } from '../errors.js';
import { findOutOfRange } from '../tensor/int-check.js';
import { isFloat } from '../tensor/dtype.js';
import { binaryCrossEntropyWithLogits, crossEntropy, mseLoss } from '../tensor/ops/fused.js';
import { shapeStr } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ProblemType } from './hf-config.js';

/**
 * The problem type HF infers when config.problem_type is null: one label -> regression; integer labels ->
 * single-label classification; float labels -> multi-label classification.
 */
export function inferProblemType(numLabels: number, labels: Tensor, configured: ProblemType | null): ProblemType {
  if (configured) return configured;
  if (numLabels === 1) return 'regression';
  return isFloat(labels.dtype) ? 'multi_label_classification' : 'single_label_classification';
}

/**
 * Loss of logits (B, numLabels) against labels: regression -> MSE (logits and labels squeezed when there is
 * one label), single-label -> mean cross-entropy (ignore -100), multi-label -> mean BCE with logits.
 */
export function sequenceClassificationLoss(logits: Tensor, labels: Tensor, numLabels: number, configured: ProblemType | null): Tensor {
  const problem = inferProblemType(numLabels, labels, configured);
  switch (problem) {
    case 'regression': {
      const y = labels.to('float32');
      const [a, b] = numLabels === 1 ? [logits.reshape([-1]), y.reshape([-1])] : [logits, y];
      if (a.shape.join() !== b.shape.join()) throw new TesseraError(`regression labels of shape ${shapeStr(labels.shape)} do not match logits of shape ${shapeStr(logits.shape)}`);
      return mseLoss(a, b);
    }
    case 'single_label_classification': {
      if (isFloat(labels.dtype)) throw new TesseraError(`single-label classification needs integer class labels, got ${labels.dtype}`);
      const flat = labels.reshape([-1]);
      if (flat.size !== logits.size / numLabels) throw new TesseraError(`${flat.size} labels for ${logits.size / numLabels} rows of logits ${shapeStr(logits.shape)}`);
      checkClasses(flat, numLabels);
      return crossEntropy(logits.reshape([-1, numLabels]), flat.dtype === 'int64' || flat.dtype === 'int32' ? flat : flat.to('int64'));
    }
    case 'multi_label_classification': {
      if (labels.shape.join() !== logits.shape.join()) throw new TesseraError(`multi-label targets of shape ${shapeStr(labels.shape)} do not match logits of shape ${shapeStr(logits.shape)}`);
      return binaryCrossEntropyWithLogits(logits, labels.to('float32'));
    }
  }
}

/** Class targets must be in [0, numClasses) or the ignore index -100. */
export function checkClasses(targets: Tensor, numClasses: number, ignoreIndex = -100, name = 'labels'): void {
  if (targets.size === 0) return;
  const bad = findOutOfRange(targets, 0, numClasses, ignoreIndex);
  if (bad && bad.value >= numClasses) throw new TesseraError(`${name} holds class ${bad.value}, but there are ${numClasses} classes (labels must be in [0, ${numClasses - 1}] or ${ignoreIndex})`);
  if (bad) throw new TesseraError(`${name} holds class ${bad.value}; labels must be in [0, ${numClasses - 1}] or ${ignoreIndex}`);
}
