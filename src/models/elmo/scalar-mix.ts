// AllenNLP's ScalarMix: a learnable, task-specific weighting of layers, gamma * sum_j softmax(w)_j * h_j, with
// AllenNLP's optional layer norm (mean and variance over every unmasked element of each layer).
import { ShapeError, TesseraError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { full } from '../../tensor/creation.js';
import { softmax } from '../../tensor/ops/fused.js';
import { cat } from '../../tensor/ops/indexing.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';

export interface ScalarMixOptions {
  /** Normalize each layer before mixing (default false). */
  doLayerNorm?: boolean;
  /** Starting w_j (default all 0: equal weights). */
  initialScalarParameters?: readonly number[];
  /** Whether w and gamma are trained (default true). */
  trainable?: boolean;
  device?: string;
}

/** torch.nn.ParameterList's naming: parameters '0', '1', ... */
class ParameterList extends Module {}

export class ScalarMix extends Module {
  /** `scalar_parameters.{j}`, each of shape [1]. */
  readonly scalarParameters: Tensor[] = [];
  /** `gamma` [1]. */
  readonly gamma: Tensor;
  readonly doLayerNorm: boolean;

  constructor(readonly mixtureSize: number, opts: ScalarMixOptions = {}) {
    super();
    const init = opts.initialScalarParameters ?? new Array<number>(mixtureSize).fill(0);
    if (!Number.isInteger(mixtureSize) || mixtureSize < 1) throw new TesseraError(`ScalarMix: mixture size ${mixtureSize} must be a positive integer`);
    if (init.length !== mixtureSize) throw new TesseraError(`ScalarMix: ${init.length} initial parameters for ${mixtureSize} layers`);
    this.doLayerNorm = opts.doLayerNorm ?? false;
    const trainable = opts.trainable ?? true;
    const list = this.addModule('scalar_parameters', new ParameterList());
    init.forEach((w, j) => {
      const p = list.addParameter(String(j), full([1], w, { device: opts.device }));
      if (!trainable) p.requiresGrad_(false);
      this.scalarParameters.push(p);
    });
    this.gamma = this.addParameter('gamma', full([1], 1, { device: opts.device }));
    if (!trainable) this.gamma.requiresGrad_(false);
  }

  /** The normalized layer weights softmax(w) (mixtureSize). */
  weights(): Tensor {
    return softmax(cat(this.scalarParameters, 0), 0);
  }

  /** Mixes layers (each (..., D), same shape); `mask` (...) marks valid positions, needed for layer norm. */
  forward(tensors: readonly Tensor[], mask?: Tensor): Tensor {
    if (tensors.length !== this.mixtureSize) throw new ShapeError(`ScalarMix: ${tensors.length} tensors for a mixture of ${this.mixtureSize}`);
    const shape = tensors[0]!.shape.join();
    for (const t of tensors) if (t.shape.join() !== shape) throw new ShapeError(`ScalarMix: layers of shapes ${shapeStr(tensors[0]!.shape)} and ${shapeStr(t.shape)} differ`);
    if (this.doLayerNorm && !mask) throw new TesseraError('ScalarMix: layer norm needs the mask');
    const w = this.weights();
    let out: Tensor | null = null;
    tensors.forEach((t, j) => {
      const piece = w.narrow(0, j, 1).mul(this.doLayerNorm ? maskedLayerNorm(t, mask!) : t);
      out = out ? out.add(piece) : piece;
    });
    return this.gamma.mul(out!);
  }
}

/** AllenNLP's _do_layer_norm: (t - mean) / sqrt(var + 1e-13) with mean and var over all unmasked elements. */
function maskedLayerNorm(t: Tensor, mask: Tensor): Tensor {
  if (mask.shape.join() !== t.shape.slice(0, -1).join()) throw new ShapeError(`ScalarMix: mask ${shapeStr(mask.shape)} does not match layers ${shapeStr(t.shape)}`);
  const m = mask.unsqueeze(-1).to(t.dtype);
  const count = m.sum().mul(t.dim(-1));
  const masked = t.mul(m);
  const mean = masked.sum().div(count);
  const variance = masked.sub(mean).mul(m).square().sum().div(count);
  return t.sub(mean).div(variance.add(1e-13).sqrt());
}
