// The base of every BERT model: HF's weight init, fromPretrained (config.json + model.safetensors, with or
// without the `bert.` prefix, legacy gamma/beta names, tied MLM decoder) and savePretrained in HF's layout.
import { noGrad } from '../../autograd/engine.js';
import type { JsonObject } from '../../io/json.js';
import { normal_, ones_, zeros_ } from '../../nn/init.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';
import { loadCheckpointInto, readModelConfig, saveCheckpoint, weightsPath, type CheckpointSpec } from '../pretrained.js';
import { bertConfig, type BertConfig } from './config.js';
import { TiedDecoder } from './lm-head.js';

/** Where a model's tensors live. */
export interface ModelOptions {
  /** 'cpu-js', 'cpu', 'cuda', 'cuda:1'...; default the process default device. */
  device?: string;
}

export interface FromPretrainedOptions extends ModelOptions {
  /**
   * Let the task head's own tensors (those outside `bert.`) be absent from the checkpoint and keep their fresh
   * initialisation — fine-tuning a base or pretraining checkpoint for a new task. Default false: every tensor
   * must be in the checkpoint.
   */
  newHead?: boolean;
}

/** How BERT checkpoints map onto the modules. */
export function bertCheckpointSpec(config: BertConfig, newHead = false): CheckpointSpec {
  const ignore = [/(^|\.)embeddings\.position_ids$/, /(^|\.)embeddings\.token_type_ids$/];
  // tied: the decoder IS the word embedding matrix, whose checkpoint copy wins (as HF ties after loading)
  if (config.tie_word_embeddings) ignore.push(/^cls\.predictions\.decoder\.weight$/);
  return {
    basePrefix: 'bert',
    tiedKeys: ['cls.predictions.decoder.bias', ...(config.tie_word_embeddings ? ['cls.predictions.decoder.weight'] : [])],
    ignoreKeys: ignore,
    allowMissing: newHead ? (name) => !name.startsWith('bert.') && !name.startsWith('embeddings.') && !name.startsWith('encoder.') && !name.startsWith('pooler.') : undefined,
  };
}

/** Sets row `row` of a (V, C) matrix to zeros, in place. */
function zeroRow(w: Tensor, row: number): void {
  const keep = new Float32Array(w.dim(0)).fill(1);
  keep[row] = 0;
  w.assign_(w.mul(Tensor.fromHost(keep, [w.dim(0), 1], 'float32', w.device)));
}

/** A BERT model class: constructed from a config, named by its HF architecture. */
export interface BertModelClass<M extends BertPreTrainedModel> {
  new (config: BertConfig, opts?: ModelOptions): M;
  readonly architecture: string;
}

export abstract class BertPreTrainedModel extends Module {
  /** The class name Hugging Face's config.json `architectures` uses for this model. */
  static readonly architecture: string = 'BertPreTrainedModel';
  readonly config: BertConfig;

  constructor(config: BertConfig | JsonObject) {
    super();
    this.config = bertConfig(config);
  }

  /** HF's _init_weights: Linear and Embedding ~ N(0, initializer_range) (padding row 0), biases 0, LayerNorm 1/0. */
  initWeights(): void {
    const std = this.config.initializer_range;
    noGrad(() => {
      for (const [, m] of this.namedModules()) {
        if (m instanceof Linear) {
          normal_(m.weight, 0, std);
          if (m.bias) zeros_(m.bias);
        } else if (m instanceof Embedding) {
          normal_(m.weight, 0, std);
          if (m.paddingIdx !== undefined) zeroRow(m.weight, m.paddingIdx);
        } else if (m instanceof TiedDecoder) {
          if (!this.config.tie_word_embeddings) normal_(m.weight, 0, std); // tied: it is the word embedding matrix
          zeros_(m.bias);
        } else if (m instanceof LayerNorm) {
          if (m.weight) ones_(m.weight);
          if (m.bias) zeros_(m.bias);
        }
      }
    });
  }

  /** The HF architecture name of this instance's class. */
  get architecture(): string {
    return (this.constructor as typeof BertPreTrainedModel).architecture;
  }

  /**
   * Loads `dir/config.json` and `dir/model.safetensors`. Checkpoint keys may carry or lack the `bert.`
   * prefix; a missing tensor fails naming it, a misshapen one naming it and both shapes.
   */
  static fromPretrained<M extends BertPreTrainedModel>(this: BertModelClass<M>, dir: string, opts: FromPretrainedOptions = {}): M {
    return loadBertPretrained(this, dir, opts);
  }

  /** Writes config.json (with `architectures`) and model.safetensors with the names transformers loads. */
  savePretrained(dir: string): void {
    saveCheckpoint(dir, this, { ...this.config, architectures: [this.architecture] }, {});
  }
}

/**
 * Builds `cls` from `dir/config.json` (with extra constructor options `build`) and loads `dir/model.safetensors`
 * into it (what `cls.fromPretrained(dir)` does).
 */
export function loadBertPretrained<M extends BertPreTrainedModel>(cls: BertModelClass<M>, dir: string, opts: FromPretrainedOptions = {}, build: Record<string, unknown> = {}): M {
  const config = bertConfig(readModelConfig(dir), `${dir}/config.json`);
  const ctorOptions: ModelOptions = { ...build, device: opts.device };
  const model = new cls(config, ctorOptions);
  loadCheckpointInto(model, weightsPath(dir), bertCheckpointSpec(config, opts.newHead), opts.device);
  return model;
}
