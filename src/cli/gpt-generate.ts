// Text generation with a GPT-2 model for the commands: sampling (or greedy) continuation of a prompt, longer
// than the model's context when asked (the context slides: the last tokens are kept, as nanoGPT crops it).
import { TesseraError } from '../errors.js';
import type { GPT2LMHeadModel } from '../models/gpt2/lm-head.js';
import { tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export interface GenerateTextOptions {
  maxNewTokens: number;
  /** Sampling temperature; with greedy it is not used. */
  temperature?: number;
  topK?: number;
  topP?: number;
  greedy?: boolean;
  seed?: number;
  device: string;
  /** Stop at these ids (default: the model's eos). */
  eosTokenId?: number | null;
}

/** Generates up to maxNewTokens after `prompt` (ids) and returns the new text only. */
export function generateText(model: GPT2LMHeadModel, tokenizer: Tokenizer, prompt: readonly number[], opts: GenerateTextOptions): string {
  if (prompt.length === 0) throw new TesseraError('the prompt is empty (and the model has no bos token to start from)');
  const nPos = model.config.n_positions;
  const ids = [...prompt];
  const eos = opts.eosTokenId === undefined ? model.config.eos_token_id : opts.eosTokenId;
  const eosSet = new Set<number>(eos === null ? [] : Array.isArray(eos) ? eos : [eos as number]);
  // each round keeps the last nPos - chunk tokens as context and adds up to chunk tokens
  const chunk = Math.max(1, Math.floor(nPos / 2));
  let left = opts.maxNewTokens;
  let round = 0;
  const wasTraining = model.training;
  model.eval();
  try {
    while (left > 0) {
      const n = Math.min(left, ids.length + left <= nPos ? left : chunk);
      const context = ids.slice(Math.max(0, ids.length - (nPos - n)));
      const out = model.generate(tensor([context], { dtype: 'int64', device: opts.device }), {
        maxNewTokens: n,
        ...(opts.greedy ? { greedy: true } : { temperature: opts.temperature ?? 1, topK: opts.topK, topP: opts.topP, seed: (opts.seed ?? 0) + round }),
        eosTokenId: eos,
      });
      const fresh = Array.from(out.toArray().subarray(context.length), Number);
      const stop = fresh.findIndex((t) => eosSet.has(t));
      ids.push(...(stop >= 0 ? fresh.slice(0, stop + 1) : fresh));
      left -= fresh.length;
      round++;
      if (stop >= 0 || fresh.length === 0) break;
    }
  } finally {
    model.train(wasTraining);
  }
  return tokenizer.decode(ids.slice(prompt.length), { skipSpecialTokens: true });
}
