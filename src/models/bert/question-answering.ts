// BertForQuestionAnswering: extractive QA — a linear layer (`qa_outputs`) gives start and end logits per token.
// Loss as HF: positions clamped to [0, T], T ignored, (CE(start) + CE(end)) / 2.
import { TesseraError } from '../../errors.js';
import type { JsonObject } from '../../io/json.js';
import { Linear } from '../../nn/layers/linear.js';
import { crossEntropy } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { numLabelsOf } from '../hf-config.js';
import { BertModel, type BertInputs, type OutputOptions } from './model.js';
import { BertPreTrainedModel, type ModelOptions } from './pretrained.js';

export interface BertQuestionAnsweringOutput {
  /** (B, T) */
  startLogits: Tensor;
  /** (B, T) */
  endLogits: Tensor;
  loss?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/** Cross-entropy of (B, T) logits against positions clamped into [0, T], position T ignored (HF's rule). */
function spanLoss(logits: Tensor, positions: Tensor, name: string): Tensor {
  const [B, T] = logits.shape as [number, number];
  let p = positions;
  if (p.ndim > 1) p = p.squeeze(-1);
  if (p.ndim !== 1 || p.dim(0) !== B) throw new TesseraError(`${name} has shape [${positions.shape.join(', ')}], expected [${B}] (one position per example)`);
  if (p.dtype !== 'int32' && p.dtype !== 'int64') throw new TesseraError(`${name} must hold integer positions, got ${p.dtype}`);
  p = p.clamp(0, T).to(p.dtype);
  return crossEntropy(logits, p, { ignoreIndex: T });
}

export class BertForQuestionAnswering extends BertPreTrainedModel {
  static override readonly architecture: string = 'BertForQuestionAnswering';
  readonly bert: BertModel;
  readonly qaOutputs: Linear;

  /** config.num_labels (default 2) outputs per token: start and end. */
  constructor(config: JsonObject, opts: ModelOptions = {}) {
    super(config);
    const n = numLabelsOf(this.config);
    if (n !== 2) throw new TesseraError(`BertForQuestionAnswering needs 2 labels (start, end), config has ${n}`);
    this.bert = this.addModule('bert', new BertModel(this.config, { ...opts, addPoolingLayer: false, init: false }));
    this.qaOutputs = this.addModule('qa_outputs', new Linear(this.config.hidden_size, n, { device: opts.device }));
    this.initWeights();
  }

  /** `startPositions` and `endPositions` (B) give loss = (CE(start) + CE(end)) / 2. */
  forward(inputs: BertInputs, opts: OutputOptions & { startPositions?: Tensor | null; endPositions?: Tensor | null } = {}): BertQuestionAnsweringOutput {
    const out = this.bert.forward(inputs, opts);
    const logits = this.qaOutputs.forward(out.lastHiddenState); // (B, T, 2)
    const startLogits = logits.select(-1, 0);
    const endLogits = logits.select(-1, 1);
    let loss: Tensor | undefined;
    if (opts.startPositions || opts.endPositions) {
      if (!opts.startPositions || !opts.endPositions) throw new TesseraError('BertForQuestionAnswering: the loss needs both start_positions and end_positions');
      loss = spanLoss(startLogits, opts.startPositions, 'start_positions').add(spanLoss(endLogits, opts.endPositions, 'end_positions')).div(2);
    }
    return { startLogits, endLogits, loss, hiddenStates: out.hiddenStates, attentions: out.attentions };
  }
}
