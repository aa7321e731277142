// Embedding: a lookup table (num, dim), N(0, 1) init as torch; an optional padding row that gets no gradient.
import { TesseraError } from '../../errors.js';
import { zeros } from '../../tensor/creation.js';
import { embedding } from '../../tensor/ops/indexing.js';
import { where } from '../../tensor/ops/elementwise.js';
import { Tensor } from '../../tensor/tensor.js';
import { normal_ } from '../init.js';
import { Module } from '../module.js';

export interface EmbeddingOptions {
  paddingIdx?: number;
  device?: string;
}

export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | undefined;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    if (opts.paddingIdx !== undefined && (opts.paddingIdx < 0 || opts.paddingIdx >= numEmbeddings)) {
      throw new TesseraError(`Embedding: paddingIdx ${opts.paddingIdx} is outside [0, ${numEmbeddings})`);
    }
    this.paddingIdx = opts.paddingIdx;
    this.weight = this.addParameter('weight', zeros([numEmbeddings, embeddingDim], { device: opts.device }));
    normal_(this.weight);
    if (this.paddingIdx !== undefined) {
      const pad = this.paddingIdx;
      this.weight.assign_(zeroRow(this.weight.detach(), pad));
    }
  }

  /** Vectors for ids of any shape: (...ids.shape, dim). Ids out of range fail naming the id. */
  forward(ids: Tensor): Tensor {
    const w = this.paddingIdx === undefined ? this.weight : blockRowGrad(this.weight, this.paddingIdx);
    return embedding(w, ids);
  }
}

/** w with one row set to zero. */
function zeroRow(w: Tensor, row: number): Tensor {
  const m = new Uint8Array(w.dim(0));
  m[row] = 1;
  return where(Tensor.fromHost(m, [w.dim(0), 1], 'bool', w.device), 0, w);
}

/** Identity whose backward zeroes one row of the gradient (torch's padding_idx rule). */
function blockRowGrad(w: Tensor, row: number): Tensor {
  const out = w.detach();
  return Tensor.record(out, 'paddingIdx', [w], (g) => [zeroRow(g, row)]);
}
