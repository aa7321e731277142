// ViTModel: patch embeddings -> pre-LN encoder -> final LayerNorm (`layernorm`) -> optional pooler
// (activation(dense([CLS]))). Reference: modeling_vit.py, ViTModel / ViTPooler.
import { TesseraError } from '../../errors.js';
import type { JsonObject } from '../../io/json.js';
import { activation } from '../../nn/layers/feed-forward.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import { inferenceScope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ViTConfig } from './config.js';
import { ViTEmbeddings } from './embeddings.js';
import { ViTEncoder } from './encoder.js';
import { checkpointKeys, weightsPath } from '../pretrained.js';
import { ViTPreTrainedModel, loadViTPretrained, type FromPretrainedOptions, type ModelOptions, type ViTModelClass } from './pretrained.js';

/** The input of every ViT model, named as in Hugging Face (camelCase). */
export interface ViTInputs {
  /** (B, num_channels, H, W) float images, normalised as the checkpoint's image processor does. */
  pixelValues: Tensor;
}

/** What to return besides the main outputs, and whether other image sizes are allowed. */
export interface ViTOutputOptions {
  /** Return hiddenStates: the embedding output and every layer's output (before the final LayerNorm). */
  outputHiddenStates?: boolean;
  /** Return attentions: every layer's attention probabilities (B, H, T, T). */
  outputAttentions?: boolean;
  /** Accept images of another size than config.image_size by resizing the position table bicubically. */
  interpolatePosEncoding?: boolean;
}

export interface ViTModelOutput {
  /** (B, 1 + N, C) after the final LayerNorm. */
  lastHiddenState: Tensor;
  /** (B, pooler_output_size); absent when the model has no pooler. */
  poolerOutput?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

export class ViTPooler extends Module {
  readonly dense: Linear;

  constructor(readonly config: ViTConfig, device?: string) {
    super();
    this.dense = this.addModule('dense', new Linear(config.hidden_size, config.pooler_output_size ?? config.hidden_size, { device }));
  }

  /** (B, T, C) -> (B, pooler_output_size) from the [CLS] token. */
  forward(hidden: Tensor): Tensor {
    return activation(this.config.pooler_act, this.dense.forward(hidden.select(1, 0)));
  }
}

export class ViTModel extends ViTPreTrainedModel {
  static override readonly architecture: string = 'ViTModel';
  readonly embeddings: ViTEmbeddings;
  readonly layers: ViTEncoder;
  readonly layernorm: LayerNorm;
  readonly pooler: ViTPooler | null;

  /** `addPoolingLayer` false drops the pooler (as ViTForImageClassification's base has none); `init` false skips HF's init. */
  constructor(config: ViTConfig | JsonObject, opts: ModelOptions & { addPoolingLayer?: boolean; init?: boolean } = {}) {
    super(config);
    const device = opts.device;
    this.embeddings = this.addModule('embeddings', new ViTEmbeddings(this.config, device));
    this.layers = this.addModule('layers', new ViTEncoder(this.config, device));
    this.layernorm = this.addModule('layernorm', new LayerNorm(this.config.hidden_size, { eps: this.config.layer_norm_eps, device }));
    this.pooler = opts.addPoolingLayer === false ? null : this.addModule('pooler', new ViTPooler(this.config, device));
    if (opts.init !== false) this.initWeights();
  }

  /** As for every ViT class; the pooler is built only when the checkpoint has one. */
  static override fromPretrained<M extends ViTPreTrainedModel>(this: ViTModelClass<M>, dir: string, opts: FromPretrainedOptions = {}): M {
    const pooler = checkpointKeys(weightsPath(dir)).some((k) => /^(vit\.)?pooler\./.test(k));
    return loadViTPretrained(this, dir, opts, { addPoolingLayer: pooler });
  }

  forward(inputs: ViTInputs, opts: ViTOutputOptions = {}): ViTModelOutput {
    return inferenceScope(() => this.run(inputs, opts));
  }

  private run(inputs: ViTInputs, opts: ViTOutputOptions): ViTModelOutput {
    if (!inputs.pixelValues) throw new TesseraError('ViT: pixel_values is required');
    const x = this.embeddings.forward(inputs.pixelValues, opts.interpolatePosEncoding ?? false);
    const enc = this.layers.forward(x, opts);
    const lastHiddenState = this.layernorm.forward(enc.lastHiddenState);
    return {
      lastHiddenState,
      poolerOutput: this.pooler ? this.pooler.forward(lastHiddenState) : undefined,
      hiddenStates: enc.hiddenStates,
      attentions: enc.attentions,
    };
  }
}
