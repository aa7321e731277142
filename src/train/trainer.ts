// The training loop for any model whose loss function returns { loss }: gradient accumulation, clipping,
// a learning-rate schedule, periodic evaluation, atomic checkpoints with exact resume (model, optimizer,
// schedule, RNG states, data position), a JSONL metrics log, progress, a time limit, and a clear stop on a
// loss that is NaN or infinite.
import { noGrad } from '../autograd/engine.js';
import type { Storage } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { TesseraError } from '../errors.js';
import type { JsonObject, JsonValue } from '../io/json.js';
import type { Module } from '../nn/module.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LrScheduler } from '../optim/schedule.js';
import { stepScope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { loadLatestCheckpoint, saveCheckpoint, type LoadedCheckpoint, type SaveOptions } from './checkpoint.js';
import { MetricsLog } from './metrics-log.js';
import { SilentProgress, type ProgressReporter } from './progress.js';

/** Where training batches come from; its state() is the data position a checkpoint keeps. */
export interface BatchSource<B> {
  next(): B;
  state(): JsonValue;
  setState(state: JsonValue): void;
}

/** Batches may say how many tokens (or samples) they hold, for throughput and loss weighting. */
export interface BatchSize {
  tokens?: number;
  samples?: number;
}

export interface TrainerOptions<M extends Module, B> {
  model: M;
  optimizer: Optimizer;
  scheduler?: LrScheduler | null;
  /** Runs the model on one batch; the returned loss is a 0-d tensor (a mean over the batch). */
  loss: (model: M, batch: B) => { loss: Tensor };
  data: BatchSource<B>;
  /** A fresh iterable of evaluation batches each time it is called. */
  evalData?: (() => Iterable<B>) | null;
  /** Optimizer steps to reach (counting steps done before a resume). */
  maxSteps: number;
  /** Micro-batches per optimizer step (default 1); their losses are averaged. */
  gradAccumSteps?: number;
  /** Evaluate every this many steps (and at the end); null: only at the end. */
  evalEvery?: number | null;
  /** Clip the global gradient norm to this value. */
  clipGradNorm?: number | null;
  /** Stop (after an evaluation and a checkpoint) once this much training time has passed in this call. */
  timeLimitMs?: number | null;
  /** Folder of checkpoints (none are written without it). */
  checkpointDir?: string | null;
  /** Save every this many steps (and at the end); null: only at the end. */
  checkpointEvery?: number | null;
  /** Complete checkpoints kept (default 2). */
  keepCheckpoints?: number;
  /** Extra files stored in each checkpoint (a tokenizer.json, ...). */
  checkpointFiles?: Record<string, string | Uint8Array>;
  /** JSONL metrics log (on a resume, lines past the checkpoint's step are dropped). */
  metricsPath?: string | null;
  progress?: ProgressReporter | null;
  /** The run's configuration, stored in checkpoints (a function is called at each save). */
  config?: JsonObject | (() => JsonObject);
  /** Called after every optimizer step (before evaluation and saving); may change maxSteps. */
  onStep?: (info: { step: number; loss: number; elapsedMs: number }) => void;
  /** Called after every evaluation with its mean loss. */
  onEvaluate?: (info: { step: number; valLoss: number }) => void;
  /** Called after every checkpoint save with the folder written (to export a model beside it, for example). */
  onCheckpoint?: (info: { step: number; path: string }) => void;
  /** Devices whose generator state a checkpoint keeps (default: the model's). */
  rngDevices?: string[];
  /** Called at each stage of a checkpoint save (tests crash saves with it). */
  onCheckpointStage?: SaveOptions['onStage'];
}

/** Why fit() returned. */
export type StopReason = 'max-steps' | 'time-limit' | 'stopped';

export interface TrainResult {
  step: number;
  reason: StopReason;
  /** Mean training loss of the last step. */
  lastLoss: number;
  /** The last evaluation (null without evaluation data). */
  valLoss: number | null;
  bestValLoss: number | null;
  /** The last checkpoint folder written (or loaded), if any. */
  checkpoint: string | null;
  tokensPerSecond: number;
  trainMs: number;
}

/** A loss that is NaN or infinite: training stops there. */
export class NonFiniteLossError extends TesseraError {
  constructor(readonly step: number, readonly value: number, detail: string) {
    super(`the loss is ${Number.isNaN(value) ? 'NaN' : value > 0 ? '+Infinity' : '-Infinity'} at step ${step}${detail}; training stopped (lower the learning rate, clip gradients or check the data)`);
    this.name = 'NonFiniteLossError';
  }
}

interface Totals {
  tokens: number;
  samples: number;
  trainMs: number;
  bestValLoss: number | null;
  lastValLoss: number | null;
}

/**
 * Frees the storages of tensors only the Trainer holds (gradients it replaced or dropped), each once, except
 * those a gradient it does not drop shares (a parameter outside the optimizer that still requires grad: one
 * matmul's gradient may hold several parameters' gradients as views).
 */
function releaseStorages(ts: readonly (Tensor | null)[], stillHeld: ReadonlySet<Storage>): void {
  const seen = new Set<Storage>(stillHeld);
  for (const t of ts) {
    if (!t || seen.has(t.storage)) continue;
    seen.add(t.storage);
    t.backend.release?.(t.storage);
  }
}

export class Trainer<M extends Module, B extends object> {
  /** Optimizer steps taken. */
  step = 0;
  /** Steps to reach; may be changed while training (a re-planned time budget). */
  maxSteps: number;
  /** Training time allowed to fit() (null: none); may be changed while training. */
  timeLimitMs: number | null;
  /** Mean training loss of every step this trainer ran (index 0 = the first step after construction or resume). */
  readonly losses: { step: number; loss: number }[] = [];
  private readonly opts: TrainerOptions<M, B>;
  private totals: Totals = { tokens: 0, samples: 0, trainMs: 0, bestValLoss: null, lastValLoss: null };
  private resumedFrom: number | null = null;
  private lastCheckpoint: string | null = null;
  private stopRequested = false;

  constructor(opts: TrainerOptions<M, B>) {
    const k = opts.gradAccumSteps ?? 1;
    if (!Number.isInteger(k) || k < 1) throw new TesseraError(`gradAccumSteps must be a positive integer, got ${k}`);
    if (!Number.isInteger(opts.maxSteps) || opts.maxSteps < 0) throw new TesseraError(`maxSteps must be a non-negative integer, got ${opts.maxSteps}`);
    for (const key of ['evalEvery', 'checkpointEvery'] as const) {
      const v = opts[key];
      if (v != null && (!Number.isInteger(v) || v < 1)) throw new TesseraError(`${key} must be a positive integer, got ${v}`);
    }
    this.opts = opts;
    this.maxSteps = opts.maxSteps;
    this.timeLimitMs = opts.timeLimitMs ?? null;
  }

  /** Asks fit() to stop after the current step (it still evaluates and saves). */
  requestStop(): void {
    this.stopRequested = true;
  }

  /**
   * Restores the newest complete checkpoint of `checkpointDir` (or the one given): model, optimizer,
   * schedule, generator states, data position and step. Returns false when there is none.
   */
  resume(from?: LoadedCheckpoint | null): boolean {
    const ck = from ?? (this.opts.checkpointDir ? loadLatestCheckpoint(this.opts.checkpointDir, this.deviceOfModel()) : null);
    if (!ck) return false;
    const { model, optimizer, scheduler, data } = this.opts;
    model.loadStateDict(ck.model);
    const params = optimizer.params;
    const perParam: Record<string, Tensor>[] = params.map(() => ({}));
    for (const [key, t] of ck.optimizer) {
      const dot = key.indexOf('.');
      const i = Number(key.slice(0, dot));
      if (dot < 0 || !Number.isInteger(i) || i < 0 || i >= params.length) throw new TesseraError(`${ck.path}: optimizer tensor '${key}' does not match the optimizer's ${params.length} parameters`);
      perParam[i]![key.slice(dot + 1)] = t;
    }
    optimizer.loadStateDict({ step: ck.state.optimizer.step, lrs: ck.state.optimizer.lrs, perParam });
    if (scheduler && ck.state.scheduler) scheduler.loadStateDict(ck.state.scheduler);
    for (const [device, state] of Object.entries(ck.state.rng)) getBackend(device).setRngState(state);
    data.setState(ck.state.data);
    this.step = ck.state.step;
    const t = ck.state.totals as Partial<Record<keyof Totals, number | null>>;
    this.totals = {
      tokens: t.tokens ?? 0,
      samples: t.samples ?? 0,
      trainMs: t.trainMs ?? 0,
      bestValLoss: t.bestValLoss ?? null,
      lastValLoss: t.lastValLoss ?? null,
    };
    this.resumedFrom = this.step;
    this.lastCheckpoint = ck.path;
    return true;
  }

  /** Mean loss over the evaluation batches (weighted by their tokens or samples), in eval mode without gradients. */
  evaluate(): number {
    const evalData = this.opts.evalData;
    if (!evalData) throw new TesseraError('evaluate: the trainer has no evaluation data');
    const { model, loss } = this.opts;
    const wasTraining = model.training;
    model.eval();
    let sum = 0;
    let weight = 0;
    try {
      noGrad(() => {
        for (const batch of evalData()) {
          const w = weightOf(batch);
          sum += loss(model, batch).loss.item() * w;
          weight += w;
        }
      });
    } finally {
      model.train(wasTraining);
    }
    if (weight === 0) throw new TesseraError('evaluate: the evaluation data gave no batches');
    return sum / weight;
  }

  /** Trains until maxSteps (or the time limit, or requestStop()); evaluates and saves at the end. */
  async fit(): Promise<TrainResult> {
    const o = this.opts;
    const k = o.gradAccumSteps ?? 1;
    const progress = o.progress ?? new SilentProgress();
    const metrics = o.metricsPath ? MetricsLog.open(o.metricsPath, this.resumedFrom !== null ? { keepUpToStep: this.resumedFrom } : {}) : null;
    const params = o.optimizer.params;
    const inOptimizer = new Set(params);
    const others = o.model.parameters().filter((p) => !inOptimizer.has(p));
    /** Storages of the gradients of parameters the optimizer does not own (kept when its own are freed). */
    const heldElsewhere = (): Set<Storage> => new Set(others.flatMap((p) => (p.grad ? [p.grad.storage] : [])));
    o.model.train();
    const sessionStart = performance.now();
    const startStep = this.step;
    let sessionTokens = 0;
    let sessionSamples = 0;
    let lastLoss = NaN;
    let lastEvalStep = -1;
    let lastSaveStep = this.resumedFrom ?? -1;
    let reason: StopReason = 'max-steps';
    const trainMsBefore = this.totals.trainMs;
    const elapsed = () => performance.now() - sessionStart;

    const runEval = () => {
      const v = this.evaluate();
      this.totals.lastValLoss = v;
      if (this.totals.bestValLoss === null || v < this.totals.bestValLoss) this.totals.bestValLoss = v;
      lastEvalStep = this.step;
      metrics?.write({ kind: 'eval', step: this.step, val_loss: v, elapsed_s: (trainMsBefore + elapsed()) / 1000 });
      o.onEvaluate?.({ step: this.step, valLoss: v });
      return v;
    };
    const save = () => {
      if (!o.checkpointDir) return;
      this.totals.trainMs = trainMsBefore + elapsed();
      this.lastCheckpoint = saveCheckpoint(o.checkpointDir, this.checkpointContent(), { keep: o.keepCheckpoints, onStage: o.onCheckpointStage });
      lastSaveStep = this.step;
      metrics?.write({ kind: 'checkpoint', step: this.step, path: this.lastCheckpoint });
      o.onCheckpoint?.({ step: this.step, path: this.lastCheckpoint });
    };

    progress.start(this.maxSteps, this.step);
    try {
      while (this.step < this.maxSteps) {
        if (this.stopRequested) {
          reason = 'stopped';
          break;
        }
        let lossSum = 0;
        for (let i = 0; i < k; i++) {
          const batch = o.data.next();
          // the micro-batch's forward and backward in a step scope: once backward has run, its activations
          // are freed at once instead of waiting for a garbage collection (gradients stay)
          const value = stepScope(() => {
            const loss = o.loss(o.model, batch).loss;
            const v = loss.item();
            if (Number.isFinite(v)) (k > 1 ? loss.div(k) : loss).backward();
            return v;
          });
          if (!Number.isFinite(value)) {
            o.optimizer.zeroGrad();
            metrics?.write({ kind: 'error', step: this.step + 1, loss: null, message: 'non-finite loss' });
            const where = k > 1 ? ` (micro-batch ${i + 1} of ${k})` : '';
            const last = this.lastCheckpoint ? `; the last checkpoint is ${this.lastCheckpoint}` : '';
            throw new NonFiniteLossError(this.step + 1, value, where + last);
          }
          lossSum += value;
          const size = sizeOf(batch);
          sessionTokens += size.tokens ?? 0;
          sessionSamples += size.samples ?? 0;
          this.totals.tokens += size.tokens ?? 0;
          this.totals.samples += size.samples ?? 0;
        }
        if (o.clipGradNorm != null) {
          const unclipped = params.map((p) => p.grad);
          clipGradNorm(params, o.clipGradNorm);
          releaseStorages(unclipped.filter((g, j) => g !== params[j]!.grad), heldElsewhere());
        }
        const lr = o.optimizer.groups[0]?.lr ?? 0;
        o.optimizer.step();
        o.scheduler?.step();
        // the gradients are the Trainer's own (made by its backward): their memory goes back at once
        const grads = params.map((p) => p.grad);
        o.optimizer.zeroGrad();
        releaseStorages(grads, heldElsewhere());
        this.step++;
        lastLoss = lossSum / k;
        this.losses.push({ step: this.step, loss: lastLoss });
        o.onStep?.({ step: this.step, loss: lastLoss, elapsedMs: elapsed() });

        const ms = elapsed();
        const useTokens = sessionTokens > 0;
        const rate = ((useTokens ? sessionTokens : sessionSamples) / Math.max(ms, 1e-3)) * 1000;
        metrics?.write({
          kind: 'train',
          step: this.step,
          loss: lastLoss,
          lr,
          [useTokens ? 'tokens_per_s' : 'samples_per_s']: rate,
          elapsed_s: (trainMsBefore + ms) / 1000,
        });
        let valLoss: number | null = null;
        if (o.evalData && o.evalEvery && this.step % o.evalEvery === 0) valLoss = runEval();
        if (o.checkpointDir && o.checkpointEvery && this.step % o.checkpointEvery === 0) save();

        const msPerStep = elapsed() / (this.step - startStep);
        let eta: number | null = msPerStep * (this.maxSteps - this.step);
        if (this.timeLimitMs !== null) eta = Math.min(eta, Math.max(0, this.timeLimitMs - elapsed()));
        progress.update({
          step: this.step,
          totalSteps: this.maxSteps,
          loss: lastLoss,
          lr,
          rate,
          rateUnit: useTokens ? 'tok' : 'samples',
          valLoss,
          elapsedMs: trainMsBefore + elapsed(),
          etaMs: eta,
        });
        if (this.timeLimitMs !== null && elapsed() >= this.timeLimitMs && this.step < this.maxSteps) {
          reason = 'time-limit';
          break;
        }
        // let signals and timers run between steps
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (o.evalData && lastEvalStep !== this.step && this.step > startStep) runEval();
      if (o.checkpointDir && lastSaveStep !== this.step) save();
    } finally {
      progress.stop();
    }
    const trainMs = elapsed();
    this.totals.trainMs = trainMsBefore + trainMs;
    return {
      step: this.step,
      reason,
      lastLoss,
      valLoss: this.totals.lastValLoss,
      bestValLoss: this.totals.bestValLoss,
      checkpoint: this.lastCheckpoint,
      tokensPerSecond: (sessionTokens / Math.max(trainMs, 1e-3)) * 1000,
      trainMs,
    };
  }

  private deviceOfModel(): string | undefined {
    return this.opts.model.parameters()[0]?.device;
  }

  private checkpointContent() {
    const { model, optimizer, scheduler, data, config } = this.opts;
    const opt = optimizer.stateDict();
    const optTensors = new Map<string, Tensor>();
    opt.perParam.forEach((st, i) => {
      for (const [name, t] of Object.entries(st)) optTensors.set(`${i}.${name}`, t);
    });
    const devices = this.opts.rngDevices ?? [...new Set(model.parameters().map((p) => p.device))];
    const rng: Record<string, number[]> = {};
    for (const d of devices) rng[d] = getBackend(d).getRngState();
    return {
      state: {
        step: this.step,
        config: typeof config === 'function' ? config() : (config ?? {}),
        optimizer: { step: opt.step, lrs: opt.lrs },
        scheduler: scheduler ? scheduler.stateDict() : null,
        rng,
        data: data.state(),
        totals: { ...this.totals } as unknown as JsonObject,
      },
      model: model.stateDict(),
      optimizer: optTensors,
      extraFiles: this.opts.checkpointFiles,
    };
  }
}

function sizeOf(batch: object): BatchSize {
  const b = batch as BatchSize;
  return { tokens: typeof b.tokens === 'number' ? b.tokens : undefined, samples: typeof b.samples === 'number' ? b.samples : undefined };
}

function weightOf(batch: object): number {
  const s = sizeOf(batch);
  return s.tokens ?? s.samples ?? 1;
}
