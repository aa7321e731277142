// A training loop for the ELMo language model (the generic trainer had not landed): length-bucketed shuffled
// batches, Adam with warmup and a linear decay over the step or time budget, global-norm clipping, progress callbacks.
import { TesseraError } from '../../errors.js';
import { Adam } from '../../optim/adam.js';
import { clipGradNorm } from '../../optim/clip.js';
import { chunkSentences, encodeBatch, makeBatches, seededRandom } from './data.js';
import { perplexity, yieldToEventLoop, type ElmoPerplexity } from './evaluate.js';
import type { ElmoLanguageModel } from './model.js';
import type { ElmoVocabulary } from './vocab.js';

export interface ElmoTrainOptions {
  /** Passes over the training sentences (default 1). */
  epochs?: number;
  /** Stop after this many seconds (checked between steps; default: no limit). */
  maxSeconds?: number;
  /** Padded tokens per batch, boundaries included (default 1024). */
  maxTokens?: number;
  /** Longer training sentences are cut into pieces of this many words (default 40). */
  maxLength?: number;
  /** Adam's peak learning rate (default 2e-3). */
  lr?: number;
  /** Linear warmup steps (default 100). */
  warmupSteps?: number;
  /** Global gradient-norm clip (default 5; 0 = none). */
  clipNorm?: number;
  /** Seed of the batch order (default 1). */
  seed?: number;
  /** Report every this many steps (default 50). */
  logEvery?: number;
  /** Sentences for a perplexity check after every epoch. */
  valid?: readonly (readonly string[])[];
  onLog?: (p: ElmoTrainProgress) => void;
  onEpochEnd?: (epoch: number, valid: ElmoPerplexity | null) => void;
}

export interface ElmoTrainProgress {
  epoch: number;
  step: number;
  /** Steps the run would take without a time limit. */
  totalSteps: number;
  /** Mean training loss (mean of both directions' per-token NLL) since the last report. */
  loss: number;
  forwardPerplexity: number;
  backwardPerplexity: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  lr: number;
}

export interface ElmoTrainResult {
  steps: number;
  /** Predicted tokens per direction seen in training. */
  tokens: number;
  seconds: number;
  /** True when maxSeconds ended the run before the last epoch finished. */
  stoppedByTime: boolean;
}

/**
 * Trains `model` in place on tokenized sentences. Yields to the event loop after every step (native backends free
 * tensors in finalizers that run there).
 */
export async function trainElmo(model: ElmoLanguageModel, vocab: ElmoVocabulary, sentences: readonly (readonly string[])[], opts: ElmoTrainOptions = {}): Promise<ElmoTrainResult> {
  const epochs = opts.epochs ?? 1;
  const maxTokens = opts.maxTokens ?? 1024;
  const maxLength = opts.maxLength ?? 40;
  const lr = opts.lr ?? 2e-3;
  const warmup = opts.warmupSteps ?? 100;
  const clipNorm = opts.clipNorm ?? 5;
  const logEvery = opts.logEvery ?? 50;
  const maxSeconds = opts.maxSeconds ?? Infinity;
  if (!(epochs > 0)) throw new TesseraError(`epochs must be positive, got ${epochs}`);
  if (vocab.size !== model.config.vocab_size) throw new TesseraError(`the vocabulary has ${vocab.size} words but the model's softmax ${model.config.vocab_size}`);
  if (maxTokens < maxLength + 2) throw new TesseraError(`maxTokens ${maxTokens} cannot hold one sentence of maxLength ${maxLength} (+2 boundaries)`);
  const pieces = chunkSentences(sentences, maxLength);
  const random = seededRandom(opts.seed ?? 1);
  const perEpoch = makeBatches(pieces, { maxTokens }).length;
  const totalSteps = Math.ceil(perEpoch * epochs);
  const optimizer = new Adam(model.parameters(), { lr });
  const device = model.softmax.softmaxB.device;
  const maxChars = model.config.char_cnn.max_characters_per_token;
  const start = Date.now();
  const elapsed = () => (Date.now() - start) / 1000;
  let step = 0, tokens = 0, stoppedByTime = false;
  let winLoss = 0, winFwd = 0, winBwd = 0, winTokens = 0, winSteps = 0, winStart = elapsed();
  model.train();
  outer: for (let epoch = 0; epoch < Math.ceil(epochs); epoch++) {
    const batches = makeBatches(pieces, { maxTokens, random });
    const limit = epoch + 1 > epochs ? Math.round(batches.length * (epochs - epoch)) : batches.length;
    for (let i = 0; i < limit; i++) {
      if (elapsed() >= maxSeconds) {
        stoppedByTime = true;
        break outer;
      }
      const progress = Math.min(1, Math.max(step / totalSteps, elapsed() / maxSeconds));
      const rate = lr * Math.min(1, (step + 1) / warmup) * (1 - 0.9 * progress);
      for (const g of optimizer.groups) g.lr = rate;
      const enc = encodeBatch(batches[i]!, vocab, maxChars, device);
      const out = model.forward(enc.ids, enc.lengths, enc.wordIds);
      optimizer.zeroGrad();
      out.loss.backward();
      if (clipNorm > 0) clipGradNorm(model.parameters(), clipNorm);
      optimizer.step();
      await yieldToEventLoop();
      step++;
      tokens += out.forwardTokens;
      winLoss += out.loss.item();
      winFwd += out.forwardLoss.item();
      winBwd += out.backwardLoss.item();
      winTokens += out.forwardTokens;
      winSteps++;
      if (opts.onLog && (step % logEvery === 0 || (i === limit - 1 && winSteps > 0))) {
        const now = elapsed();
        opts.onLog({
          epoch: epoch + 1, step, totalSteps, loss: winLoss / winSteps,
          forwardPerplexity: Math.exp(winFwd / winTokens), backwardPerplexity: Math.exp(winBwd / winTokens),
          tokensPerSecond: winTokens / Math.max(1e-9, now - winStart), elapsedSeconds: now, lr: rate,
        });
        winLoss = winFwd = winBwd = winTokens = winSteps = 0;
        winStart = now;
      }
    }
    const valid = opts.valid ? await perplexity(model, vocab, opts.valid) : null;
    opts.onEpochEnd?.(epoch + 1, valid);
  }
  if (stoppedByTime) opts.onEpochEnd?.(Math.ceil(epochs), opts.valid ? await perplexity(model, vocab, opts.valid) : null);
  model.eval();
  return { steps: step, tokens, seconds: elapsed(), stoppedByTime };
}
