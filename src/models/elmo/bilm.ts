// ELMo's bidirectional LSTM (AllenNLP's ElmoLstm): separate forward and backward stacks of LSTM cells with a
// projected hidden state (LstmCellWithProjection), cell and projection clipping, residual connections above layer 0.
import { ShapeError, TesseraError } from '../../errors.js';
import { noGrad } from '../../autograd/engine.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import { full, zeros } from '../../tensor/creation.js';
import { linear } from '../../tensor/ops/linalg.js';
import { dropout, lstmCell } from '../../tensor/ops/fused.js';
import { cat, stack } from '../../tensor/ops/indexing.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { ElmoConfig } from './config.js';

export interface LstmCellWithProjectionOptions {
  /** Run from the first step to the last (true) or from each row's last valid step back to the first. */
  goForward?: boolean;
  /** Clamp the memory cell to [-cellClip, cellClip] after every step (null: no clipping). */
  cellClip?: number | null;
  /** Clamp the projected state to [-projClip, projClip] (null: no clipping). */
  projClip?: number | null;
  device?: string;
}

export interface LstmCellResult {
  /** The outputs per step, T tensors (B, hiddenSize); padded steps are 0. */
  steps: Tensor[];
  /** The same stacked: (B, T, hiddenSize). */
  output: Tensor;
  /** Final projected state (B, hiddenSize) and memory (B, cellSize) at each row's last processed step. */
  h: Tensor;
  c: Tensor;
}

/**
 * One direction of one ELMo layer: gates = input_linearity(x_t) + state_linearity(h_{t-1}) in the order i, f, g, o;
 * c_t = clamp(f * c_{t-1} + i * g); h_t = clamp(state_projection(o * tanh(c_t))).
 */
export class LstmCellWithProjection extends Module {
  /** `input_linearity`: Linear(inputSize, 4 * cellSize), no bias. */
  readonly inputLinearity: Linear;
  /** `state_linearity`: Linear(hiddenSize, 4 * cellSize) with the gates' bias (forget gate starts at 1). */
  readonly stateLinearity: Linear;
  /** `state_projection`: Linear(cellSize, hiddenSize), no bias. */
  readonly stateProjection: Linear;
  readonly goForward: boolean;
  readonly cellClip: number | null;
  readonly projClip: number | null;

  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly cellSize: number, opts: LstmCellWithProjectionOptions = {}) {
    super();
    const dev = { device: opts.device };
    this.goForward = opts.goForward ?? true;
    this.cellClip = opts.cellClip ?? null;
    this.projClip = opts.projClip ?? null;
    this.inputLinearity = this.addModule('input_linearity', new Linear(inputSize, 4 * cellSize, { ...dev, bias: false }));
    this.stateLinearity = this.addModule('state_linearity', new Linear(hiddenSize, 4 * cellSize, dev));
    this.stateProjection = this.addModule('state_projection', new Linear(cellSize, hiddenSize, { ...dev, bias: false }));
    const bias = this.stateLinearity.bias!;
    // AllenNLP: zero gate biases except the forget gate's, which starts at 1
    noGrad(() => bias.assign_(cat([zeros([cellSize], dev), full([cellSize], 1, dev), zeros([2 * cellSize], dev)], 0)));
  }

  /**
   * Runs over inputs (B, T, inputSize), or the same given as T tensors (B, inputSize). `lengths` (B) are the rows'
   * valid lengths (all T when omitted); steps at or after a row's length leave its state unchanged and output 0, so
   * the backward direction starts at each row's last valid token. `initial` gives h0 (B, hiddenSize) and c0
   * (B, cellSize), zeros by default.
   *
   * The input projection of every step is one GEMM before the recurrence; the backward direction reverses each
   * row's valid prefix (one row gather), runs first to last, and reverses the outputs back, so no step needs
   * per-row masking.
   */
  forward(inputs: Tensor | readonly Tensor[], lengths?: readonly number[] | null, initial?: { h: Tensor; c: Tensor }): LstmCellResult {
    const xs = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : null;
    if (xs && (xs.length === 0 || xs.some((x) => x.ndim !== 2 || x.dim(1) !== this.inputSize || x.dim(0) !== xs[0]!.dim(0)))) {
      throw new ShapeError(`LstmCellWithProjection: step inputs must be T >= 1 tensors of shape (B, ${this.inputSize})`);
    }
    const x3 = xs ? stack(xs, 1) : (inputs as Tensor);
    if (x3.ndim !== 3 || x3.dim(2) !== this.inputSize) {
      throw new ShapeError(`LstmCellWithProjection: inputs of shape ${shapeStr(x3.shape)} are not (B, T, ${this.inputSize})`);
    }
    const [B, T] = x3.shape as [number, number];
    const device = x3.device;
    if (lengths) {
      if (lengths.length !== B) throw new ShapeError(`LstmCellWithProjection: ${lengths.length} lengths for a batch of ${B}`);
      for (const len of lengths) if (!Number.isInteger(len) || len < 0 || len > T) throw new TesseraError(`LstmCellWithProjection: length ${len} is outside [0, ${T}]`);
    }
    const lens = lengths ?? new Array<number>(B).fill(T);
    const ragged = lens.some((len) => len !== T);
    const C = this.cellSize, H = this.hiddenSize;
    const dev = { device };
    // row b's step t reads position order[b * T + t]: t itself going forward, len - 1 - t within the valid prefix going back
    let order: Tensor | null = null;
    if (!this.goForward) {
      const o = new Int32Array(B * T);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) o[b * T + t] = b * T + (t < lens[b]! ? lens[b]! - 1 - t : t);
      order = Tensor.fromHost(o, [B * T], 'int32', device);
    }
    const reorder = (x: Tensor) => {
      const n = x.dim(2);
      return order ? x.reshape([B * T, n]).indexSelect(0, order).reshape([B, T, n]) : x;
    };
    // gates' input part and bias for all steps at once: (B, T, 4C)
    const xw = linear(reorder(x3), this.inputLinearity.weight, this.stateLinearity.bias);
    const ws = this.stateLinearity.weight;
    let h = initial ? initial.h : zeros([B, H], dev);
    let c = initial ? initial.c : zeros([B, C], dev);
    const hs: Tensor[] = new Array(T), cs: Tensor[] = new Array(T);
    for (let t = 0; t < T; t++) {
      const gates = xw.select(1, t).add(linear(h, ws)); // (B, 4C)
      const r = lstmCell(gates, c);
      let cNew = r.c, hPre = r.h;
      if (this.cellClip !== null) {
        cNew = cNew.clamp(-this.cellClip, this.cellClip);
        hPre = gates.narrow(1, 3 * C, C).sigmoid().mul(cNew.tanh());
      }
      let hNew = this.stateProjection.forward(hPre); // (B, hiddenSize)
      if (this.projClip !== null) hNew = hNew.clamp(-this.projClip, this.projClip);
      h = hs[t] = hNew;
      c = cs[t] = cNew;
    }
    let output = reorder(stack(hs, 1)); // (B, T, hiddenSize)
    if (ragged) {
      const mask = Float32Array.from({ length: B * T }, (_, n) => (n % T < lens[Math.floor(n / T)]! ? 1 : 0));
      output = output.mul(Tensor.fromHost(mask, [B, T, 1], 'float32', device));
      // final states: each row's after its last valid step (its initial state when it has none)
      const h0 = initial ? initial.h : zeros([B, H], dev), c0 = initial ? initial.c : zeros([B, C], dev);
      const pick = (steps: Tensor[], first: Tensor) => cat(lens.map((len, b) => (len > 0 ? steps[len - 1]! : first).narrow(0, b, 1)), 0);
      h = pick(hs, h0);
      c = pick(cs, c0);
    }
    const steps = Array.from({ length: T }, (_, t) => output.select(1, t));
    return { steps, output, h, c };
  }
}

