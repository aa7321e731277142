// MarianMTModel / MarianModel checkpoints behind the architecture registry's run interface, outputs under
// transformers' Seq2Seq names (encoder_last_hidden_state, {encoder,decoder}_hidden_states.N,
// {encoder,decoder}_attentions.N, cross_attentions.N); and which class a checkpoint holds when config.json is silent.
import { noGrad } from '../../autograd/engine.js';
import type { Tensor } from '../../tensor/tensor.js';
import { integerLabels } from '../run-outputs.js';
import type { ArchitectureLoader, RunnableModel } from '../auto.js';
import { TransformerModel, type TransformerForwardOptions, type TransformerModelOutput } from './model.js';
import { TransformerMTModel } from './mt-model.js';

const INPUTS = { required: ['input_ids'], optional: ['attention_mask', 'decoder_input_ids', 'decoder_attention_mask'] } as const;

function seq2seqInputs(inputs: Record<string, Tensor>): TransformerForwardOptions {
  return {
    attentionMask: inputs.attention_mask ?? null,
    decoderInputIds: inputs.decoder_input_ids ?? null,
    decoderAttentionMask: inputs.decoder_attention_mask ?? null,
  };
}


function collect(main: [string, Tensor][], out: Omit<TransformerModelOutput, 'lastHiddenState'> & { loss?: Tensor }): Map<string, Tensor> {
  const m = new Map<string, Tensor>(main);
  m.set('encoder_last_hidden_state', out.encoderLastHiddenState);
  const lists: [string, Tensor[] | undefined][] = [
    ['encoder_hidden_states', out.encoderHiddenStates], ['decoder_hidden_states', out.decoderHiddenStates],
    ['encoder_attentions', out.encoderAttentions], ['decoder_attentions', out.decoderAttentions], ['cross_attentions', out.crossAttentions],
  ];
  for (const [name, list] of lists) list?.forEach((t, i) => m.set(`${name}.${i}`, t));
  if (out.loss) m.set('loss', out.loss.reshape([1]));
  return m;
}

/** The Marian entries of the architecture registry. */
export const transformerArchitectures: Record<string, ArchitectureLoader> = {
  MarianMTModel: (dir, opts): RunnableModel => {
    const m = TransformerMTModel.fromPretrained(dir, opts);
    return {
      architecture: 'MarianMTModel', module: m, inputNames: INPUTS, labelNames: ['labels'],
      forward: (inputs, o = {}) => noGrad(() => {
        const out = m.forward(inputs.input_ids!, {
          ...seq2seqInputs(inputs), labels: integerLabels(o.labels?.labels, 'labels'), outputHiddenStates: o.outputHiddenStates, outputAttentions: o.outputAttentions,
        });
        return collect([['logits', out.logits]], out);
      }),
    };
  },
  MarianModel: (dir, opts): RunnableModel => {
    const m = TransformerModel.fromPretrained(dir, opts);
    return {
      architecture: 'MarianModel', module: m, inputNames: INPUTS, labelNames: [],
      forward: (inputs, o = {}) => noGrad(() => {
        const out = m.forward(inputs.input_ids!, { ...seq2seqInputs(inputs), outputHiddenStates: o.outputHiddenStates, outputAttentions: o.outputAttentions });
        return collect([['last_hidden_state', out.lastHiddenState]], out);
      }),
    };
  },
};

/** MarianMTModel when the names carry the 'model.' prefix, an lm_head or final_logits_bias, else MarianModel. */
export function inferTransformerArchitecture(keys: readonly string[]): string {
  return keys.some((k) => k.startsWith('model.') || k.startsWith('lm_head.') || k === 'final_logits_bias') ? 'MarianMTModel' : 'MarianModel';
}
