// Training a GPT-2 language model on a text file (character-level from scratch, or fine-tuning a Hugging Face
// GPT-2 folder with its tokenizer): data, model, AdamW, the schedule (step-based, or planned for a time
// budget), the Trainer, then a full validation pass, the exported model, the loss plot and a sample.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { TesseraError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { JsonObject } from '../io/json.js';
import { noGrad } from '../autograd/engine.js';
import { CharCorpus } from '../data/char-corpus.js';
import { readTextCorpus, splitTrainVal } from '../data/corpus.js';
import { LmBatchSource, lmEvalBatches, lmFullPass, type LmBatch } from '../data/lm-batches.js';
import { gpt2Config, type GPT2Config } from '../models/gpt2/config.js';
import { GPT2LMHeadModel } from '../models/gpt2/lm-head.js';
import { AdamW } from '../optim/adam.js';
import { LrScheduler, warmupCosine } from '../optim/schedule.js';
import { BudgetSchedule, type BudgetSchedulePlan } from '../train/budget-schedule.js';
import { LineProgress, defaultProgress, formatDuration, type ProgressReporter } from '../train/progress.js';
import { Trainer, type TrainResult } from '../train/trainer.js';
import { CharTokenizer } from '../tokenizers/char.js';
import { Tokenizer } from '../tokenizers/tokenizer.js';
import { tensor } from '../tensor/tensor.js';
import { generateText } from './gpt-generate.js';
import { cliOutput } from './output.js';

/** Everything a GPT training run is made of (saved as run.json in the run folder). */
export interface GptTrainSettings {
  data: string;
  out: string;
  /** A GPT-2 folder to fine-tune (its tokenizer too); null: a character-level model from scratch. */
  init: string | null;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
  dropout: number;
  batchSize: number;
  gradAccum: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  beta2: number;
  clip: number | null;
  /** Steps to train (null with a time budget: planned from the measured speed). */
  maxSteps: number | null;
  /** Time budget of the whole command in minutes (null: none). */
  minutes: number | null;
  evalEvery: number;
  evalBatches: number;
  checkpointEvery: number | null;
  valFraction: number;
  seed: number;
  device: string;
  sampleTokens: number;
  temperature: number;
  topK: number | null;
}

/** What a finished run reports. */
export interface GptTrainSummary {
  runDir: string;
  device: string;
  params: number;
  steps: number;
  stopReason: TrainResult['reason'];
  trainLoss: number;
  /** Mean loss over the whole validation split (non-overlapping windows of blockSize). */
  valLoss: number;
  valTokens: number;
  tokensPerSecond: number;
  trainSeconds: number;
  totalSeconds: number;
  sample: string;
  files: Record<string, string>;
}

export interface GptTrainIo {
  /** Messages (default stdout). */
  print?: (line: string) => void;
  progress?: ProgressReporter;
  /** Ask the trainer to stop on SIGINT (default true). */
  handleSigint?: boolean;
}

// of a time budget, kept for the final validation pass, export, sample and plot until evaluations have
// measured how long the validation pass will take
const RESERVE_MS = 20_000;
const FIXED_RESERVE_MS = 8_000; // export, plot, sample, and the process around them
const FIRST_PLAN_STEP = 30;

function checkSettings(s: GptTrainSettings): void {
  if (s.nEmbd % s.nHead !== 0) throw new TesseraError(`--n-embd ${s.nEmbd} is not divisible by --n-head ${s.nHead}`);
  if (s.blockSize < 2) throw new TesseraError(`--block-size must be at least 2 (got ${s.blockSize})`);
  if (s.maxSteps === null && s.minutes === null) throw new TesseraError('give --max-steps or --minutes (or both)');
  if (s.minLr > s.lr) throw new TesseraError(`--min-lr ${s.minLr} is above --lr ${s.lr}`);
  if (s.minutes !== null && s.minutes * 60_000 <= RESERVE_MS + 5_000) throw new TesseraError(`--minutes ${s.minutes} leaves no time to train (at least ${(RESERVE_MS + 5_000) / 60_000 + 0.01} minutes)`);
}

