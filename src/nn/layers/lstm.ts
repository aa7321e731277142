// LSTM as torch.nn.LSTM: layers, bidirectional, projection (proj_size), batch_first, variable lengths
// (packed-sequence semantics: padded steps output 0, h_n/c_n taken at each row's last valid step).
// Parameter names are torch's: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_hr_l0, *_reverse.
import { ShapeError, TesseraError } from '../../errors.js';
import { zeros } from '../../tensor/creation.js';
import { where } from '../../tensor/ops/elementwise.js';
import { cat, stack } from '../../tensor/ops/indexing.js';
import { lstmCell } from '../../tensor/ops/fused.js';
import { linear } from '../../tensor/ops/linalg.js';
import { dropout } from '../../tensor/ops/fused.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';

export interface LSTMOptions {
  numLayers?: number;
  bidirectional?: boolean;
  /** Project h to this size (torch's proj_size); 0 = none. */
  projSize?: number;
  bias?: boolean;
  /** Dropout between layers (training only). */
  dropout?: number;
  /** Input is (B, T, C) when true (default), (T, B, C) when false. */
  batchFirst?: boolean;
  device?: string;
}

export interface LSTMResult {
  /** (B, T, dirs * H') with H' = projSize || hiddenSize (time-major when batchFirst is false). */
  output: Tensor;
  /** (layers * dirs, B, H') */
  hN: Tensor;
  /** (layers * dirs, B, hiddenSize) */
  cN: Tensor;
}

export class LSTM extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly batchFirst: boolean;
  readonly p: number;
  private readonly hasBias: boolean;

  constructor(readonly inputSize: number, readonly hiddenSize: number, opts: LSTMOptions = {}) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.bidirectional = opts.bidirectional ?? false;
    this.projSize = opts.projSize ?? 0;
    this.batchFirst = opts.batchFirst ?? true;
    this.p = opts.dropout ?? 0;
    this.hasBias = opts.bias ?? true;
    if (this.projSize < 0 || this.projSize >= hiddenSize && this.projSize !== 0) {
      throw new TesseraError(`LSTM: projSize ${this.projSize} must be smaller than hiddenSize ${hiddenSize}`);
    }
    const dirs = this.bidirectional ? 2 : 1;
    const outH = this.projSize || hiddenSize;
    const dev = { device: opts.device };
    // torch initialises every weight and bias U(-1/sqrt(H), 1/sqrt(H))
    const k = 1 / Math.sqrt(hiddenSize);
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? inputSize : outH * dirs;
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const add = (name: string, shape: number[]) => uniform_(this.addParameter(name + sfx, zeros(shape, dev)), -k, k);
        add('weight_ih', [4 * hiddenSize, inSize]);
        add('weight_hh', [4 * hiddenSize, outH]);
        if (this.hasBias) {
          add('bias_ih', [4 * hiddenSize]);
          add('bias_hh', [4 * hiddenSize]);
        }
        if (this.projSize) add('weight_hr', [this.projSize, hiddenSize]);
      }
    }
  }



  /**
   * Runs the LSTM over input (B, T, C) (or (T, B, C)). `lengths` (B) gives each row's valid length;
   * `initial` gives h0 (layers*dirs, B, H') and c0 (layers*dirs, B, hiddenSize), zeros by default.
   */
  forward(input: Tensor, opts: { lengths?: readonly number[] | Tensor; initial?: { h0: Tensor; c0: Tensor } } = {}): LSTMResult {
    if (input.ndim !== 3 || input.dim(-1) !== this.inputSize) {
      throw new ShapeError(`LSTM: input of shape ${shapeStr(input.shape)} is not ${this.batchFirst ? '(B, T' : '(T, B'}, ${this.inputSize})`);
    }
    let x = this.batchFirst ? input : input.transpose(0, 1); // (B, T, C)
    const [B, T] = x.shape as [number, number];
    const lengths = opts.lengths === undefined ? null : Array.from(opts.lengths instanceof Tensor ? opts.lengths.toArray() : opts.lengths);
    if (lengths) {
      if (lengths.length !== B) throw new ShapeError(`LSTM: ${lengths.length} lengths for a batch of ${B}`);
      for (const len of lengths) if (!Number.isInteger(len) || len < 1 || len > T) throw new ShapeError(`LSTM: length ${len} is outside [1, ${T}]`);
    }
    // valid[t]: (B, 1) bool, true where step t is inside the row
    const valid = lengths
      ? Array.from({ length: T }, (_, t) => Tensor.fromHost(Uint8Array.from(lengths, (len) => (t < len ? 1 : 0)), [B, 1], 'bool', x.device))
      : null;
    const dirs = this.bidirectional ? 2 : 1;
    const outH = this.projSize || this.hiddenSize;
    const params = new Map(this.namedParameters());
    const hN: Tensor[] = [], cN: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const wih = params.get('weight_ih' + sfx)!, whh = params.get('weight_hh' + sfx)!;
        const bih = params.get('bias_ih' + sfx) ?? null, bhh = params.get('bias_hh' + sfx) ?? null;
        const whr = params.get('weight_hr' + sfx) ?? null;
        const idx = l * dirs + d;
        let h = opts.initial ? opts.initial.h0.select(0, idx) : zeros([B, outH], { device: x.device });
        let c = opts.initial ? opts.initial.c0.select(0, idx) : zeros([B, this.hiddenSize], { device: x.device });
        // input projections for all steps at once: (B, T, 4H)
        const xw = linear(x, wih, bih);
        const steps: Tensor[] = new Array(T);
        for (let s = 0; s < T; s++) {
          const t = d === 0 ? s : T - 1 - s;
          const gates = xw.select(1, t).add(linear(h, whh, bhh));
          const r = lstmCell(gates, c);
          const hNew = whr ? linear(r.h, whr) : r.h;
          if (valid) {
            const v = valid[t]!;
            h = where(v, hNew, h);
            c = where(v, r.c, c);
            steps[t] = where(v, hNew, 0);
          } else {
            h = hNew;
            c = r.c;
            steps[t] = hNew;
          }
        }
        outs.push(stack(steps, 1));
        hN.push(h);
        cN.push(c);
      }
      x = dirs === 1 ? outs[0]! : cat(outs, 2);
      if (l < this.numLayers - 1 && this.p > 0) x = dropout(x, this.p, this.training);
    }
    return { output: this.batchFirst ? x : x.transpose(0, 1), hN: stack(hN, 0), cN: stack(cN, 0) };
  }
}
