// The ELMo bidirectional language model: character token encoder, biLSTM, and one softmax shared by the forward
// (next word) and backward (previous word) predictions. Parameter names follow AllenNLP's _ElmoBiLm.
import { ShapeError, TesseraError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { dropout } from '../../tensor/ops/fused.js';
import { cat } from '../../tensor/ops/indexing.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { ElmoLstm, type ElmoLstmResult } from './bilm.js';
import { ElmoCharacterEncoder } from './char-cnn.js';
import type { ElmoConfig } from './config.js';
import { LogUniformSampler, SoftmaxLoss } from './softmax.js';

export interface ElmoEncoding {
  /** The token encoding (B, T, projection_dim), 0 at padded positions. */
  tokenEmbedding: Tensor;
  /** (B, T) bool: true at valid tokens. */
  mask: Tensor;
  /** The biLSTM's layers and top outputs. */
  lstm: ElmoLstmResult;
}

export interface ElmoLmOutput {
  /** Training objective: the mean of the forward and backward per-token negative log-likelihoods. */
  loss: Tensor;
  /** Summed negative log-likelihoods (0-d) of the forward and backward predictions. */
  forwardLoss: Tensor;
  backwardLoss: Tensor;
  /** Number of predicted tokens in each direction. */
  forwardTokens: number;
  backwardTokens: number;
  encoding: ElmoEncoding;
}

export class ElmoLanguageModel extends Module {
  /** `_token_embedder` */
  readonly tokenEmbedder: ElmoCharacterEncoder;
  /** `_elmo_lstm` */
  readonly lstm: ElmoLstm;
  /** `_softmax_loss` */
  readonly softmax: SoftmaxLoss;
  /**
   * Draws the sampled softmax's negatives in training when config.softmax is 'sampled' (null otherwise, and when
   * n_negative_samples_batch covers the vocabulary). Its `state` is part of a training checkpoint.
   */
  readonly sampler: LogUniformSampler | null;

  constructor(readonly config: ElmoConfig, opts: { device?: string } = {}) {
    super();
    this.tokenEmbedder = this.addModule('_token_embedder', new ElmoCharacterEncoder(config, opts));
    this.lstm = this.addModule('_elmo_lstm', new ElmoLstm(config, { dropout: config.dropout, device: opts.device }));
    this.softmax = this.addModule('_softmax_loss', new SoftmaxLoss(config.vocab_size, config.lstm.projection_dim, opts));
    const sampled = config.softmax === 'sampled' && config.n_negative_samples_batch < config.vocab_size;
    this.sampler = sampled ? new LogUniformSampler(config.vocab_size) : null;
  }

  /**
   * Runs the token encoder and the biLSTM on character ids (B, T, max_characters_per_token) whose rows hold
   * `lengths` tokens (sentence boundaries included when the caller added them); padded positions are ignored.
   */
  encode(ids: Tensor, lengths: readonly number[]): ElmoEncoding {
    const [B, T] = ids.shape as [number, number];
    if (lengths.length !== B) throw new ShapeError(`ElmoLanguageModel: ${lengths.length} lengths for character ids of shape ${shapeStr(ids.shape)}`);
    const mask = Tensor.fromHost(Uint8Array.from({ length: B * T }, (_, n) => (n % T < lengths[Math.floor(n / T)]! ? 1 : 0)), [B, T], 'bool', ids.device);
    const tokenEmbedding = this.tokenEmbedder.forward(ids).mul(mask.unsqueeze(2).to('float32'));
    return { tokenEmbedding, mask, lstm: this.lstm.forward(tokenEmbedding, lengths) };
  }

  /**
   * Language-model losses. `wordIds[b]` are the vocabulary ids of row b's tokens (boundaries included, length
   * lengths[b]); the forward direction predicts token t+1 from position t, the backward token t-1. In training
   * with a sampler the losses are the sampled softmax's estimate (one draw of negatives per direction and batch);
   * in eval mode they are always the full softmax's.
   */
  forward(ids: Tensor, lengths: readonly number[], wordIds: readonly (readonly number[])[]): ElmoLmOutput {
    const [B, T] = ids.shape as [number, number];
    if (wordIds.length !== B) throw new ShapeError(`ElmoLanguageModel: ${wordIds.length} rows of word ids for a batch of ${B}`);
    const V = this.config.vocab_size;
    const fwdPos: number[] = [], fwdTgt: number[] = [], bwdPos: number[] = [], bwdTgt: number[] = [];
    for (let b = 0; b < B; b++) {
      const w = wordIds[b]!, len = lengths[b]!;
      if (w.length !== len) throw new ShapeError(`ElmoLanguageModel: row ${b} has ${len} tokens but ${w.length} word ids`);
      for (const id of w) if (!Number.isInteger(id) || id < 0 || id >= V) throw new TesseraError(`ElmoLanguageModel: word id ${id} is outside [0, ${V})`);
      for (let t = 0; t + 1 < len; t++) {
        fwdPos.push(b * T + t);
        fwdTgt.push(w[t + 1]!);
        bwdPos.push(b * T + t + 1);
        bwdTgt.push(w[t]!);
      }
    }
    const encoding = this.encode(ids, lengths);
    const P = this.config.lstm.projection_dim;
    const dev = ids.device;
    const idx = (a: number[]) => Tensor.fromHost(Int32Array.from(a), [a.length], 'int32', dev);
    const sampler = this.training ? this.sampler : null;
    const direction = (out: Tensor, pos: number[], tgt: number[]) => {
      const states = dropout(out.reshape([B * T, P]).indexSelect(0, idx(pos)), this.config.dropout, this.training);
      if (sampler) return this.softmax.sampledForward(states, tgt, sampler, this.config.n_negative_samples_batch);
      return this.softmax.forward(states, idx(tgt));
    };
    if (fwdPos.length === 0) throw new TesseraError('ElmoLanguageModel: no token to predict (every row has fewer than 2 tokens)');
    const forwardLoss = direction(encoding.lstm.forwardOutput, fwdPos, fwdTgt);
    const backwardLoss = direction(encoding.lstm.backwardOutput, bwdPos, bwdTgt);
    const loss = forwardLoss.add(backwardLoss).mul(0.5 / fwdPos.length);
    return { loss, forwardLoss, backwardLoss, forwardTokens: fwdPos.length, backwardTokens: bwdPos.length, encoding };
  }

  /**
   * ELMo's layer activations: layer 0 is the token encoding repeated to 2 * projection_dim, layers 1.. the
   * biLSTM's [forward; backward] outputs, each (B, T, 2 * projection_dim) and 0 at padded positions.
   */
  layerActivations(encoding: ElmoEncoding): Tensor[] {
    const e = encoding.tokenEmbedding;
    return [cat([e, e], 2), ...encoding.lstm.layers];
  }
}
