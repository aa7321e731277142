// BertModel: embeddings -> post-LN encoder -> optional pooler, with the (B, T) padding mask turned into an
// additive mask over keys as transformers' eager attention does. Reference: modeling_bert.py, BertModel.
import { TesseraError } from '../../errors.js';
import { where } from '../../tensor/ops/elementwise.js';
import { shapeStr } from '../../tensor/shape.js';
import { inferenceScope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { JsonObject } from '../../io/json.js';
import type { BertConfig } from './config.js';
import { BertEmbeddings } from './embeddings.js';
import { BertEncoder } from './encoder.js';
import { BertPooler } from './pooler.js';
import { checkpointKeys, weightsPath } from '../pretrained.js';
import { BertPreTrainedModel, loadBertPretrained, type BertModelClass, type FromPretrainedOptions, type ModelOptions } from './pretrained.js';

/** The inputs every BERT model takes, named as in Hugging Face (camelCase). */
export interface BertInputs {
  /** (B, T) int32/int64 token ids. */
  inputIds: Tensor;
  /** (B, T): 1 (or true) for tokens to attend to, 0 for padding. Default all ones. */
  attentionMask?: Tensor | null;
  /** (B, T) segment ids (0 for sentence A, 1 for B). Default 0. */
  tokenTypeIds?: Tensor | null;
  /** (B, T) or (1, T) positions. Default 0..T-1. */
  positionIds?: Tensor | null;
}

/** What to return besides the main outputs. */
export interface OutputOptions {
  /** Return hiddenStates: the embedding output and every layer's output. */
  outputHiddenStates?: boolean;
  /** Return attentions: every layer's attention probabilities (B, H, T, T). */
  outputAttentions?: boolean;
}

export interface BertModelOutput {
  /** (B, T, C) */
  lastHiddenState: Tensor;
  /** (B, C) tanh(dense([CLS])); absent when the model has no pooler. */
  poolerOutput?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/** The value transformers adds at masked keys: torch.finfo(torch.float32).min. */
export const MASK_MIN = -3.4028234663852886e38;

/** (B, T) 1/0 mask -> (B, 1, 1, T) additive float mask (0 keep, MASK_MIN drop), as HF's eager attention uses. */
export function additiveKeyMask(attentionMask: Tensor): Tensor {
  const [B, T] = attentionMask.shape as [number, number];
  const keep = attentionMask.dtype === 'bool' ? attentionMask : attentionMask.ne(0);
  return where(keep, 0, MASK_MIN).reshape([B, 1, 1, T]);
}

export class BertModel extends BertPreTrainedModel {
  static override readonly architecture: string = 'BertModel';
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler | null;

  /**
   * `addPoolingLayer` false drops the pooler, as HF's heads that do not read [CLS] (MLM, token classification,
   * QA) do. `init` false skips HF's weight init (a head initialises the whole tree once).
   */
  constructor(config: BertConfig | JsonObject, opts: ModelOptions & { addPoolingLayer?: boolean; init?: boolean } = {}) {
    super(config);
    const device = opts.device;
    this.embeddings = this.addModule('embeddings', new BertEmbeddings(this.config, device));
    this.encoder = this.addModule('encoder', new BertEncoder(this.config, device));
    this.pooler = opts.addPoolingLayer === false ? null : this.addModule('pooler', new BertPooler(this.config, device));
    if (opts.init !== false) this.initWeights();
  }

  /** As for every BERT class; the pooler is built only when the checkpoint has one (QA / token-classification files have none). */
  static override fromPretrained<M extends BertPreTrainedModel>(this: BertModelClass<M>, dir: string, opts: FromPretrainedOptions = {}): M {
    const pooler = checkpointKeys(weightsPath(dir)).some((k) => /^(bert\.)?pooler\./.test(k));
    return loadBertPretrained(this, dir, opts, { addPoolingLayer: pooler });
  }

  forward(inputs: BertInputs, opts: OutputOptions = {}): BertModelOutput {
    return inferenceScope(() => this.run(inputs, opts));
  }

  private run(inputs: BertInputs, opts: OutputOptions): BertModelOutput {
    const ids = inputs.inputIds;
    if (!ids) throw new TesseraError('BERT: input_ids is required');
    if (ids.ndim !== 2) throw new TesseraError(`input_ids has shape ${shapeStr(ids.shape)}, expected (batch, sequence)`);
    let mask: Tensor | null = null;
    if (inputs.attentionMask) {
      if (inputs.attentionMask.shape.join() !== ids.shape.join()) {
        throw new TesseraError(`attention_mask has shape ${shapeStr(inputs.attentionMask.shape)}, but input_ids has ${shapeStr(ids.shape)}`);
      }
      mask = additiveKeyMask(inputs.attentionMask);
    }
    const x = this.embeddings.forward(ids, inputs.tokenTypeIds, inputs.positionIds);
    const enc = this.encoder.forward(x, mask, opts);
    return {
      lastHiddenState: enc.lastHiddenState,
      poolerOutput: this.pooler ? this.pooler.forward(enc.lastHiddenState) : undefined,
      hiddenStates: enc.hiddenStates,
      attentions: enc.attentions,
    };
  }
}
