// BERT models behind the uniform run interface (inputs, labels and outputs by their Hugging Face names), and
// which BERT class a checkpoint holds when config.json does not say.
import { noGrad } from '../../autograd/engine.js';
import type { Tensor } from '../../tensor/tensor.js';
import { collectOutputs, evalLoader, integerLabels } from '../run-outputs.js';
import type { ArchitectureLoader, RunnableModel, RunOptions } from '../auto.js';
import { BertForSequenceClassification, BertForTokenClassification } from './classification.js';
import { BertModel, type BertInputs } from './model.js';
import { BertForMaskedLM, BertForNextSentencePrediction, BertForPreTraining } from './pretraining.js';
import type { BertPreTrainedModel } from './pretrained.js';
import { BertForQuestionAnswering } from './question-answering.js';

const INPUTS = { required: ['input_ids'], optional: ['attention_mask', 'token_type_ids', 'position_ids'] } as const;

function bertInputs(inputs: Record<string, Tensor>): BertInputs {
  return {
    inputIds: inputs.input_ids!,
    attentionMask: inputs.attention_mask ?? null,
    tokenTypeIds: inputs.token_type_ids ?? null,
    positionIds: inputs.position_ids ?? null,
  };
}



/**
 * Labels for sequence classification from untyped (JSON) data, by config.problem_type or else HF's rule
 * with the shape standing in for the dtype: one label -> regression floats; (B, numLabels) -> multi-label
 * floats; (B) -> class ids.
 */
function sequenceLabels(model: BertForSequenceClassification, labels: Tensor): Tensor {
  const problem = model.config.problem_type
    ?? (model.numLabels === 1 ? 'regression' : labels.ndim === 2 && labels.dim(1) === model.numLabels && model.numLabels > 1 ? 'multi_label_classification' : 'single_label_classification');
  return problem === 'single_label_classification' ? integerLabels(labels, 'labels')! : labels.to('float32');
}

function runnable(model: BertPreTrainedModel, labelNames: readonly string[], run: (inputs: BertInputs, opts: RunOptions, labels: Record<string, Tensor>) => Map<string, Tensor>): RunnableModel {
  return {
    architecture: model.architecture,
    module: model,
    inputNames: INPUTS,
    labelNames,
    forward(inputs, opts = {}) {
      return noGrad(() => run(bertInputs(inputs), opts, opts.labels ?? {}));
    },
  };
}


/** The BERT entries of the architecture registry. */
export const bertArchitectures: Record<string, ArchitectureLoader> = {
  BertModel: evalLoader((d, o) => BertModel.fromPretrained(d, o), (m) => runnable(m, [], (inputs, opts) => {
    const out = m.forward(inputs, opts);
    const main: [string, Tensor][] = [['last_hidden_state', out.lastHiddenState]];
    if (out.poolerOutput) main.push(['pooler_output', out.poolerOutput]);
    return collectOutputs(main, out);
  })),
  BertForPreTraining: evalLoader((d, o) => BertForPreTraining.fromPretrained(d, o), (m) => runnable(m, ['labels', 'mlm_labels', 'next_sentence_label'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: integerLabels(l.labels ?? l.mlm_labels, 'labels'), nextSentenceLabel: integerLabels(l.next_sentence_label, 'next_sentence_label') });
    return collectOutputs([['prediction_logits', out.predictionLogits], ['seq_relationship_logits', out.seqRelationshipLogits]], out);
  })),
  BertForMaskedLM: evalLoader((d, o) => BertForMaskedLM.fromPretrained(d, o), (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: integerLabels(l.labels, 'labels') });
    return collectOutputs([['logits', out.logits]], out);
  })),
  BertForNextSentencePrediction: evalLoader((d, o) => BertForNextSentencePrediction.fromPretrained(d, o), (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: integerLabels(l.labels, 'labels') });
    return collectOutputs([['logits', out.logits]], out);
  })),
  BertForSequenceClassification: evalLoader((d, o) => BertForSequenceClassification.fromPretrained(d, o), (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: l.labels ? sequenceLabels(m, l.labels) : null });
    return collectOutputs([['logits', out.logits]], out);
  })),
  BertForTokenClassification: evalLoader((d, o) => BertForTokenClassification.fromPretrained(d, o), (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: integerLabels(l.labels, 'labels') });
    return collectOutputs([['logits', out.logits]], out);
  })),
  BertForQuestionAnswering: evalLoader((d, o) => BertForQuestionAnswering.fromPretrained(d, o), (m) => runnable(m, ['start_positions', 'end_positions'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, startPositions: integerLabels(l.start_positions, 'start_positions'), endPositions: integerLabels(l.end_positions, 'end_positions') });
    return collectOutputs([['start_logits', out.startLogits], ['end_logits', out.endLogits]], out);
  })),
};

/**
 * The BERT class a checkpoint's tensor names show (prefix `bert.` optional): MLM + NSP heads -> pretraining;
 * one of them -> masked LM / next sentence; qa_outputs -> QA; a classifier reading the pooler -> sequence
 * classification, without a pooler -> token classification (HF builds those without one); else the base model.
 */
export function inferBertArchitecture(keys: readonly string[]): string {
  const has = (p: string) => keys.some((k) => k.startsWith(p));
  const mlm = has('cls.predictions.'), nsp = has('cls.seq_relationship.');
  if (mlm && nsp) return 'BertForPreTraining';
  if (mlm) return 'BertForMaskedLM';
  if (nsp) return 'BertForNextSentencePrediction';
  if (has('qa_outputs.')) return 'BertForQuestionAnswering';
  if (has('classifier.')) return has('bert.pooler.') || has('pooler.') ? 'BertForSequenceClassification' : 'BertForTokenClassification';
  return 'BertModel';
}
