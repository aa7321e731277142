// Position-wise feed-forward block of "Attention Is All You Need" (3.3): fc2(dropout(act(fc1(x)))).
import { TesseraError } from '../../errors.js';
import { dropout } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import { linear } from '../../tensor/ops/linalg.js';
import type { Activation } from '../../backend/backend.js';

export type ActivationName = 'relu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'tanh' | 'sigmoid' | 'swish' | 'silu';

/** Applies an activation by its Hugging Face config name (hidden_act / activation_function). */
export function activation(name: string, x: Tensor): Tensor {
  switch (name) {
    case 'relu': return x.relu();
    case 'gelu': return x.gelu();
    case 'gelu_new': case 'gelu_pytorch_tanh': case 'gelu_fast': return x.gelu('tanh');
    case 'tanh': return x.tanh();
    case 'sigmoid': return x.sigmoid();
    case 'swish': case 'silu': return x.mul(x.sigmoid());
    default: throw new TesseraError(`unknown activation '${name}' (expected relu, gelu, gelu_new, tanh, sigmoid, silu)`);
  }
}

/** The matmul epilogue equal to an HF activation name, when there is one. */
function epilogueOf(name: string): Activation | null {
  switch (name) {
    case 'relu': return 'relu';
    case 'gelu': return 'gelu';
    case 'gelu_new': case 'gelu_pytorch_tanh': case 'gelu_fast': return 'geluTanh';
    default: return null;
  }
}

/** act(layer(x)) with the activation in the matmul's epilogue where it has one (HF activation names). */
export function linearActivation(layer: Linear, name: string, x: Tensor): Tensor {
  const epi = epilogueOf(name);
  return epi ? linear(x, layer.weight, layer.bias, epi) : activation(name, layer.forward(x));
}

export interface FeedForwardOptions {
  activation?: string;
  dropout?: number;
  device?: string;
}

export class FeedForward extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly act: string;
  readonly p: number;

  constructor(dModel: number, dFF: number, opts: FeedForwardOptions = {}) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(dModel, dFF, { device: opts.device }));
    this.fc2 = this.addModule('fc2', new Linear(dFF, dModel, { device: opts.device }));
    this.act = opts.activation ?? 'relu';
    activation(this.act, this.fc1.weight.narrow(0, 0, 0)); // validates the name early
    this.p = opts.dropout ?? 0;
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(dropout(linearActivation(this.fc1, this.act, x), this.p, this.training));
  }
}
