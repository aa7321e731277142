// Training of the ELMo language model on the project's Trainer: an epoch-wise batch source (length-bucketed,
// shuffled per epoch, resumable), Adam with warmup and a cosine decay re-planned for a time budget, per-direction
// perplexities in the progress lines, the full-softmax perplexity of validation text after every epoch.
import { TesseraError } from '../../errors.js';
import type { JsonValue } from '../../io/json.js';
import { Adam } from '../../optim/adam.js';
import { LrScheduler } from '../../optim/schedule.js';
import { inferenceScope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { BudgetSchedule, type BudgetSchedulePlan } from '../../train/budget-schedule.js';
import { findLatestCheckpoint } from '../../train/checkpoint.js';
import type { ProgressReporter } from '../../train/progress.js';
import { Trainer, type BatchSource } from '../../train/trainer.js';
import { chunkSentences, encodeBatch, makeBatches, seededRandom } from './data.js';
import type { ElmoPerplexity } from './evaluate.js';
import type { ElmoLanguageModel } from './model.js';
import type { ElmoVocabulary } from './vocab.js';

export interface ElmoTrainOptions {
  /** Passes over the training sentences, may be fractional (default 1). */
  epochs?: number;
  /** Stop after this many seconds of training (checked between steps; default: no limit). */
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
  /** Sentences for a (full-softmax) perplexity check after every epoch and at the end. */
  valid?: readonly (readonly string[])[];
  /** Padded tokens per validation batch (default 4096). */
  validMaxTokens?: number;
  /** Folder of training checkpoints (model, optimizer, schedule, generators, data position); none without it. */
  checkpointDir?: string | null;
  /** Save a checkpoint every this many steps (default: after every epoch) and at the end. */
  checkpointEvery?: number | null;
  /** Continue from the newest checkpoint of checkpointDir (the same corpus and options are expected). */
  resume?: boolean;
  /** The Trainer's progress display (default: none). */
  progress?: ProgressReporter | null;
  /** JSONL metrics log. */
  metricsPath?: string | null;
  /** Files stored with every checkpoint (vocab.txt, ...). */
  checkpointFiles?: Record<string, string | Uint8Array>;
  /** Checked after every step: true stops the run there (it still evaluates and saves), as an interrupt would. */
  shouldStop?: (step: number) => boolean;
  onLog?: (p: ElmoTrainProgress) => void;
  onEpochEnd?: (epoch: number, valid: ElmoPerplexity | null) => void;
  /** After every checkpoint save: the step, the folder, and the epochs done (step / batches per epoch). */
  onCheckpoint?: (info: { step: number; path: string; epochs: number }) => void;
}

export interface ElmoTrainProgress {
  epoch: number;
  step: number;
  /** Steps the run plans to take (re-planned under a time limit). */
  totalSteps: number;
  /** Mean training loss (mean of both directions' per-token NLL) since the last report. */
  loss: number;
  /** exp of each direction's mean training loss since the last report (the sampled estimate with a sampled softmax). */
  forwardPerplexity: number;
  backwardPerplexity: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  lr: number;
}

export interface ElmoTrainResult {
  steps: number;
  /** Predicted tokens per direction seen in training (by this call). */
  tokens: number;
  seconds: number;
  /** True when maxSeconds ended the run before the planned steps. */
  stoppedByTime: boolean;
  /** The last checkpoint folder (null without checkpointDir). */
  checkpoint: string | null;
}

/** A batch of sentences encoded for the model; `tokens` are its predicted tokens per direction. */
export interface ElmoBatch {
  ids: Tensor;
  lengths: number[];
  wordIds: number[][];
  tokens: number;
}

/**
 * Training batches epoch after epoch: epoch e is makeBatches over the pieces shuffled by seededRandom(seed + e),
 * so the data position is just (epoch, index). The state also keeps the sampled softmax's generator.
 */
export class ElmoBatchSource implements BatchSource<ElmoBatch> {
  epoch = 0;
  index = 0;
  private batches: string[][][];
  private readonly device: string;

  constructor(
    private readonly model: ElmoLanguageModel,
    private readonly vocab: ElmoVocabulary,
    private readonly pieces: readonly string[][],
    private readonly maxTokens: number,
    private readonly seed: number,
  ) {
    this.device = model.softmax.softmaxB.device;
    this.batches = this.epochBatches(0);
  }

  /** Batches per epoch. */
  get perEpoch(): number {
    return this.batches.length;
  }

  private epochBatches(epoch: number): string[][][] {
    return makeBatches(this.pieces, { maxTokens: this.maxTokens, random: seededRandom(this.seed + epoch) });
  }

  next(): ElmoBatch {
    if (this.index >= this.batches.length) {
      this.epoch++;
      this.index = 0;
      this.batches = this.epochBatches(this.epoch);
    }
    const sentences = this.batches[this.index++]!;
    const enc = encodeBatch(sentences, this.vocab, this.model.config.char_cnn.max_characters_per_token, this.device);
    return { ...enc, tokens: enc.lengths.reduce((s, len) => s + len - 1, 0) };
  }

  state(): JsonValue {
    return { epoch: this.epoch, index: this.index, sampler: this.model.sampler ? this.model.sampler.state : null };
  }

  setState(state: JsonValue): void {
    const s = state as { epoch?: unknown; index?: unknown; sampler?: unknown };
    if (!Number.isInteger(s.epoch) || !Number.isInteger(s.index)) throw new TesseraError(`ELMo checkpoint: data position ${JSON.stringify(state)} is not { epoch, index }`);
    this.epoch = s.epoch as number;
    this.index = s.index as number;
    this.batches = this.epochBatches(this.epoch);
    if (this.model.sampler && typeof s.sampler === 'number') this.model.sampler.state = s.sampler;
  }
}

/** Evaluation batches of whole sentences (no truncation), boundaries included. */
function* evalBatches(model: ElmoLanguageModel, vocab: ElmoVocabulary, sentences: readonly (readonly string[])[], maxTokens: number): Generator<ElmoBatch> {
  const device = model.softmax.softmaxB.device;
  for (const batch of makeBatches(sentences, { maxTokens })) {
    const enc = encodeBatch(batch, vocab, model.config.char_cnn.max_characters_per_token, device);
    yield { ...enc, tokens: enc.lengths.reduce((s, len) => s + len - 1, 0) };
  }
}

/**
 * Trains `model` in place on tokenized sentences with the Trainer. The loss is the mean of the forward and
 * backward per-token NLL (the sampled softmax's estimate when the config asks for it; validation always uses
 * the full softmax). The model is left in eval mode.
 */
export async function trainElmo(model: ElmoLanguageModel, vocab: ElmoVocabulary, sentences: readonly (readonly string[])[], opts: ElmoTrainOptions = {}): Promise<ElmoTrainResult> {
  const epochs = opts.epochs ?? 1;
  const maxTokens = opts.maxTokens ?? 1024;
  const maxLength = opts.maxLength ?? 40;
  const lr = opts.lr ?? 2e-3;
  const warmup = opts.warmupSteps ?? 100;
  const clipNorm = opts.clipNorm ?? 5;
  const logEvery = opts.logEvery ?? 50;
  const maxSeconds = opts.maxSeconds ?? null;
  if (!(epochs > 0)) throw new TesseraError(`epochs must be positive, got ${epochs}`);
  if (maxSeconds !== null && !(maxSeconds > 0)) throw new TesseraError(`maxSeconds must be positive, got ${maxSeconds}`);
  if (vocab.size !== model.config.vocab_size) throw new TesseraError(`the vocabulary has ${vocab.size} words but the model's softmax ${model.config.vocab_size}`);
  if (maxTokens < maxLength + 2) throw new TesseraError(`maxTokens ${maxTokens} cannot hold one sentence of maxLength ${maxLength} (+2 boundaries)`);
  if (opts.resume && !opts.checkpointDir) throw new TesseraError('resume needs a checkpointDir');
  const data = new ElmoBatchSource(model, vocab, chunkSentences(sentences, maxLength), maxTokens, opts.seed ?? 1);
  const perEpoch = data.perEpoch;
  const plannedSteps = Math.max(1, Math.ceil(perEpoch * epochs));
  const optimizer = new Adam(model.parameters(), { lr });
  // warmup, then half a cosine to 10% of the peak at the planned end; under a time limit the end is re-planned
  // (a resumed run continues the plan its checkpoint kept)
  const resumeFrom = opts.resume ? findLatestCheckpoint(opts.checkpointDir!) : null;
  if (opts.resume && !resumeFrom) throw new TesseraError(`resume: no complete checkpoint in ${opts.checkpointDir}`);
  const savedPlan = (resumeFrom?.state.config as { plan?: BudgetSchedulePlan } | undefined)?.plan;
  const budget = savedPlan ? new BudgetSchedule(savedPlan) : BudgetSchedule.start(Math.min(warmup, plannedSteps - 1), plannedSteps, 0.1);
  const scheduler = new LrScheduler(optimizer, budget.lambda);

  // per-direction sums of the training losses since the last report, and of the evaluation
  let win = { loss: 0, fwd: 0, bwd: 0, tokens: 0, steps: 0, start: 0 };
  let evalSums = { fwd: 0, bwd: 0, tokens: 0 };
  let trainTokens = 0;
  // evaluation runs without gradients: inferenceScope frees each batch's intermediates at once
  const lossFn = (m: ElmoLanguageModel, batch: ElmoBatch) => inferenceScope(() => {
    const out = m.forward(batch.ids, batch.lengths, batch.wordIds);
    if (m.training) {
      win.fwd += out.forwardLoss.item();
      win.bwd += out.backwardLoss.item();
      win.tokens += out.forwardTokens;
      trainTokens += out.forwardTokens;
    } else {
      evalSums.fwd += out.forwardLoss.item();
      evalSums.bwd += out.backwardLoss.item();
      evalSums.tokens += out.forwardTokens;
    }
    return { loss: out.loss };
  });
  const valid = opts.valid ?? null;
  const validMaxTokens = opts.validMaxTokens ?? 4096;
  const evalData = valid ? () => {
    evalSums = { fwd: 0, bwd: 0, tokens: 0 };
    return evalBatches(model, vocab, valid, validMaxTokens);
  } : null;
  let firstStep = 0;
  let trainStart = 0;
  let epochsEnded = 0;
  const trainer = new Trainer<ElmoLanguageModel, ElmoBatch>({
    model,
    optimizer,
    scheduler,
    loss: lossFn,
    data,
    evalData,
    evalEvery: perEpoch,
    maxSteps: plannedSteps,
    clipGradNorm: clipNorm > 0 ? clipNorm : null,
    timeLimitMs: maxSeconds === null ? null : maxSeconds * 1000,
    checkpointDir: opts.checkpointDir ?? null,
    checkpointEvery: opts.checkpointEvery ?? perEpoch,
    checkpointFiles: opts.checkpointFiles,
    metricsPath: opts.metricsPath ?? null,
    progress: opts.progress ?? null,
    config: () => ({ epochs, maxTokens, maxLength, lr, warmup, clipNorm, seed: opts.seed ?? 1, plan: budget.plan as unknown as JsonValue }),
    onStep: ({ step, loss }) => {
      win.loss += loss;
      win.steps++;
      const now = (performance.now() - trainStart) / 1000;
      if (opts.onLog && (step % logEvery === 0 || step === trainer.maxSteps)) {
        opts.onLog({
          epoch: data.epoch + 1, step, totalSteps: trainer.maxSteps, loss: win.loss / win.steps,
          forwardPerplexity: Math.exp(win.fwd / win.tokens), backwardPerplexity: Math.exp(win.bwd / win.tokens),
          tokensPerSecond: win.tokens / Math.max(1e-9, now - win.start), elapsedSeconds: now, lr: optimizer.groups[0]!.lr,
        });
        win = { loss: 0, fwd: 0, bwd: 0, tokens: 0, steps: 0, start: now };
      }
      // under a time limit, plan the cosine's end from the speed so far (after 20 steps, then every 100)
      const done = step - firstStep;
      if (maxSeconds !== null && done >= 20 && (done === 20 || done % 100 === 0)) {
        const msPerStep = (performance.now() - trainStart) / done;
        const left = Math.floor((maxSeconds * 1000 - (performance.now() - trainStart)) / msPerStep);
        const total = Math.min(plannedSteps, step + Math.max(1, left));
        if (Math.abs(total - budget.total) > 0.01 * budget.total) {
          budget.replan(step, total);
          trainer.maxSteps = Math.min(plannedSteps, budget.total);
        }
      }
      if (!valid && step % perEpoch === 0) opts.onEpochEnd?.(step / perEpoch, null);
      if (opts.shouldStop?.(step)) trainer.requestStop();
    },
    onEvaluate: ({ step }) => {
      const ppl: ElmoPerplexity = { forward: Math.exp(evalSums.fwd / evalSums.tokens), backward: Math.exp(evalSums.bwd / evalSums.tokens), tokens: evalSums.tokens };
      epochsEnded = Math.max(epochsEnded + 1, Math.ceil(step / perEpoch));
      opts.onEpochEnd?.(epochsEnded, ppl);
    },
    onCheckpoint: ({ step, path }) => opts.onCheckpoint?.({ step, path, epochs: step / perEpoch }),
  });
  if (opts.resume) {
    if (!trainer.resume()) throw new TesseraError(`resume: no complete checkpoint in ${opts.checkpointDir}`);
    // more (or fewer) epochs than the checkpointed run planned: the cosine is re-planned to end there, or, when
    // the saved plan had already ended, training goes on at its final learning rate
    if (maxSeconds === null && plannedSteps !== budget.total && plannedSteps > trainer.step) {
      if (budget.progressAt(trainer.step) < 1) budget.replan(trainer.step, plannedSteps);
      else budget.plan.revisions.push({ step: trainer.step, progress: 1, total: plannedSteps });
    }
    trainer.maxSteps = Math.min(plannedSteps, budget.total);
    epochsEnded = Math.floor(trainer.step / perEpoch);
  }
  firstStep = trainer.step;
  trainStart = performance.now();
  const result = await trainer.fit();
  model.eval();
  return {
    steps: result.step,
    tokens: trainTokens,
    seconds: result.trainMs / 1000,
    stoppedByTime: result.reason === 'time-limit',
    checkpoint: result.checkpoint,
  };
}
