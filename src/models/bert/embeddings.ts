// BertEmbeddings: word + token-type + learned absolute position embeddings, then LayerNorm, then dropout.
// Reference: transformers/models/bert/modeling_bert.py, BertEmbeddings.
import { TesseraError } from '../../errors.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { Module } from '../../nn/module.js';
import { arange, zeros } from '../../tensor/creation.js';
import { findOutOfRange } from '../../tensor/int-check.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { BertConfig } from './config.js';

export class BertEmbeddings extends Module {
  readonly wordEmbeddings: Embedding;
  readonly positionEmbeddings: Embedding;
  readonly tokenTypeEmbeddings: Embedding;
  readonly layerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(readonly config: BertConfig, device?: string) {
    super();
    const H = config.hidden_size;
    const pad = config.pad_token_id ?? undefined;
    this.wordEmbeddings = this.addModule('word_embeddings', new Embedding(config.vocab_size, H, { paddingIdx: pad, device }));
    this.positionEmbeddings = this.addModule('position_embeddings', new Embedding(config.max_position_embeddings, H, { device }));
    this.tokenTypeEmbeddings = this.addModule('token_type_embeddings', new Embedding(config.type_vocab_size, H, { device }));
    this.layerNorm = this.addModule('LayerNorm', new LayerNorm(H, { eps: config.layer_norm_eps, device }));
    this.dropout = this.addModule('dropout', new Dropout(config.hidden_dropout_prob));
  }

  /**
   * input_ids (B, T) -> (B, T, C). token_type_ids default to 0 and position_ids to 0..T-1, as in HF.
   * Ids outside their tables fail naming the id and the table's size.
   */
  forward(inputIds: Tensor, tokenTypeIds?: Tensor | null, positionIds?: Tensor | null): Tensor {
    const [B, T] = inputIds.shape as [number, number];
    checkIds(inputIds, this.config.vocab_size, 'input_ids', 'vocab_size');
    if (T > this.config.max_position_embeddings && !positionIds) {
      throw new TesseraError(`input_ids has ${T} positions, more than max_position_embeddings ${this.config.max_position_embeddings}`);
    }
    const device = inputIds.device;
    const types = tokenTypeIds ?? zeros([B, T], { dtype: 'int64', device });
    const positions = positionIds ?? arange(0, T, 1, { dtype: 'int64', device }).unsqueeze(0); // (1, T)
    if (tokenTypeIds) {
      checkSameShape(tokenTypeIds, inputIds, 'token_type_ids');
      checkIds(tokenTypeIds, this.config.type_vocab_size, 'token_type_ids', 'type_vocab_size');
    }
    if (positionIds) {
      if (positionIds.ndim !== 2 || positionIds.dim(1) !== T || (positionIds.dim(0) !== B && positionIds.dim(0) !== 1)) {
        throw new TesseraError(`position_ids has shape ${shapeStr(positionIds.shape)}, expected (${B}, ${T}) or (1, ${T})`);
      }
      checkIds(positionIds, this.config.max_position_embeddings, 'position_ids', 'max_position_embeddings');
    }
    // HF order: (word + token_type) + position, then LayerNorm, then dropout
    let x = this.wordEmbeddings.forward(inputIds).add(this.tokenTypeEmbeddings.forward(types)); // (B, T, C)
    x = x.add(this.positionEmbeddings.forward(positions)); // (1 or B, T, C) broadcast
    return this.dropout.forward(this.layerNorm.forward(x));
  }
}

/** Fails with a clear line when an id tensor holds a value outside [0, size). */
export function checkIds(ids: Tensor, size: number, name: string, limitKey: string): void {
  if (ids.dtype !== 'int32' && ids.dtype !== 'int64') throw new TesseraError(`${name} must hold integer ids (int32 or int64), got ${ids.dtype}`);
  if (ids.size === 0) return;
  const bad = findOutOfRange(ids, 0, size);
  if (bad && bad.value >= size) throw new TesseraError(`${name} holds id ${bad.value}, but ${limitKey} is ${size} (ids must be in [0, ${size - 1}])`);
  if (bad) throw new TesseraError(`${name} holds id ${bad.value}; ids must be in [0, ${size - 1}]`);
}

export function checkSameShape(t: Tensor, ref: Tensor, name: string): void {
  if (t.shape.join() !== ref.shape.join()) throw new TesseraError(`${name} has shape ${shapeStr(t.shape)}, but input_ids has ${shapeStr(ref.shape)}`);
}
