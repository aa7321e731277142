// Highway layers as AllenNLP's (Srivastava et al. 2015): y = g * x + (1 - g) * relu(W_h x + b_h) with the gate
// g = sigmoid(W_g x + b_g); one Linear(n, 2n) per layer holds [W_h; W_g], gate biases start at 1 (carry x).
import { noGrad } from '../../autograd/engine.js';
import { ShapeError } from '../../errors.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module, ModuleList } from '../../nn/module.js';
import { full } from '../../tensor/creation.js';
import { cat } from '../../tensor/ops/indexing.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';

export class Highway extends Module {
  /** `_layers.{k}`: Linear(inputDim, 2 * inputDim), nonlinear half first, gate half second. */
  readonly layers: ModuleList<Linear>;

  constructor(readonly inputDim: number, numLayers: number, opts: { device?: string } = {}) {
    super();
    this.layers = this.addModule('_layers', new ModuleList<Linear>());
    for (let k = 0; k < numLayers; k++) {
      const layer = new Linear(inputDim, 2 * inputDim, { device: opts.device });
      const bias = layer.bias!;
      noGrad(() => bias.assign_(cat([bias.narrow(0, 0, inputDim), full([inputDim], 1, { device: bias.device })], 0)));
      this.layers.push(layer);
    }
  }

  /** x (..., n) -> (..., n). */
  forward(x: Tensor): Tensor {
    if (x.dim(-1) !== this.inputDim) throw new ShapeError(`Highway: input ${shapeStr(x.shape)} does not end in ${this.inputDim}`);
    const n = this.inputDim;
    let cur = x;
    for (const layer of this.layers) {
      const proj = layer.forward(cur); // (..., 2n)
      const nonlinear = proj.narrow(-1, 0, n).relu();
      const gate = proj.narrow(-1, n, n).sigmoid();
      // g * x + (1 - g) * h  ==  h + g * (x - h)
      cur = nonlinear.add(gate.mul(cur.sub(nonlinear)));
    }
    return cur;
  }
}
