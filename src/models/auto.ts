// The architecture registry: config.json `architectures[0]` -> a loader giving a model behind one uniform
// adapter (inputs and outputs by their Hugging Face names), which `tessera run` drives for any checkpoint.
import '../backend/all.js';
import { TesseraError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { bertArchitectures, inferBertArchitecture } from './bert/runnable.js';
import { gpt2Architectures, inferGPT2Architecture } from './gpt2/runnable.js';
import { checkpointKeys, readModelConfig, weightsPath } from './pretrained.js';
import { inferTransformerArchitecture, transformerArchitectures } from './transformer/runnable.js';
import { inferViTArchitecture, vitArchitectures } from './vit/runnable.js';

/** What a run computes besides the main outputs. */
export interface RunOptions {
  /** Add `hidden_states.N` (N = 0 is the embedding output). */
  outputHiddenStates?: boolean;
  /** Add `attentions.N` (after softmax, (B, heads, Tq, Tk)). */
  outputAttentions?: boolean;
  /** Label tensors by their HF argument name (`labels`, `next_sentence_label`, `start_positions`...): adds `loss`. */
  labels?: Record<string, Tensor>;
  /** Vision models: accept another image size by interpolating the position table. */
  interpolatePosEncoding?: boolean;
}

/** A loaded model behind the uniform interface `tessera run` uses. */
export interface RunnableModel {
  /** The HF class name (`BertForSequenceClassification`). */
  readonly architecture: string;
  /** The model itself. */
  readonly module: Module;
  /** Input names as HF's forward() names them: those that must be given and those that may be. */
  readonly inputNames: { readonly required: readonly string[]; readonly optional: readonly string[] };
  /** Label names this head accepts (empty when it computes no loss). */
  readonly labelNames: readonly string[];
  /**
   * Runs the model on inputs named as HF names them. Outputs are named as transformers' output fields
   * (`logits`, `start_logits`, `prediction_logits`...), plus `hidden_states.N`, `attentions.N` and `loss` (shape [1]).
   */
  forward(inputs: Record<string, Tensor>, opts?: RunOptions): Map<string, Tensor>;
}

/** Loads a checkpoint folder (config.json + model.safetensors) as one architecture. */
export type ArchitectureLoader = (dir: string, opts: { device?: string }) => RunnableModel;

/** HF architecture name -> loader. Each family adds its entries here. */
export const architectures: Record<string, ArchitectureLoader> = {
  ...bertArchitectures,
  ...vitArchitectures,
  ...gpt2Architectures,
  ...transformerArchitectures,
};

/**
 * model_type -> the architecture a checkpoint holds, judged from its tensor names, for config.json files
 * written without `architectures` (PretrainedConfig.save_pretrained alone writes none).
 */
export const architectureFromWeights: Record<string, (keys: readonly string[]) => string> = {
  bert: inferBertArchitecture,
  vit: inferViTArchitecture,
  gpt2: inferGPT2Architecture,
  marian: inferTransformerArchitecture,
};

/** The supported architecture names, sorted. */
export function supportedArchitectures(): string[] {
  return Object.keys(architectures).sort();
}

/**
 * The architecture of a checkpoint folder: `override` if given, else config.json's `architectures[0]`, else
 * judged from model_type and the tensor names. Fails with one line naming the folder when none applies.
 */
export function resolveArchitecture(dir: string, override?: string): string {
  const config = readModelConfig(dir);
  if (override) return override;
  const archs = config.architectures;
  if (Array.isArray(archs) && archs.length > 0) {
    if (typeof archs[0] !== 'string') throw new TesseraError(`${dir}/config.json: architectures[0] is not a string`);
    return archs[0];
  }
  const type = config.model_type;
  const infer = typeof type === 'string' ? architectureFromWeights[type] : undefined;
  if (!infer) {
    throw new TesseraError(`${dir}/config.json names no architecture and model_type ${JSON.stringify(type ?? null)} is not one Tessera can judge from the weights (add "architectures" or pass an architecture)`);
  }
  return infer(checkpointKeys(weightsPath(dir)));
}

/** Loads any supported checkpoint folder behind the uniform RunnableModel interface. */
export function loadRunnable(dir: string, opts: { device?: string; architecture?: string } = {}): RunnableModel {
  const arch = resolveArchitecture(dir, opts.architecture);
  const loader = architectures[arch];
  if (!loader) throw new TesseraError(`unknown architecture '${arch}' for ${dir} (supported: ${supportedArchitectures().join(', ')})`);
  return loader(dir, { device: opts.device });
}
