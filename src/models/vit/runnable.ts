// ViT models behind the uniform run interface (pixel_values in; logits, hidden_states.N, attentions.N, loss
// out), and which ViT class a checkpoint holds when config.json does not say.
import { noGrad } from '../../autograd/engine.js';
import { TesseraError } from '../../errors.js';
import { isFloat } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { collectOutputs, evalLoader } from '../run-outputs.js';
import type { ArchitectureLoader, RunnableModel, RunOptions } from '../auto.js';
import { ViTForImageClassification } from './classification.js';
import { ViTModel, type ViTInputs } from './model.js';
import type { ViTPreTrainedModel } from './pretrained.js';

const INPUTS = { required: ['pixel_values'], optional: [] } as const;


/**
 * Labels from untyped (JSON) data, by config.problem_type or else HF's rule with the shape standing in for the
 * dtype: one label -> regression floats; (B, numLabels) -> multi-label floats; (B) -> class ids.
 */
function imageLabels(model: ViTForImageClassification, labels: Tensor): Tensor {
  const n = model.numLabels;
  const problem = model.config.problem_type
    ?? (n === 1 ? 'regression' : labels.ndim === 2 && labels.dim(1) === n && n > 1 ? 'multi_label_classification' : 'single_label_classification');
  if (problem !== 'single_label_classification') return labels.to('float32');
  if (isFloat(labels.dtype)) throw new TesseraError('labels must hold class ids (integers) for single-label classification');
  return labels;
}

function runnable(model: ViTPreTrainedModel, labelNames: readonly string[], run: (inputs: ViTInputs, opts: RunOptions, labels: Record<string, Tensor>) => Map<string, Tensor>): RunnableModel {
  return {
    architecture: model.architecture,
    module: model,
    inputNames: INPUTS,
    labelNames,
    forward(inputs, opts = {}) {
      return noGrad(() => run({ pixelValues: inputs.pixel_values! }, opts, opts.labels ?? {}));
    },
  };
}


/** The ViT entries of the architecture registry. */
export const vitArchitectures: Record<string, ArchitectureLoader> = {
  ViTModel: evalLoader((d, o) => ViTModel.fromPretrained(d, o), (m) => runnable(m, [], (inputs, opts) => {
    const out = m.forward(inputs, opts);
    const main: [string, Tensor][] = [['last_hidden_state', out.lastHiddenState]];
    if (out.poolerOutput) main.push(['pooler_output', out.poolerOutput]);
    return collectOutputs(main, out);
  })),
  ViTForImageClassification: evalLoader((d, o) => ViTForImageClassification.fromPretrained(d, o), (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: l.labels ? imageLabels(m, l.labels) : null });
    return collectOutputs([['logits', out.logits]], out);
  })),
};

/** The ViT class a checkpoint's tensor names show: a classifier -> image classification, else the base model. */
export function inferViTArchitecture(keys: readonly string[]): string {
  return keys.some((k) => k.startsWith('classifier.')) ? 'ViTForImageClassification' : 'ViTModel';
}