/** The data as token ids with the tokenizer that made them. */
function loadData(s: GptTrainSettings, runTokenizer: string | null): { tokenizer: Tokenizer; ids: Int32Array } {
  if (s.init) {
    const tokenizer = Tokenizer.fromDir(s.init);
    return { tokenizer, ids: Int32Array.from(tokenizer.encodeIds(readTextCorpus(s.data))) };
  }
  const tok = runTokenizer ? CharTokenizer.fromFile(runTokenizer) : undefined;
  const corpus = CharCorpus.fromFile(s.data, { tokenizer: tok, valFraction: s.valFraction });
  return { tokenizer: corpus.tokenizer, ids: corpus.ids };
}

function buildModel(s: GptTrainSettings, vocab: number): GPT2LMHeadModel {
  if (s.init) {
    const model = GPT2LMHeadModel.fromPretrained(s.init, { device: s.device });
    if (s.blockSize > model.config.n_positions) throw new TesseraError(`--block-size ${s.blockSize} is longer than n_positions ${model.config.n_positions} of ${s.init}`);
    if (vocab > model.config.vocab_size) throw new TesseraError(`the tokenizer of ${s.init} has ${vocab} tokens, the model ${model.config.vocab_size}`);
    return model;
  }
  const config: GPT2Config = gpt2Config(null, {
    vocab_size: vocab,
    n_positions: s.blockSize,
    n_layer: s.nLayer,
    n_head: s.nHead,
    n_embd: s.nEmbd,
    resid_pdrop: s.dropout,
    embd_pdrop: s.dropout,
    attn_pdrop: s.dropout,
    bos_token_id: null,
    eos_token_id: null,
  });
  return new GPT2LMHeadModel(config, s.device);
}

