// TransformerMTModel (transformers' MarianMTModel): TransformerModel under 'model', lm_head tied to the target
// embeddings, final_logits_bias. Loss: cross-entropy of every target position, -100 ignored; labels alone give
// decoder inputs shifted right behind decoder_start_token_id (shift_tokens_right).
import { ShapeError, TesseraError } from '../../errors.js';
import { full, zeros } from '../../tensor/creation.js';
import { where } from '../../tensor/ops/elementwise.js';
import { cat } from '../../tensor/ops/indexing.js';
import { crossEntropy } from '../../tensor/ops/fused.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { normal_ } from '../../nn/init.js';
import { loadTransformerWeights, readTransformerConfig, saveTransformer } from './checkpoint.js';
import { targetVocabSize, type TransformerConfig } from './config.js';
import type { DecoderLayerCache } from './decoder.js';
import { beamSearch } from './beam-search.js';
import type { Seq2SeqGenerateOptions, Seq2SeqGenerateResult } from './decoding.js';
import { greedySearch } from './greedy.js';
import { TransformerModel, type TransformerForwardOptions } from './model.js';
import { OutputProjection } from './output-projection.js';

export interface TransformerMTForwardOptions extends TransformerForwardOptions {
  /** (B, T) target ids; -100 = ignored. */
  labels?: Tensor | null;
}

/** Outputs under transformers' Seq2SeqLMOutput names (camelCase). */
export interface TransformerMTOutput {
  /** (B, T, V) */
  logits: Tensor;
  loss?: Tensor;
  pastKeyValues?: DecoderLayerCache[];
  decoderHiddenStates?: Tensor[];
  decoderAttentions?: Tensor[];
  crossAttentions?: Tensor[];
  encoderLastHiddenState: Tensor;
  encoderHiddenStates?: Tensor[];
  encoderAttentions?: Tensor[];
}

export class TransformerMTModel extends Module {
  readonly model: TransformerModel;
  readonly lm_head: OutputProjection;
  /** (1, V), added to the logits (a stored buffer, zeros in new models). */
  readonly finalLogitsBias: Tensor;

  constructor(readonly config: TransformerConfig, device?: string) {
    super();
    this.model = this.addModule('model', new TransformerModel(config, device));
    const V = targetVocabSize(config);
    let head = this.model.decoder.embed_tokens.weight;
    if (!config.tie_word_embeddings) {
      head = zeros([V, config.d_model], { device });
      normal_(head, 0, config.init_std);
    }
    this.lm_head = this.addModule('lm_head', new OutputProjection(head));
    this.finalLogitsBias = this.addBuffer('final_logits_bias', zeros([1, V], { device }));
  }

  /** Reads config.json + model.safetensors (a MarianMTModel file, or a MarianModel one: the head is then tied); returns the model in eval mode. */
  static fromPretrained(dir: string, opts: { device?: string } = {}): TransformerMTModel {
    const config = readTransformerConfig(dir);
    const model = new TransformerMTModel(config, opts.device);
    loadTransformerWeights(model, config, dir, opts.device);
    return model.eval();
  }

  /** Writes config.json and model.safetensors as transformers saves MarianMTModel. */
  savePretrained(dir: string): void {
    saveTransformer(dir, this, this.config, 'MarianMTModel');
  }

  /** Decoder states (..., C) -> logits (..., V). */
  logits(hidden: Tensor): Tensor {
    return this.lm_head.forward(hidden, this.finalLogitsBias.reshape([-1]));
  }

  /** input_ids (B, S) and decoder inputs (B, T) (or labels) -> logits (B, T, V), and the loss with labels. */
  forward(inputIds: Tensor | null, opts: TransformerMTForwardOptions = {}): TransformerMTOutput {
    let decoderInputIds = opts.decoderInputIds ?? null;
    if (opts.labels && !decoderInputIds) {
      const c = this.config;
      if (c.pad_token_id === null || c.decoder_start_token_id === null) {
        throw new TesseraError('Transformer: shifting labels right needs pad_token_id and decoder_start_token_id in the config');
      }
      decoderInputIds = shiftTokensRight(opts.labels, c.pad_token_id, c.decoder_start_token_id);
    }
    const { lastHiddenState, ...rest } = this.model.forward(inputIds, { ...opts, decoderInputIds });
    const logits = this.logits(lastHiddenState);
    let loss: Tensor | undefined;
    if (opts.labels) {
      const [B, T, V] = logits.shape as [number, number, number];
      if (opts.labels.ndim !== 2 || opts.labels.dim(0) !== B || opts.labels.dim(1) !== T) {
        throw new ShapeError(`labels of shape ${shapeStr(opts.labels.shape)} do not match decoder inputs (${B}, ${T})`);
      }
      loss = crossEntropy(logits.reshape([B * T, V]), opts.labels.reshape([B * T]), { ignoreIndex: -100 });
    }
    return { logits, loss, ...rest };
  }

  /**
   * Translates input_ids (B, S): greedy decoding, or beam search when numBeams > 1. Returns the target ids
   * (B, L), decoder start token first, finished rows padded.
   */
  generate(inputIds: Tensor, opts: Seq2SeqGenerateOptions = {}): Tensor {
    return this.search(inputIds, opts).sequences;
  }

  /** As generate, with each output's score (sum of token log-probabilities / length^lengthPenalty). */
  search(inputIds: Tensor, opts: Seq2SeqGenerateOptions = {}): Seq2SeqGenerateResult {
    return (opts.numBeams ?? 1) > 1 ? beamSearch(this, inputIds, opts) : greedySearch(this, inputIds, opts);
  }
}

/**
 * Decoder inputs from labels (B, T): [start, labels[:, :-1]] with -100 replaced by pad (transformers'
 * shift_tokens_right).
 */
export function shiftTokensRight(labels: Tensor, padTokenId: number, decoderStartTokenId: number): Tensor {
  if (labels.ndim !== 2) throw new ShapeError(`labels must be (batch, length), got ${shapeStr(labels.shape)}`);
  const [B, T] = labels.shape as [number, number];
  // on the device (no host round trip): [start, labels[:, :-1]] with -100 turned into the pad id
  const ids = labels.dtype === 'int64' ? labels : labels.to('int64');
  const start = full([B, 1], decoderStartTokenId, { dtype: 'int64', device: labels.device });
  if (T <= 1) return start.narrow(1, 0, T);
  const body = ids.narrow(1, 0, T - 1);
  return cat([start, where(body.eq(-100), padTokenId, body)], 1);
}
