// Marian's weight init (MarianPreTrainedModel._init_weights): linear weights and token embeddings N(0, init_std),
// biases 0, the padding row of an embedding 0; LayerNorms keep their own init (1 and 0).
import { noGrad } from '../../autograd/engine.js';
import { normal_, zeros_ } from '../../nn/init.js';
import type { Module } from '../../nn/module.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { Linear } from '../../nn/layers/linear.js';
import { arange } from '../../tensor/creation.js';
import { where } from '../../tensor/ops/elementwise.js';

export function initTransformerWeights(model: Module, std: number): void {
  const seen = new Set<Module>(); // a shared embedding appears under several names
  for (const [, m] of model.namedModules()) {
    if (seen.has(m)) continue;
    seen.add(m);
    if (m instanceof Linear) {
      normal_(m.weight, 0, std);
      if (m.bias) zeros_(m.bias);
    } else if (m instanceof Embedding) {
      normal_(m.weight, 0, std);
      const pad = m.paddingIdx;
      if (pad !== undefined) {
        noGrad(() => {
          const isPad = arange(0, m.numEmbeddings, 1, { device: m.weight.device }).eq(pad).reshape([-1, 1]); // (V, 1)
          m.weight.assign_(where(isPad, 0, m.weight));
        });
      }
    }
  }
}