export interface ElmoLstmOptions {
  /** Dropout on every layer's input (training only). */
  dropout?: number;
  device?: string;
}

export interface ElmoLstmResult {
  /** n_layers tensors (B, T, 2 * hiddenSize): [forward; backward] outputs of each layer (residual added above layer 0). */
  layers: Tensor[];
  /** The top layer's forward and backward outputs (B, T, hiddenSize) each. */
  forwardOutput: Tensor;
  backwardOutput: Tensor;
}

/**
 * The stacked biLSTM. Layer l's forward cell reads layer l-1's forward output (the token encoding for l = 0),
 * its backward cell layer l-1's backward output; above layer 0 each output adds its input (use_skip_connections).
 */
export class ElmoLstm extends Module {
  /** `forward_layer_{l}` and `backward_layer_{l}`. */
  readonly forwardLayers: LstmCellWithProjection[] = [];
  readonly backwardLayers: LstmCellWithProjection[] = [];
  readonly hiddenSize: number;
  readonly p: number;
  private readonly skip: boolean;

  constructor(config: ElmoConfig, opts: ElmoLstmOptions = {}) {
    super();
    const l = config.lstm;
    this.hiddenSize = l.projection_dim;
    this.skip = l.use_skip_connections;
    this.p = opts.dropout ?? 0;
    for (let k = 0; k < l.n_layers; k++) {
      for (const goForward of [true, false]) {
        const cell = new LstmCellWithProjection(l.projection_dim, l.projection_dim, l.dim, {
          goForward, cellClip: l.cell_clip, projClip: l.proj_clip, device: opts.device,
        });
        (goForward ? this.forwardLayers : this.backwardLayers).push(this.addModule(`${goForward ? 'forward' : 'backward'}_layer_${k}`, cell));
      }
    }
  }

  /** inputs (B, T, hiddenSize) with valid lengths (B) (all T when omitted). */
  forward(inputs: Tensor, lengths?: readonly number[] | null): ElmoLstmResult {
    if (inputs.ndim !== 3 || inputs.dim(2) !== this.hiddenSize) {
      throw new ShapeError(`ElmoLstm: inputs of shape ${shapeStr(inputs.shape)} are not (B, T, ${this.hiddenSize})`);
    }
    const drop = (x: Tensor) => (this.training && this.p > 0 ? dropout(x, this.p, true) : x);
    let fwdOut = inputs, bwdOut = inputs;
    const layers: Tensor[] = [];
    for (let k = 0; k < this.forwardLayers.length; k++) {
      const f = this.forwardLayers[k]!.forward(drop(fwdOut), lengths).output;
      const b = this.backwardLayers[k]!.forward(drop(bwdOut), lengths).output;
      const residual = k > 0 && this.skip;
      fwdOut = residual ? f.add(fwdOut) : f;
      bwdOut = residual ? b.add(bwdOut) : b;
      layers.push(cat([fwdOut, bwdOut], 2));
    }
    return { layers, forwardOutput: fwdOut, backwardOutput: bwdOut };
  }
}
