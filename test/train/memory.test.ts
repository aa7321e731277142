// The Trainer frees what a step leaves behind (activations after backward, the gradients it drops) on every
// device, and never a gradient that a parameter outside the optimizer still holds.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, nn, optim, randn, type Tensor } from '../../src/index.js';
import { fusedLinear } from '../../src/nn/layers/fused-projection.js';
import { Module } from '../../src/nn/module.js';
import { Trainer } from '../../src/train/index.js';
import { forEachDevice } from '../helpers/devices.js';

/** Three projections of one input as one matmul: their gradients are views of one storage. */
class ThreeWay extends Module {
  readonly layers: nn.Linear[];
  constructor(device: string) {
    super();
    this.layers = [0, 1, 2].map((i) => this.addModule(`l${i}`, new nn.Linear(4, 3, { device })));
  }
  forward(x: Tensor): Tensor {
    const [a, b, c] = fusedLinear(this.layers, x) as [Tensor, Tensor, Tensor];
    return a.mul(b).add(c).square().mean();
  }
}

forEachDevice('Trainer memory', (device) => {
  it('an optimizer over some parameters: the others keep gradients that share storage with freed ones', async () => {
    manualSeed(2);
    const model = new ThreeWay(device);
    const x = randn([5, 4], { device });
    const trainer = new Trainer<ThreeWay, { x: Tensor; samples: number }>({
      model,
      optimizer: new optim.AdamW(model.layers[0]!.parameters(), { lr: 0.01 }),
      loss: (m, batch) => ({ loss: m.forward(batch.x) }),
      data: { next: () => ({ x, samples: 5 }), state: () => null, setState: () => {} },
      maxSteps: 3,
    });
    await trainer.fit();
    // the parameters outside the optimizer accumulated three steps of gradients, readable
    for (const l of model.layers.slice(1)) assert.ok(Number.isFinite(l.weight.grad!.sum().item()));
    assert.equal(model.layers[0]!.weight.grad, null);
    assert.equal(trainer.losses.length, 3);
  });
});
