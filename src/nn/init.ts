// Parameter initialisers (torch.nn.init): each fills a tensor in place from the device's seeded generator.
import { noGrad } from '../autograd/engine.js';
import { TesseraError } from '../errors.js';
import { full, normal, uniform } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

/** fan_in and fan_out as torch computes them: (out, in, ...kernel) weights. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new TesseraError(`fan in and fan out need at least 2 dims, got shape [${t.shape.join(', ')}]`);
  const receptive = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: t.dim(1) * receptive, fanOut: t.dim(0) * receptive };
}

export function uniform_(t: Tensor, low: number, high: number): Tensor {
  return noGrad(() => t.assign_(uniform(t.shape, low, high, { device: t.device })));
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => t.assign_(normal(t.shape, mean, std, { device: t.device })));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.assign_(full(t.shape, value, { device: t.device, dtype: t.dtype })));
}

export const zeros_ = (t: Tensor) => constant_(t, 0);
export const ones_ = (t: Tensor) => constant_(t, 1);

/** Normal(mean, std) with draws clamped to [a, b] standard deviations (a cheap truncated normal). */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  return noGrad(() => t.assign_(normal(t.shape, 0, 1, { device: t.device }).clamp(a, b).mul(std).add(mean)));
}

export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a);
}

export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** torch's kaiming_uniform_ with leaky-relu slope a (a = sqrt(5) is nn.Linear's default). */
export function kaimingUniform_(t: Tensor, a = 0): Tensor {
  const { fanIn } = fans(t);
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = gain * Math.sqrt(3 / fanIn);
  return uniform_(t, -bound, bound);
}

export function kaimingNormal_(t: Tensor, a = 0): Tensor {
  const { fanIn } = fans(t);
  return normal_(t, 0, Math.sqrt(2 / (1 + a * a)) / Math.sqrt(fanIn));
}
