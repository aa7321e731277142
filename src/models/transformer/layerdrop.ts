// LayerDrop (Fan et al. 2019, https://arxiv.org/abs/1909.11556): while training, each layer is skipped with
// probability p (encoder_layerdrop / decoder_layerdrop; 0 in every published Marian model).
import { rand } from '../../tensor/creation.js';

/** True when this layer should be skipped now; draws from the device's seeded generator only when p > 0. */
export function skipLayer(p: number, training: boolean, device: string): boolean {
  return training && p > 0 && rand([], { device }).item() < p;
}
