// ViTForImageClassification: a linear classifier on the final-LayerNormed [CLS] token; loss by problem type
// as transformers computes it (MSE for one label, cross-entropy for class ids, BCE for multi-label floats).
import type { JsonObject } from '../../io/json.js';
import { Linear } from '../../nn/layers/linear.js';
import type { Tensor } from '../../tensor/tensor.js';
import { numLabelsOf } from '../hf-config.js';
import { sequenceClassificationLoss } from '../classification-loss.js';
import { ViTModel, type ViTInputs, type ViTOutputOptions } from './model.js';
import { ViTPreTrainedModel, type ModelOptions } from './pretrained.js';

export interface ViTImageClassificationOutput {
  /** (B, numLabels) — or the (B, C) [CLS] vector when the config has 0 labels (HF's Identity classifier). */
  logits: Tensor;
  loss?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

export class ViTForImageClassification extends ViTPreTrainedModel {
  static override readonly architecture: string = 'ViTForImageClassification';
  readonly numLabels: number;
  readonly vit: ViTModel;
  readonly classifier: Linear | null;

  /** The number of classes comes from config.id2label (or num_labels); 1 makes it a regression head. */
  constructor(config: JsonObject, opts: ModelOptions = {}) {
    super(config);
    this.numLabels = numLabelsOf(this.config);
    this.vit = this.addModule('vit', new ViTModel(this.config, { ...opts, addPoolingLayer: false, init: false }));
    this.classifier = this.numLabels > 0 ? this.addModule('classifier', new Linear(this.config.hidden_size, this.numLabels, { device: opts.device })) : null;
    this.initWeights();
  }

  /**
   * logits (B, numLabels). `labels`: (B) class ids (cross-entropy), (B) floats when numLabels is 1 (MSE), or
   * (B, numLabels) floats for multi-label (BCE) — or as config.problem_type says.
   */
  forward(inputs: ViTInputs, opts: ViTOutputOptions & { labels?: Tensor | null } = {}): ViTImageClassificationOutput {
    const out = this.vit.forward(inputs, opts);
    const cls = out.lastHiddenState.select(1, 0); // (B, C)
    const logits = this.classifier ? this.classifier.forward(cls) : cls;
    const loss = opts.labels ? sequenceClassificationLoss(logits, opts.labels, Math.max(this.numLabels, 1), this.config.problem_type) : undefined;
    return { logits, loss, hiddenStates: out.hiddenStates, attentions: out.attentions };
  }
}