/** AdamW with weight decay on matrices only (not on biases, LayerNorm or ... 1-d tensors), as nanoGPT. */
function buildOptimizer(model: GPT2LMHeadModel, s: GptTrainSettings): AdamW {
  const params = model.parameters();
  return new AdamW(
    [
      { params: params.filter((p) => p.ndim >= 2), weightDecay: s.weightDecay },
      { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
    ],
    { lr: s.lr, betas: [0.9, s.beta2] },
  );
}

const lmLoss = (model: GPT2LMHeadModel, b: LmBatch) => {
  const loss = model.forward(b.inputIds, { labels: b.labels }).loss;
  if (!loss) throw new TesseraError('the model returned no loss');
  return { loss };
};

/** Mean loss over every window of `ids` (eval mode, no gradients), weighted by predicted tokens. */
export function fullValidationLoss(model: GPT2LMHeadModel, ids: Int32Array, window: number, batchSize: number, device: string): { loss: number; tokens: number } {
  const wasTraining = model.training;
  model.eval();
  let sum = 0;
  let tokens = 0;
  try {
    noGrad(() => {
      for (const b of lmFullPass(ids, window, batchSize, device)) {
        sum += lmLoss(model, b).loss.item() * b.tokens;
        tokens += b.tokens;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  if (tokens === 0) throw new TesseraError(`the validation split has fewer than ${window} tokens`);
  return { loss: sum / tokens, tokens };
}

/** Reads run.json of a run folder being resumed. */
export function readRunSettings(out: string): GptTrainSettings & { plan?: BudgetSchedulePlan } {
  const path = join(out, 'run.json');
  if (!existsSync(path)) throw new TesseraError(`--resume: ${out} has no run.json (not a run folder)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as GptTrainSettings & { plan?: BudgetSchedulePlan };
  } catch {
    throw new TesseraError(`--resume: ${path} is not valid JSON`);
  }
}

/** Trains, evaluates, exports, plots and samples; returns the summary (also written to summary.json). */
export async function trainGpt(settings: GptTrainSettings, opts: { resume?: boolean } & GptTrainIo = {}): Promise<GptTrainSummary> {
  const started = performance.now();
  const print = opts.print ?? ((l: string) => cliOutput.stdout(l + '\n'));
  const s = settings;
  checkSettings(s);
  const runDir = s.out;
  const ckDir = join(runDir, 'checkpoints');
  mkdirSync(runDir, { recursive: true });
  const runTokenizer = opts.resume && existsSync(join(runDir, 'tokenizer.json')) ? join(runDir, 'tokenizer.json') : null;

  const { tokenizer, ids } = loadData(s, runTokenizer);
  const { train, val } = splitTrainVal(ids, s.valFraction);
  if (train.length < s.blockSize + 1) throw new TesseraError(`${s.data}: the training split has ${train.length} tokens, fewer than one window of ${s.blockSize}`);
  if (val.length < s.blockSize) throw new TesseraError(`${s.data}: the validation split has ${val.length} tokens, fewer than one window of ${s.blockSize} (raise --val-fraction)`);
  const vocab = tokenizer.getVocabSize();
  const model = buildModel(s, vocab);
  const optimizer = buildOptimizer(model, s);
  const minRatio = s.minLr / s.lr;
  const deadline = s.minutes !== null ? started + s.minutes * 60_000 : null;
  const budgetMs = deadline !== null ? deadline - performance.now() - RESERVE_MS : null;
  let budget: BudgetSchedule | null = null;
  let scheduler: LrScheduler;
  if (budgetMs !== null) {
    const saved = opts.resume ? readRunSettings(runDir).plan : undefined;
    budget = saved ? new BudgetSchedule(saved) : BudgetSchedule.start(s.warmup, s.maxSteps ?? 1_000_000, minRatio);
    scheduler = new LrScheduler(optimizer, budget.lambda);
  } else {
    scheduler = new LrScheduler(optimizer, warmupCosine(s.warmup, s.maxSteps!, minRatio));
  }
  const runConfig = (): JsonObject => ({ ...(s as unknown as JsonObject), ...(budget ? { plan: budget.plan as unknown as JsonObject } : {}) });
  writeFileAtomic(join(runDir, 'run.json'), JSON.stringify(runConfig(), null, 2) + '\n');
  const tokenizerJson = tokenizer.toString();
  writeFileAtomic(join(runDir, 'tokenizer.json'), tokenizerJson);

  const data = new LmBatchSource(train, { window: s.blockSize, batchSize: s.batchSize, seed: s.seed, device: s.device });
  const evalBatchSize = Math.max(s.batchSize, 16);
  // evaluation speed (predicted tokens per ms), measured on the periodic evaluations
  let evalRate: number | null = null;
  function* timedEval() {
    const t0 = performance.now();
    let tokens = 0;
    for (const b of lmEvalBatches(val, { window: s.blockSize, batchSize: evalBatchSize, seed: s.seed + 1, count: s.evalBatches, device: s.device })) {
      tokens += b.tokens;
      yield b;
    }
    evalRate = tokens / Math.max(1, performance.now() - t0);
  }
  const reserveMs = () => (evalRate === null ? RESERVE_MS : FIXED_RESERVE_MS + (1.15 * val.length) / evalRate);
  const trainer = new Trainer<GPT2LMHeadModel, LmBatch>({
    model,
    optimizer,
    scheduler,
    loss: lmLoss,
    data,
    evalData: timedEval,
    evalEvery: s.evalEvery,
    maxSteps: budget ? Math.min(budget.total, s.maxSteps ?? Infinity) : s.maxSteps!,
    gradAccumSteps: s.gradAccum,
    clipGradNorm: s.clip,
    timeLimitMs: budgetMs,
    checkpointDir: ckDir,
    checkpointEvery: s.checkpointEvery,
    checkpointFiles: { 'tokenizer.json': tokenizerJson },
    metricsPath: join(runDir, 'metrics.jsonl'),
    progress: opts.progress ?? (cliOutput.isTTY() ? defaultProgress(process.stderr) : new LineProgress((l) => cliOutput.stderr(l + '\n'), 50)),
    config: runConfig,
    rngDevices: [s.device],
    onStep: budget
      ? ({ step }) => {
          // plan the number of steps the rest of the budget allows from the speed so far: first after a few
          // steps, then at each evaluation
          if (step - firstStep !== FIRST_PLAN_STEP && step % s.evalEvery !== 0) return;
          const now = performance.now();
          const msPerStep = (now - trainStart) / (step - firstStep);
          const trainUntil = deadline! - reserveMs();
          trainer.timeLimitMs = trainUntil - trainStart;
          // evaluations ahead cost time too
          const evalMs = evalRate === null ? 0 : (s.evalBatches * evalBatchSize * (s.blockSize - 1)) / evalRate;
          const left = Math.floor((trainUntil - now) / (msPerStep + evalMs / s.evalEvery));
          const total = Math.min(step + Math.max(left, 1), s.maxSteps ?? Infinity);
          if (Math.abs(total - budget!.total) > 0.01 * budget!.total) {
            budget!.replan(step, total);
            trainer.maxSteps = budget!.total;
          }
        }
      : undefined,
  });
  if (opts.resume) {
    if (!trainer.resume()) throw new TesseraError(`--resume: no complete checkpoint in ${ckDir}`);
    print(`resuming ${runDir} at step ${trainer.step}`);
  }
  const firstStep = trainer.step;
  const params = model.numParameters();
  print(`training a ${s.init ? `GPT-2 from ${s.init}` : 'character-level GPT'} on ${shortPath(s.data)}: ${params.toLocaleString('en-US')} parameters, vocabulary ${vocab}, ${train.length.toLocaleString('en-US')} training and ${val.length.toLocaleString('en-US')} validation tokens, on ${s.device}`);
  print(`  ${s.nLayer} layers, ${s.nHead} heads, width ${s.nEmbd}, context ${s.blockSize}; batch ${s.batchSize} x ${s.gradAccum}, lr ${s.lr} -> ${s.minLr}${budgetMs !== null ? `; ${formatDuration(budgetMs)} of training time` : `; ${s.maxSteps} steps`}`);

  let onSigint: (() => void) | null = null;
  if (opts.handleSigint ?? true) {
    onSigint = () => {
      print('stopping after this step (interrupt again to quit now)');
      trainer.requestStop();
      process.removeListener('SIGINT', onSigint!);
    };
    process.on('SIGINT', onSigint);
  }
  const trainStart = performance.now();
  let result: TrainResult;
  try {
    result = await trainer.fit();
  } finally {
    if (onSigint) process.removeListener('SIGINT', onSigint);
  }

  const full = fullValidationLoss(model, val, s.blockSize, evalBatchSize * 2, s.device);
  const modelDir = join(runDir, 'model');
  model.savePretrained(modelDir);
  writeFileAtomic(join(modelDir, 'tokenizer.json'), tokenizerJson);
  const { writeLossCurves } = await import('../plot/loss-curve.js'); // loads the charting libraries only here
  const plot = await writeLossCurves(join(runDir, 'metrics.jsonl'), join(runDir, 'loss'), { title: `${s.init ? 'GPT-2' : 'char GPT'} on ${join(basename(dirname(s.data)), basename(s.data))}` });
  model.eval();
  const prompt = s.init ? (model.config.bos_token_id !== null ? [model.config.bos_token_id] : tokenizer.encodeIds('\n')) : tokenizer.encodeIds('\n');
  const sample = s.sampleTokens > 0
    ? generateText(model, tokenizer, prompt, { maxNewTokens: s.sampleTokens, temperature: s.temperature, topK: s.topK ?? undefined, seed: s.seed, device: s.device })
    : '';
  writeFileAtomic(join(runDir, 'sample.txt'), sample);
  const summary: GptTrainSummary = {
    runDir,
    device: s.device,
    params,
    steps: result.step,
    stopReason: result.reason,
    trainLoss: result.lastLoss,
    valLoss: full.loss,
    valTokens: full.tokens,
    tokensPerSecond: result.tokensPerSecond,
    trainSeconds: result.trainMs / 1000,
    totalSeconds: (performance.now() - started) / 1000,
    sample,
    files: {
      checkpoint: result.checkpoint ?? '',
      model: modelDir,
      metrics: join(runDir, 'metrics.jsonl'),
      lossSvg: plot.svg,
      lossPng: plot.png,
      sample: join(runDir, 'sample.txt'),
    },
  };
  writeFileAtomic(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** A path relative to the working folder when it lies inside it. */
function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

/** A summary as the lines the commands print. */
export function summaryLines(r: GptTrainSummary): string[] {
  return [
    `done: ${r.steps} steps (${r.stopReason}) in ${formatDuration(r.trainSeconds * 1000)} of training, ${Math.round(r.tokensPerSecond).toLocaleString('en-US')} tokens/s on ${r.device}; ${formatDuration(r.totalSeconds * 1000)} in all`,
    `train loss ${r.trainLoss.toFixed(4)}, validation loss ${r.valLoss.toFixed(4)} (the whole validation split: ${r.valTokens.toLocaleString('en-US')} predictions)`,
    `checkpoint ${r.files.checkpoint}`,
    `model ${r.files.model} (tessera gpt generate --model ${r.files.model})`,
    `loss plot ${r.files.lossPng} and ${r.files.lossSvg}`,
  ];
}

/** Tensor of one row of ids on a device (for prompts). */
export function idsTensor(ids: readonly number[], device: string) {
  return tensor([ids as number[]], { dtype: 'int64', device });
}
