// BERT classification heads: BertForSequenceClassification (dropout + classifier on the pooled [CLS]; single
// sentences and pairs via token_type_ids) and BertForTokenClassification (dropout + classifier per token).
import { TesseraError } from '../../errors.js';
import type { JsonObject } from '../../io/json.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Linear } from '../../nn/layers/linear.js';
import { crossEntropy } from '../../tensor/ops/fused.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { numLabelsOf } from '../hf-config.js';
import { checkClasses, sequenceClassificationLoss } from '../classification-loss.js';
import { BertModel, type BertInputs, type OutputOptions } from './model.js';
import type { BertHeadOutput } from './pretraining.js';
import { BertPreTrainedModel, type ModelOptions } from './pretrained.js';

/** BERT with dropout and one linear classifier over its pooled or per-token output (the two heads below). */
abstract class BertClassifierHead extends BertPreTrainedModel {
  readonly numLabels: number;
  readonly bert: BertModel;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  /** The number of classes comes from config.id2label (or num_labels); `pooled` adds BERT's pooler. */
  constructor(config: JsonObject, opts: ModelOptions, pooled: boolean) {
    super(config);
    this.numLabels = numLabelsOf(this.config);
    this.bert = this.addModule('bert', new BertModel(this.config, { ...opts, addPoolingLayer: pooled, init: false }));
    this.dropout = this.addModule('dropout', new Dropout(this.config.classifier_dropout ?? this.config.hidden_dropout_prob));
    this.classifier = this.addModule('classifier', new Linear(this.config.hidden_size, this.numLabels, { device: opts.device }));
    this.initWeights();
  }
}

export class BertForSequenceClassification extends BertClassifierHead {
  static override readonly architecture: string = 'BertForSequenceClassification';

  /** The number of classes comes from config.id2label (or num_labels); 1 makes it a regression head. */
  constructor(config: JsonObject, opts: ModelOptions = {}) {
    super(config, opts, true);
  }

  /**
   * logits (B, numLabels). `labels`: (B) class ids (cross-entropy), (B) or (B, 1) floats when numLabels is 1
   * (MSE), or (B, numLabels) floats for multi-label (BCE) — or as config.problem_type says.
   */
  forward(inputs: BertInputs, opts: OutputOptions & { labels?: Tensor | null } = {}): BertHeadOutput {
    const out = this.bert.forward(inputs, opts);
    const logits = this.classifier.forward(this.dropout.forward(out.poolerOutput!));
    const loss = opts.labels ? sequenceClassificationLoss(logits, opts.labels, this.numLabels, this.config.problem_type) : undefined;
    return { logits, loss, hiddenStates: out.hiddenStates, attentions: out.attentions };
  }
}

export class BertForTokenClassification extends BertClassifierHead {
  static override readonly architecture: string = 'BertForTokenClassification';

  constructor(config: JsonObject, opts: ModelOptions = {}) {
    super(config, opts, false);
  }

  /** logits (B, T, numLabels); `labels` (B, T) class ids with -100 where no loss is wanted (padding, sub-words). */
  forward(inputs: BertInputs, opts: OutputOptions & { labels?: Tensor | null } = {}): BertHeadOutput {
    const out = this.bert.forward(inputs, opts);
    const logits = this.classifier.forward(this.dropout.forward(out.lastHiddenState));
    let loss: Tensor | undefined;
    if (opts.labels) {
      const labels = opts.labels;
      if (labels.shape.join() !== logits.shape.slice(0, -1).join()) {
        throw new TesseraError(`labels has shape ${shapeStr(labels.shape)}, expected ${shapeStr(logits.shape.slice(0, -1))} (one class id or -100 per token)`);
      }
      checkClasses(labels, this.numLabels);
      loss = crossEntropy(logits.reshape([-1, this.numLabels]), labels.reshape([-1]));
    }
    return { logits, loss, hiddenStates: out.hiddenStates, attentions: out.attentions };
  }
}
