// BERT models behind the uniform run interface (inputs, labels and outputs by their Hugging Face names), and
// which BERT class a checkpoint holds when config.json does not say.
import { TesseraError } from '../../errors.js';
import { noGrad } from '../../autograd/engine.js';
import { isFloat } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ArchitectureLoader, RunnableModel, RunOptions } from '../auto.js';
import { BertForSequenceClassification, BertForTokenClassification } from './classification.js';
import { BertModel, type BertInputs } from './model.js';
import { BertForMaskedLM, BertForNextSentencePrediction, BertForPreTraining } from './pretraining.js';
import type { BertModelClass, BertPreTrainedModel } from './pretrained.js';
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

/** Class ids and positions as int64 (JSON labels arrive as int64 when integral, float32 otherwise). */
function ids(t: Tensor | undefined, name: string): Tensor | null {
  if (!t) return null;
  if (isFloat(t.dtype)) throw new TesseraError(`${name} must hold integers, got fractional values`);
  return t.dtype === 'int64' || t.dtype === 'int32' ? t : t.to('int64');
}

/** The collected outputs: main ones, then hidden_states.N, attentions.N, loss. */
function collect(main: [string, Tensor][], out: { hiddenStates?: Tensor[]; attentions?: Tensor[]; loss?: Tensor }): Map<string, Tensor> {
  const m = new Map<string, Tensor>(main);
  out.hiddenStates?.forEach((h, i) => m.set(`hidden_states.${i}`, h));
  out.attentions?.forEach((a, i) => m.set(`attentions.${i}`, a));
  if (out.loss) m.set('loss', out.loss.reshape([1]));
  return m;
}

/**
 * Labels for sequence classification from untyped (JSON) data, by config.problem_type or else HF's rule
 * with the shape standing in for the dtype: one label -> regression floats; (B, numLabels) -> multi-label
 * floats; (B) -> class ids.
 */
function sequenceLabels(model: BertForSequenceClassification, labels: Tensor): Tensor {
  const problem = model.config.problem_type
    ?? (model.numLabels === 1 ? 'regression' : labels.ndim === 2 && labels.dim(1) === model.numLabels && model.numLabels > 1 ? 'multi_label_classification' : 'single_label_classification');
  return problem === 'single_label_classification' ? ids(labels, 'labels')! : labels.to('float32');
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

function load<M extends BertPreTrainedModel>(cls: BertModelClass<M> & { fromPretrained(dir: string, o: { device?: string }): BertPreTrainedModel }, wrap: (m: M) => RunnableModel): ArchitectureLoader {
  return (dir, opts) => {
    const m = cls.fromPretrained(dir, opts) as M;
    m.eval();
    return wrap(m);
  };
}

/** The BERT entries of the architecture registry. */
export const bertArchitectures: Record<string, ArchitectureLoader> = {
  BertModel: load(BertModel, (m) => runnable(m, [], (inputs, opts) => {
    const out = m.forward(inputs, opts);
    const main: [string, Tensor][] = [['last_hidden_state', out.lastHiddenState]];
    if (out.poolerOutput) main.push(['pooler_output', out.poolerOutput]);
    return collect(main, out);
  })),
  BertForPreTraining: load(BertForPreTraining, (m) => runnable(m, ['labels', 'mlm_labels', 'next_sentence_label'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: ids(l.labels ?? l.mlm_labels, 'labels'), nextSentenceLabel: ids(l.next_sentence_label, 'next_sentence_label') });
    return collect([['prediction_logits', out.predictionLogits], ['seq_relationship_logits', out.seqRelationshipLogits]], out);
  })),
  BertForMaskedLM: load(BertForMaskedLM, (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: ids(l.labels, 'labels') });
    return collect([['logits', out.logits]], out);
  })),
  BertForNextSentencePrediction: load(BertForNextSentencePrediction, (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: ids(l.labels, 'labels') });
    return collect([['logits', out.logits]], out);
  })),
  BertForSequenceClassification: load(BertForSequenceClassification, (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: l.labels ? sequenceLabels(m, l.labels) : null });
    return collect([['logits', out.logits]], out);
  })),
  BertForTokenClassification: load(BertForTokenClassification, (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: ids(l.labels, 'labels') });
    return collect([['logits', out.logits]], out);
  })),
  BertForQuestionAnswering: load(BertForQuestionAnswering, (m) => runnable(m, ['start_positions', 'end_positions'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, startPositions: ids(l.start_positions, 'start_positions'), endPositions: ids(l.end_positions, 'end_positions') });
    return collect([['start_logits', out.startLogits], ['end_logits', out.endLogits]], out);
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
