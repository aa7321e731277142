// The base of every ViT model: HF's weight init, fromPretrained (config.json + model.safetensors, with or
// without the `vit.` prefix, the transformers-4 layout `encoder.layer.N.attention.attention.query` renamed to
// the current `layers.N.attention.q_proj`) and savePretrained in the current layout.
import { noGrad } from '../../autograd/engine.js';
import type { JsonObject } from '../../io/json.js';
import { ones_, truncNormal_, zeros_ } from '../../nn/init.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { loadCheckpointInto, readModelConfig, saveCheckpoint, weightsPath, type CheckpointSpec } from '../pretrained.js';
import type { FromPretrainedOptions, ModelOptions } from '../bert/pretrained.js';
import { vitConfig, type ViTConfig } from './config.js';
import { ViTEmbeddings } from './embeddings.js';

export type { FromPretrainedOptions, ModelOptions };

/** transformers-4 names inside a layer -> transformers-5 names. */
const LEGACY_LAYER_NAMES: readonly [string, string][] = [
  ['attention.attention.query.', 'attention.q_proj.'],
  ['attention.attention.key.', 'attention.k_proj.'],
  ['attention.attention.value.', 'attention.v_proj.'],
  ['attention.output.dense.', 'attention.o_proj.'],
  ['intermediate.dense.', 'mlp.fc1.'],
  ['output.dense.', 'mlp.fc2.'],
];

/** Renames a transformers-4 ViT key (`[vit.]encoder.layer.N.…`) to the current layout; other keys unchanged. */
export function vitCurrentName(name: string): string {
  const m = /^((?:vit\.)?)encoder\.layer\.(\d+)\.(.+)$/.exec(name);
  if (!m) return name;
  const [, prefix, index, rest] = m as unknown as [string, string, string, string];
  const hit = LEGACY_LAYER_NAMES.find(([from]) => rest.startsWith(from));
  return `${prefix}layers.${index}.${hit ? hit[1] + rest.slice(hit[0].length) : rest}`;
}

/** How ViT checkpoints map onto the modules. */
export function vitCheckpointSpec(newHead = false): CheckpointSpec {
  return {
    basePrefix: 'vit',
    renameKey: vitCurrentName,
    allowMissing: newHead ? (name) => !name.startsWith('vit.') && !/^(embeddings|layers|layernorm|pooler)\./.test(name) : undefined,
  };
}

/** A ViT model class: constructed from a config, named by its HF architecture. */
export interface ViTModelClass<M extends ViTPreTrainedModel> {
  new (config: ViTConfig, opts?: ModelOptions): M;
  readonly architecture: string;
}

export abstract class ViTPreTrainedModel extends Module {
  /** The class name Hugging Face's config.json `architectures` uses for this model. */
  static readonly architecture: string = 'ViTPreTrainedModel';
  readonly config: ViTConfig;

  constructor(config: ViTConfig | JsonObject) {
    super();
    this.config = vitConfig(config);
  }

  /** HF's _init_weights: Linear/Conv2d weights, cls_token and position table ~ truncated N(0, initializer_range), biases 0, LayerNorm 1/0. */
  initWeights(): void {
    const std = this.config.initializer_range;
    // HF truncates at +-2 absolute; in units of std that is +-2/std
    const tn = (t: Tensor) => truncNormal_(t, 0, std, -2 / Math.max(std, 1e-12), 2 / Math.max(std, 1e-12));
    noGrad(() => {
      for (const [, m] of this.namedModules()) {
        if (m instanceof Linear || m instanceof Conv2d) {
          tn(m.weight);
          if (m.bias) zeros_(m.bias);
        } else if (m instanceof LayerNorm) {
          if (m.weight) ones_(m.weight);
          if (m.bias) zeros_(m.bias);
        } else if (m instanceof ViTEmbeddings) {
          tn(m.positionEmbeddings);
          tn(m.clsToken);
        }
      }
    });
  }

  /** The HF architecture name of this instance's class. */
  get architecture(): string {
    return (this.constructor as typeof ViTPreTrainedModel).architecture;
  }

  /**
   * Loads `dir/config.json` and `dir/model.safetensors` (current or transformers-4 names, with or without the
   * `vit.` prefix); a missing tensor fails naming it, a misshapen one naming it and both shapes.
   */
  static fromPretrained<M extends ViTPreTrainedModel>(this: ViTModelClass<M>, dir: string, opts: FromPretrainedOptions = {}): M {
    return loadViTPretrained(this, dir, opts);
  }

  /** Writes config.json (with `architectures`) and model.safetensors with the names transformers 5 writes. */
  savePretrained(dir: string): void {
    saveCheckpoint(dir, this, { ...this.config, architectures: [this.architecture] }, {});
  }
}

/**
 * Builds `cls` from `dir/config.json` (with extra constructor options `build`) and loads `dir/model.safetensors`
 * into it (what `cls.fromPretrained(dir)` does).
 */
export function loadViTPretrained<M extends ViTPreTrainedModel>(cls: ViTModelClass<M>, dir: string, opts: FromPretrainedOptions = {}, build: Record<string, unknown> = {}): M {
  const config = vitConfig(readModelConfig(dir), `${dir}/config.json`);
  const ctorOptions: ModelOptions = { ...build, device: opts.device };
  const model = new cls(config, ctorOptions);
  loadCheckpointInto(model, weightsPath(dir), vitCheckpointSpec(opts.newHead), opts.device);
  return model;
}
