// A tiny language model and an in-memory batch source for trainer tests (fast on cpu-js).
import { crossEntropy, manualSeed, tensor, type Tensor } from '../../src/index.js';
import { Dropout, Embedding, LayerNorm, Linear, Module } from '../../src/nn/index.js';
import type { JsonValue } from '../../src/io/json.js';
import type { BatchSource } from '../../src/train/index.js';

/** Embedding -> dropout -> layer norm -> linear to the vocabulary; predicts the next id of each position. */
export class TinyLM extends Module {
  readonly emb: Embedding;
  readonly drop: Dropout;
  readonly norm: LayerNorm;
  readonly head: Linear;

  constructor(readonly vocab: number, dim: number, dropout: number, device: string) {
    super();
    this.emb = this.addModule('emb', new Embedding(vocab, dim, { device }));
    this.drop = this.addModule('drop', new Dropout(dropout));
    this.norm = this.addModule('norm', new LayerNorm(dim, { device }));
    this.head = this.addModule('head', new Linear(dim, vocab, { device }));
  }

  /** ids (B, T) -> { logits (B, T, V), loss } with the loss of position t predicting ids[t + 1]. */
  forward(ids: Tensor): { logits: Tensor; loss: Tensor } {
    const [B, T] = ids.shape as [number, number];
    const logits = this.head.forward(this.norm.forward(this.drop.forward(this.emb.forward(ids)))); // (B, T, V)
    const x = logits.narrow(1, 0, T - 1).reshape([B * (T - 1), this.vocab]);
    const y = ids.narrow(1, 1, T - 1).reshape([B * (T - 1)]);
    return { logits, loss: crossEntropy(x, y) };
  }
}

export interface TinyBatch {
  ids: Tensor;
  tokens: number;
  /** Makes the loss NaN (for the NaN-stop test). */
  poison?: boolean;
}

/** A TinyLM with seeded weights. */
export function tinyModel(device: string, seed = 1, dropout = 0.1): TinyLM {
  manualSeed(seed);
  return new TinyLM(11, 8, dropout, device);
}

/** Deterministic rows of ids: row r of batch i. */
export function batchRows(i: number, rows: number, T: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from({ length: T }, (_, t) => (i * 7 + r * 3 + t * t) % 11));
  return out;
}

/** Batches from a function of their index; the state is the index (the data position). */
export class IndexedSource implements BatchSource<TinyBatch> {
  index = 0;
  constructor(private readonly make: (i: number) => TinyBatch) {}
  next(): TinyBatch {
    return this.make(this.index++);
  }
  state(): JsonValue {
    return { index: this.index };
  }
  setState(s: JsonValue): void {
    this.index = (s as { index: number }).index;
  }
}

/** A source of B x T batches on `device`, poisoned at the given batch indices. */
export function tinySource(device: string, B = 4, T = 6, poisonAt: number[] = []): IndexedSource {
  return new IndexedSource((i) => ({ ids: tensor(batchRows(i, B, T), { dtype: 'int64', device }), tokens: B * (T - 1), poison: poisonAt.includes(i) }));
}

/** The loss function the trainer calls. */
export function tinyLoss(model: TinyLM, batch: TinyBatch): { loss: Tensor } {
  const { loss } = model.forward(batch.ids);
  return { loss: batch.poison ? loss.mul(NaN) : loss };
}
