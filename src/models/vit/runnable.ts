// ViT models behind the uniform run interface (pixel_values in; logits, hidden_states.N, attentions.N, loss
// out), and which ViT class a checkpoint holds when config.json does not say.
import { noGrad } from '../../autograd/engine.js';
import { TesseraError } from '../../errors.js';
import { isFloat } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ArchitectureLoader, RunnableModel, RunOptions } from '../auto.js';
import { ViTForImageClassification } from './classification.js';
import { ViTModel, type ViTInputs } from './model.js';
import type { ViTModelClass, ViTPreTrainedModel } from './pretrained.js';

const INPUTS = { required: ['pixel_values'], optional: [] } as const;

function collect(main: [string, Tensor][], out: { hiddenStates?: Tensor[]; attentions?: Tensor[]; loss?: Tensor }): Map<string, Tensor> {
  const m = new Map<string, Tensor>(main);
  out.hiddenStates?.forEach((h, i) => m.set(`hidden_states.${i}`, h));
  out.attentions?.forEach((a, i) => m.set(`attentions.${i}`, a));
  if (out.loss) m.set('loss', out.loss.reshape([1]));
  return m;
}

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

function load<M extends ViTPreTrainedModel>(cls: ViTModelClass<M> & { fromPretrained(dir: string, o: { device?: string }): ViTPreTrainedModel }, wrap: (m: M) => RunnableModel): ArchitectureLoader {
  return (dir, opts) => {
    const m = cls.fromPretrained(dir, opts) as M;
    m.eval();
    return wrap(m);
  };
}

/** The ViT entries of the architecture registry. */
export const vitArchitectures: Record<string, ArchitectureLoader> = {
  ViTModel: load(ViTModel, (m) => runnable(m, [], (inputs, opts) => {
    const out = m.forward(inputs, opts);
    const main: [string, Tensor][] = [['last_hidden_state', out.lastHiddenState]];
    if (out.poolerOutput) main.push(['pooler_output', out.poolerOutput]);
    return collect(main, out);
  })),
  ViTForImageClassification: load(ViTForImageClassification, (m) => runnable(m, ['labels'], (inputs, opts, l) => {
    const out = m.forward(inputs, { ...opts, labels: l.labels ? imageLabels(m, l.labels) : null });
    return collect([['logits', out.logits]], out);
  })),
};

/** The ViT class a checkpoint's tensor names show: a classifier -> image classification, else the base model. */
export function inferViTArchitecture(keys: readonly string[]): string {
  return keys.some((k) => k.startsWith('classifier.')) ? 'ViTForImageClassification' : 'ViTModel';
}
