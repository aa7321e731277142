// BERT's pretraining heads: BertForPreTraining (masked LM tied to the word embeddings + next-sentence
// prediction), BertForMaskedLM and BertForNextSentencePrediction, with HF's losses and module names (`cls.*`).
import { TesseraError } from '../../errors.js';
import type { JsonObject } from '../../io/json.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import { crossEntropy } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { BertConfig } from './config.js';
import { BertLMPredictionHead } from './lm-head.js';
import { checkClasses } from '../classification-loss.js';
import { BertModel, type BertInputs, type OutputOptions } from './model.js';
import { BertPreTrainedModel, type ModelOptions } from './pretrained.js';

/** `cls`: the MLM head (`cls.predictions`) and/or the NSP classifier (`cls.seq_relationship`). */
export class BertClsHeads extends Module {
  readonly predictions: BertLMPredictionHead | null;
  readonly seqRelationship: Linear | null;

  constructor(config: BertConfig, wordEmbeddings: Tensor, parts: { mlm: boolean; nsp: boolean }, device?: string) {
    super();
    this.predictions = parts.mlm ? this.addModule('predictions', new BertLMPredictionHead(config, wordEmbeddings, device)) : null;
    this.seqRelationship = parts.nsp ? this.addModule('seq_relationship', new Linear(config.hidden_size, 2, { device })) : null;
  }
}

/** Masked-LM loss: mean cross-entropy over positions whose label is not -100. */
function mlmLoss(logits: Tensor, labels: Tensor, vocabSize: number): Tensor {
  if (labels.shape.join() !== logits.shape.slice(0, -1).join()) {
    throw new TesseraError(`labels has shape [${labels.shape.join(', ')}], expected [${logits.shape.slice(0, -1).join(', ')}] (one token id or -100 per position)`);
  }
  checkClasses(labels, vocabSize, -100, 'labels');
  return crossEntropy(logits.reshape([-1, vocabSize]), labels.reshape([-1]));
}

/** Next-sentence loss: cross-entropy over the two classes (0 = B follows A, 1 = B is random). */
function nspLoss(logits: Tensor, labels: Tensor): Tensor {
  if (labels.size !== logits.dim(0)) throw new TesseraError(`next_sentence_label has ${labels.size} values for a batch of ${logits.dim(0)}`);
  checkClasses(labels, 2, -100, 'next_sentence_label');
  return crossEntropy(logits.reshape([-1, 2]), labels.reshape([-1]));
}

export interface BertForPreTrainingOutput {
  /** (B, T, V) masked-LM scores. */
  predictionLogits: Tensor;
  /** (B, 2) next-sentence scores. */
  seqRelationshipLogits: Tensor;
  /** MLM loss + NSP loss, when both label sets are given. */
  loss?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

export class BertForPreTraining extends BertPreTrainedModel {
  static override readonly architecture: string = 'BertForPreTraining';
  readonly bert: BertModel;
  readonly cls: BertClsHeads;

  constructor(config: BertConfig | JsonObject, opts: ModelOptions = {}) {
    super(config);
    this.bert = this.addModule('bert', new BertModel(this.config, { ...opts, addPoolingLayer: true, init: false }));
    this.cls = this.addModule('cls', new BertClsHeads(this.config, this.bert.embeddings.wordEmbeddings.weight, { mlm: true, nsp: true }, opts.device));
    this.initWeights();
  }

  /** `labels` (B, T) token ids (-100 = not masked) and `nextSentenceLabel` (B) give loss = MLM + NSP (both needed). */
  forward(inputs: BertInputs, opts: OutputOptions & { labels?: Tensor | null; nextSentenceLabel?: Tensor | null } = {}): BertForPreTrainingOutput {
    const out = this.bert.forward(inputs, opts);
    const predictionLogits = this.cls.predictions!.forward(out.lastHiddenState);
    const seqRelationshipLogits = this.cls.seqRelationship!.forward(out.poolerOutput!);
    let loss: Tensor | undefined;
    if (opts.labels || opts.nextSentenceLabel) {
      if (!opts.labels || !opts.nextSentenceLabel) throw new TesseraError('BertForPreTraining: the loss needs both labels (masked-LM targets) and next_sentence_label');
      loss = mlmLoss(predictionLogits, opts.labels, this.config.vocab_size).add(nspLoss(seqRelationshipLogits, opts.nextSentenceLabel));
    }
    return { predictionLogits, seqRelationshipLogits, loss, hiddenStates: out.hiddenStates, attentions: out.attentions };
  }
}

/** Logits, an optional loss, and the optional hidden states / attentions: what single-output heads return. */
export interface BertHeadOutput {
  logits: Tensor;
  loss?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

export class BertForMaskedLM extends BertPreTrainedModel {
  static override readonly architecture: string = 'BertForMaskedLM';
  readonly bert: BertModel;
  readonly cls: BertClsHeads;

  constructor(config: BertConfig | JsonObject, opts: ModelOptions = {}) {
    super(config);
    this.bert = this.addModule('bert', new BertModel(this.config, { ...opts, addPoolingLayer: false, init: false }));
    this.cls = this.addModule('cls', new BertClsHeads(this.config, this.bert.embeddings.wordEmbeddings.weight, { mlm: true, nsp: false }, opts.device));
    this.initWeights();
  }

  /** logits (B, T, V); `labels` (B, T) token ids with -100 at unmasked positions give the mean MLM loss. */
  forward(inputs: BertInputs, opts: OutputOptions & { labels?: Tensor | null } = {}): BertHeadOutput {
    const out = this.bert.forward(inputs, opts);
    const logits = this.cls.predictions!.forward(out.lastHiddenState);
    const loss = opts.labels ? mlmLoss(logits, opts.labels, this.config.vocab_size) : undefined;
    return { logits, loss, hiddenStates: out.hiddenStates, attentions: out.attentions };
  }
}

export class BertForNextSentencePrediction extends BertPreTrainedModel {
  static override readonly architecture: string = 'BertForNextSentencePrediction';
  readonly bert: BertModel;
  readonly cls: BertClsHeads;

  constructor(config: BertConfig | JsonObject, opts: ModelOptions = {}) {
    super(config);
    this.bert = this.addModule('bert', new BertModel(this.config, { ...opts, addPoolingLayer: true, init: false }));
    this.cls = this.addModule('cls', new BertClsHeads(this.config, this.bert.embeddings.wordEmbeddings.weight, { mlm: false, nsp: true }, opts.device));
    this.initWeights();
  }

  /** logits (B, 2); `labels` (B) with 0 = sentence B follows A, 1 = B is random. */
  forward(inputs: BertInputs, opts: OutputOptions & { labels?: Tensor | null } = {}): BertHeadOutput {
    const out = this.bert.forward(inputs, opts);
    const logits = this.cls.seqRelationship!.forward(out.poolerOutput!);
    const loss = opts.labels ? nspLoss(logits, opts.labels) : undefined;
    return { logits, loss, hiddenStates: out.hiddenStates, attentions: out.attentions };
  }
}
