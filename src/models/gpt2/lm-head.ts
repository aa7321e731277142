// GPT2LMHeadModel (modeling_gpt2.py): GPT2Model under 'transformer' plus lm_head, a bias-free projection to
// the vocabulary tied to wte. Loss as transformers computes it: cross-entropy of logits[:, :-1] against
// labels[:, 1:] (the shift happens inside), labels -100 ignored.
import { ShapeError } from '../../errors.js';
import { crossEntropy } from '../../tensor/ops/fused.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { full, zeros } from '../../tensor/creation.js';
import { cat } from '../../tensor/ops/indexing.js';
import { normal_ } from '../../nn/init.js';
import { OutputProjection } from '../transformer/output-projection.js';
import type { LayerCache } from './attention.js';
import { loadGPT2Weights, readGPT2Config, saveGPT2 } from './checkpoint.js';
import type { GPT2Config } from './config.js';
import { generate, type GenerateOptions } from './generate.js';
import { GPT2Model, type GPT2ForwardOptions } from './model.js';

export interface GPT2LMForwardOptions extends GPT2ForwardOptions {
  /** (B, T) next-token targets aligned with input_ids (usually input_ids itself); -100 = ignored. */
  labels?: Tensor | null;
}

export interface GPT2LMOutput {
  /** (B, T, V) */
  logits: Tensor;
  /** Mean next-token cross-entropy, when labels are given. */
  loss?: Tensor;
  pastKeyValues?: LayerCache[];
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

export interface FromPretrainedOptions {
  device?: string;
}

export class GPT2LMHeadModel extends Module {
  readonly transformer: GPT2Model;
  readonly lm_head: OutputProjection;

  constructor(readonly config: GPT2Config, device?: string) {
    super();
    this.transformer = this.addModule('transformer', new GPT2Model(config, device));
    let headWeight = this.transformer.wte.weight;
    if (!config.tie_word_embeddings) {
      headWeight = zeros([config.vocab_size, config.n_embd], { device });
      normal_(headWeight, 0, config.initializer_range);
    }
    this.lm_head = this.addModule('lm_head', new OutputProjection(headWeight));
  }

  /** Reads config.json + model.safetensors of `dir` (with or without the 'transformer.' prefix); returns the model in eval mode. */
  static fromPretrained(dir: string, opts: FromPretrainedOptions = {}): GPT2LMHeadModel {
    const config = readGPT2Config(dir);
    const model = new GPT2LMHeadModel(config, opts.device);
    loadGPT2Weights(model, config, dir, opts.device);
    return model.eval();
  }

  /** Writes config.json and model.safetensors in the layout transformers loads (GPT2LMHeadModel). */
  savePretrained(dir: string): void {
    saveGPT2(dir, this, this.config, 'GPT2LMHeadModel');
  }

  /** input_ids (B, T) -> logits (B, T, V), and the loss when labels are given. */
  forward(inputIds: Tensor, opts: GPT2LMForwardOptions = {}): GPT2LMOutput {
    const out = this.transformer.forward(inputIds, opts);
    const logits = this.lm_head.forward(out.lastHiddenState);
    let loss: Tensor | undefined;
    if (opts.labels) loss = causalLmLoss(logits, opts.labels);
    return { logits, loss, pastKeyValues: out.pastKeyValues, hiddenStates: out.hiddenStates, attentions: out.attentions };
  }

  /** Autoregressive generation (greedy or sampled) with a KV cache; returns prompt + new tokens (B, T + n). */
  generate(inputIds: Tensor, opts: GenerateOptions = {}): Tensor {
    return generate(this, inputIds, opts);
  }
}

/** Cross-entropy of logits[:, :-1] (B, T, V) against labels[:, 1:] (B, T), -100 ignored. */
export function causalLmLoss(logits: Tensor, labels: Tensor): Tensor {
  const [B, T, V] = logits.shape as [number, number, number];
  if (labels.ndim !== 2 || labels.dim(0) !== B || labels.dim(1) !== T) {
    throw new ShapeError(`labels of shape ${shapeStr(labels.shape)} do not match logits of shape ${shapeStr(logits.shape)} (expected (${B}, ${T}))`);
  }
  // the labels move left by one and the last position of each row is ignored (-100): the same mean over the
  // same (logit row, label) pairs as slicing logits[:, :-1], without copying the (B, T - 1, V) slice forward
  // and writing its gradient back into a (B, T, V) buffer
  const pad = full([B, 1], -100, { dtype: labels.dtype, device: labels.device });
  const shiftLabels = cat([labels.narrow(1, 1, T - 1), pad], 1).reshape([B * T]);
  return crossEntropy(logits.reshape([B * T, V]), shiftLabels, { ignoreIndex: -100 });
}
