// Per-direction perplexity of the ELMo language model on tokenized sentences (whole sentences, no truncation).
import { noGrad } from '../../autograd/engine.js';
import { tidy } from '../../tensor/scope.js';
import { encodeBatch, makeBatches } from './data.js';
import type { ElmoLanguageModel } from './model.js';
import type { ElmoVocabulary } from './vocab.js';

export interface ElmoPerplexity {
  /** exp(mean negative log-likelihood) of predicting each next token (words and </S>). */
  forward: number;
  /** exp(mean negative log-likelihood) of predicting each previous token (<S> and words). */
  backward: number;
  /** Predicted tokens per direction. */
  tokens: number;
}

/** Lets the event loop run: native backends free tensors in finalizers that run there, not inside a synchronous loop. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs the model (in eval mode, restored afterwards) over batches of at most maxTokens padded tokens. */
export async function perplexity(model: ElmoLanguageModel, vocab: ElmoVocabulary, sentences: readonly (readonly string[])[], opts: { maxTokens?: number } = {}): Promise<ElmoPerplexity> {
  const wasTraining = model.training;
  model.eval();
  const device = model.softmax.softmaxB.device;
  let fwd = 0, bwd = 0, tokens = 0;
  try {
    for (const batch of makeBatches(sentences, { maxTokens: opts.maxTokens ?? 4096 })) {
      // tidy frees the batch's intermediates at once instead of at the next garbage collection
      noGrad(() => tidy(() => {
        const enc = encodeBatch(batch, vocab, model.config.char_cnn.max_characters_per_token, device);
        const out = model.forward(enc.ids, enc.lengths, enc.wordIds);
        fwd += out.forwardLoss.item();
        bwd += out.backwardLoss.item();
        tokens += out.forwardTokens;
      }));
      await yieldToEventLoop();
    }
  } finally {
    model.train(wasTraining);
  }
  return { forward: Math.exp(fwd / tokens), backward: Math.exp(bwd / tokens), tokens };
}
