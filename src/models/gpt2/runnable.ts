// GPT-2 models behind the uniform run interface of the architecture registry (inputs, labels and outputs by
// their Hugging Face names), and which GPT-2 class a checkpoint holds when config.json does not say.
import { noGrad } from '../../autograd/engine.js';
import type { Tensor } from '../../tensor/tensor.js';
import { collectOutputs, integerLabels } from '../run-outputs.js';
import type { ArchitectureLoader, RunnableModel } from '../auto.js';
import { GPT2LMHeadModel } from './lm-head.js';
import { GPT2Model, type GPT2ForwardOptions } from './model.js';

const INPUTS = { required: ['input_ids'], optional: ['attention_mask', 'position_ids', 'token_type_ids'] } as const;

function gpt2Inputs(inputs: Record<string, Tensor>): GPT2ForwardOptions {
  return { attentionMask: inputs.attention_mask ?? null, positionIds: inputs.position_ids ?? null, tokenTypeIds: inputs.token_type_ids ?? null };
}



/** The GPT-2 entries of the architecture registry. */
export const gpt2Architectures: Record<string, ArchitectureLoader> = {
  GPT2LMHeadModel: (dir, opts): RunnableModel => {
    const m = GPT2LMHeadModel.fromPretrained(dir, opts);
    return {
      architecture: 'GPT2LMHeadModel', module: m, inputNames: INPUTS, labelNames: ['labels'],
      forward: (inputs, o = {}) => noGrad(() => {
        const out = m.forward(inputs.input_ids!, {
          ...gpt2Inputs(inputs), labels: integerLabels(o.labels?.labels, 'labels'), outputHiddenStates: o.outputHiddenStates, outputAttentions: o.outputAttentions,
        });
        return collectOutputs([['logits', out.logits]], out);
      }),
    };
  },
  GPT2Model: (dir, opts): RunnableModel => {
    const m = GPT2Model.fromPretrained(dir, opts);
    return {
      architecture: 'GPT2Model', module: m, inputNames: INPUTS, labelNames: [],
      forward: (inputs, o = {}) => noGrad(() => {
        const out = m.forward(inputs.input_ids!, { ...gpt2Inputs(inputs), outputHiddenStates: o.outputHiddenStates, outputAttentions: o.outputAttentions });
        return collectOutputs([['last_hidden_state', out.lastHiddenState]], out);
      }),
    };
  },
};

/** GPT2LMHeadModel when the names carry the 'transformer.' prefix or an lm_head, else GPT2Model. */
export function inferGPT2Architecture(keys: readonly string[]): string {
  return keys.some((k) => k.startsWith('transformer.') || k.startsWith('lm_head.')) ? 'GPT2LMHeadModel' : 'GPT2Model';
}
