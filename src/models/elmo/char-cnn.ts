// The ELMo token encoder (AllenNLP's _ElmoCharacterEncoder): character embedding, one 1-D convolution per
// filter width, max-pool over the characters, activation, highway layers, linear projection to the LSTM size.
import { ShapeError, TesseraError } from '../../errors.js';
import { Linear } from '../../nn/layers/linear.js';
import { kaimingUniform_, uniform_ } from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { zeros } from '../../tensor/creation.js';
import { conv2d } from '../../tensor/ops/fused.js';
import { cat, embedding } from '../../tensor/ops/indexing.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/engine.js';
import { numFilters, type ElmoConfig } from './config.js';
import { Highway } from './highway.js';

/** torch.nn.Conv1d's parameters: weight (out, in, width), bias (out), initialised as torch does. */
export class CharConv extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly width: number, opts: { device?: string } = {}) {
    super();
    this.weight = this.addParameter('weight', zeros([outChannels, inChannels, width], { device: opts.device }));
    this.bias = this.addParameter('bias', zeros([outChannels], { device: opts.device }));
    kaimingUniform_(this.weight, Math.sqrt(5));
    const b = 1 / Math.sqrt(inChannels * width);
    uniform_(this.bias, -b, b);
  }

  /** x (N, C, L) -> (N, out, L - width + 1), no padding. */
  forward(x: Tensor): Tensor {
    const [N, C, L] = x.shape as [number, number, number];
    const y = conv2d(x.reshape([N, C, 1, L]), this.weight.reshape([this.outChannels, C, 1, this.width]), this.bias);
    return y.reshape([N, this.outChannels, L - this.width + 1]);
  }
}

export class ElmoCharacterEncoder extends Module {
  /** `_char_embedding_weights` (n_characters, dim): row 0 is the padding id's. */
  readonly charEmbeddingWeights: Tensor;
  /** `char_conv_{i}`, one per [width, count] filter. */
  readonly convs: CharConv[] = [];
  /** `_highways` */
  readonly highways: Highway;
  /** `_projection`: Linear(total filters, projection_dim). */
  readonly projection: Linear;
  readonly maxChars: number;
  readonly outputDim: number;
  private readonly activation: 'relu' | 'tanh';

  constructor(readonly config: ElmoConfig, opts: { device?: string } = {}) {
    super();
    const cnn = config.char_cnn;
    const dev = { device: opts.device };
    this.maxChars = cnn.max_characters_per_token;
    this.outputDim = config.lstm.projection_dim;
    this.activation = cnn.activation === 'tanh' ? 'tanh' : 'relu';
    const dim = cnn.embedding.dim;
    this.charEmbeddingWeights = this.addParameter('_char_embedding_weights', zeros([cnn.n_characters, dim], dev));
    // bilm-tf draws character embeddings from U(-1, 1); the padding row stays 0
    noGrad(() => this.charEmbeddingWeights.assign_(cat([zeros([1, dim], dev), uniform_(zeros([cnn.n_characters - 1, dim], dev), -1, 1)], 0)));
    cnn.filters.forEach(([width, count], i) => this.convs.push(this.addModule(`char_conv_${i}`, new CharConv(dim, count, width, dev))));
    const nf = numFilters(config);
    this.highways = this.addModule('_highways', new Highway(nf, cnn.n_highway, dev));
    this.projection = this.addModule('_projection', new Linear(nf, this.outputDim, dev));
  }

  /**
   * Token encodings (B, T, projection_dim) of character ids (B, T, max_characters_per_token). Each distinct
   * token of the batch is encoded once (ids are read on the host to find them).
   */
  forward(ids: Tensor): Tensor {
    if (ids.ndim !== 3 || ids.dim(2) !== this.maxChars) {
      throw new ShapeError(`ElmoCharacterEncoder: character ids of shape ${shapeStr(ids.shape)} are not (B, T, ${this.maxChars})`);
    }
    if (ids.dtype !== 'int32' && ids.dtype !== 'int64') throw new TesseraError(`ElmoCharacterEncoder: character ids must be int32 or int64, got ${ids.dtype}`);
    const [B, T, M] = ids.shape as [number, number, number];
    const host = ids.toArray();
    const rowOf = new Map<string, number>();
    const inverse = new Int32Array(B * T);
    const uniq: number[] = [];
    const row = new Array<number>(M);
    for (let n = 0; n < B * T; n++) {
      for (let c = 0; c < M; c++) row[c] = Number(host[n * M + c]);
      const key = String.fromCharCode(...row);
      let r = rowOf.get(key);
      if (r === undefined) {
        r = rowOf.size;
        rowOf.set(key, r);
        uniq.push(...row);
      }
      inverse[n] = r;
    }
    for (const v of uniq) {
      if (v < 0 || v >= this.charEmbeddingWeights.dim(0)) throw new TesseraError(`ElmoCharacterEncoder: character id ${v} is outside [0, ${this.charEmbeddingWeights.dim(0)})`);
    }
    const uniqIds = Tensor.fromHost(Int32Array.from(uniq), [rowOf.size, M], 'int32', ids.device);
    const encoded = this.encodeIds(uniqIds); // (U, P)
    return encoded.indexSelect(0, Tensor.fromHost(inverse, [B * T], 'int32', ids.device)).reshape([B, T, this.outputDim]);
  }

  /** Encodings (N, projection_dim) of N tokens' character ids (N, max_characters_per_token). */
  encodeIds(ids: Tensor): Tensor {
    return this.forwardEmbedded(embedding(this.charEmbeddingWeights, ids));
  }

  /** The encoder after the character lookup: embedded characters (N, chars, dim) -> (N, projection_dim). */
  forwardEmbedded(x: Tensor): Tensor {
    if (x.ndim !== 3) throw new ShapeError(`ElmoCharacterEncoder: embedded characters of shape ${shapeStr(x.shape)} are not (N, chars, dim)`);
    const L = x.dim(1);
    const chars = x.transpose(1, 2).contiguous(); // (N, dim, L)
    const pooled: Tensor[] = [];
    for (const conv of this.convs) {
      if (conv.width > L) throw new ShapeError(`ElmoCharacterEncoder: ${L} characters per token are fewer than a filter width of ${conv.width}`);
      const y = conv.forward(chars).max(2); // (N, count): max over positions
      pooled.push(this.activation === 'relu' ? y.relu() : y.tanh());
    }
    const features = pooled.length === 1 ? pooled[0]! : cat(pooled, 1); // (N, total filters)
    return this.projection.forward(this.highways.forward(features));
  }
}
