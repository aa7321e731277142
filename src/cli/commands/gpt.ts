// `tessera gpt train` (a GPT-2 language model on a text file: character-level from scratch, or fine-tuning a
// GPT-2 folder) and `tessera gpt generate` (text from a GPT-2 folder or a training run).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { TesseraError } from '../../errors.js';
import { GPT2LMHeadModel } from '../../models/gpt2/lm-head.js';
import { Tokenizer } from '../../tokenizers/tokenizer.js';
import { generateText } from '../gpt-generate.js';
import { cliOutput } from '../output.js';
import { readRunSettings, summaryLines, trainGpt, type GptTrainSettings } from '../gpt-train.js';
import { setNumThreads } from '../../backend/cpu/index.js';
import { applySeed, checkDir, checkFile, deviceAndSeedOptions, parseIntOption, parseNumberOption, required, resolveDevice, withConfigFile } from '../options.js';

/** Option values as commander gives them (strings; from --config possibly numbers). */
export interface GptTrainOptions {
  data?: string;
  out?: string;
  init?: string;
  nLayer?: string;
  nHead?: string;
  nEmbd?: string;
  blockSize?: string;
  dropout?: string;
  batchSize?: string;
  gradAccum?: string;
  lr?: string;
  minLr?: string;
  warmup?: string;
  weightDecay?: string;
  beta2?: string;
  clip?: string;
  maxSteps?: string;
  minutes?: string;
  evalEvery?: string;
  evalBatches?: string;
  checkpointEvery?: string;
  valFraction?: string;
  sampleTokens?: string;
  temperature?: string;
  topK?: string;
  resume?: boolean;
  threads?: string;
  device?: string;
  seed?: string;
}

/** Defaults of `gpt train` (nanoGPT's small character-level recipe). */
export const GPT_TRAIN_DEFAULTS = {
  out: 'runs/gpt',
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  blockSize: 64,
  dropout: 0,
  batchSize: 12,
  gradAccum: 1,
  lr: 1e-3,
  minLr: 1e-4,
  warmup: 100,
  weightDecay: 0.1,
  beta2: 0.99,
  clip: 1,
  maxSteps: 2000,
  evalEvery: 250,
  evalBatches: 20,
  checkpointEvery: 500,
  valFraction: 0.1,
  sampleTokens: 500,
  temperature: 0.8,
};

/** Defaults of a training command (those of `start` differ). */
export type TrainDefaults = Omit<typeof GPT_TRAIN_DEFAULTS, 'maxSteps'> & { maxSteps: number | null; data?: string; maxStepsText?: string; threads?: number; threadsText?: string };

/** Adds the training options to a command; `defaults` are shown in the help. */
export function trainOptions(cmd: Command, d: TrainDefaults): Command {
  return cmd
    .option('--out <dir>', `run folder: checkpoints, metrics, plots, the model (default ${d.out})`)
    .option('--init <dir>', 'fine-tune this GPT-2 folder (config.json, model.safetensors, its tokenizer) instead of a character-level model')
    .option('--n-layer <n>', `transformer blocks (default ${d.nLayer})`)
    .option('--n-head <n>', `attention heads (default ${d.nHead})`)
    .option('--n-embd <n>', `width (default ${d.nEmbd})`)
    .option('--block-size <n>', `context length in tokens (default ${d.blockSize})`)
    .option('--dropout <p>', `dropout (default ${d.dropout})`)
    .option('--batch-size <n>', `sequences per micro-batch (default ${d.batchSize})`)
    .option('--grad-accum <n>', `micro-batches per optimizer step (default ${d.gradAccum})`)
    .option('--lr <x>', `peak learning rate (default ${d.lr})`)
    .option('--min-lr <x>', `final learning rate (default ${d.minLr})`)
    .option('--warmup <n>', `warmup steps (default ${d.warmup})`)
    .option('--weight-decay <x>', `AdamW weight decay of the matrices (default ${d.weightDecay})`)
    .option('--beta2 <x>', `AdamW beta2 (default ${d.beta2})`)
    .option('--clip <x>', `clip the gradient norm, 0 = off (default ${d.clip})`)
    .option('--max-steps <n>', `optimizer steps (default ${d.maxStepsText ?? d.maxSteps})`)
    .option('--minutes <m>', 'time budget of the command: the number of steps is planned from the measured speed')
    .option('--eval-every <n>', `evaluate every n steps (default ${d.evalEvery})`)
    .option('--eval-batches <n>', `validation batches per evaluation (default ${d.evalBatches})`)
    .option('--checkpoint-every <n>', `save every n steps, 0 = only at the end (default ${d.checkpointEvery})`)
    .option('--val-fraction <x>', `tail of the text kept for validation (default ${d.valFraction})`)
    .option('--sample-tokens <n>', `tokens to sample at the end (default ${d.sampleTokens})`)
    .option('--temperature <x>', `sampling temperature (default ${d.temperature})`)
    .option('--top-k <n>', 'sample from the k most likely tokens')
    .option('--threads <n>', `threads of the native cpu device (default ${d.threadsText ?? 'all cores'})`)
    .option('--resume', 'continue the run in --out from its latest checkpoint (its run.json settings; --minutes and --max-steps may change)');
}

/** Turns option strings into checked settings, on top of `defaults`. */
export function gptTrainSettings(o: GptTrainOptions, defaults: TrainDefaults, device: string, seed: number): GptTrainSettings {
  const int = (v: string | undefined, flag: string, def: number, min = 1) => (v === undefined ? def : parseIntOption(v, flag, { min }));
  const num = (v: string | undefined, flag: string, def: number, range: { min?: number; max?: number; above?: number } = {}) => (v === undefined ? def : parseNumberOption(v, flag, range));
  const data = checkFile(required(o.data ?? defaults.data, '--data'), '--data');
  const init = o.init !== undefined ? checkDir(o.init, '--init') : null;
  const clip = num(o.clip, '--clip', defaults.clip, { min: 0 });
  const checkpointEvery = int(o.checkpointEvery, '--checkpoint-every', defaults.checkpointEvery, 0);
  const topK = o.topK === undefined ? null : parseIntOption(o.topK, '--top-k', { min: 1 });
  const maxSteps = o.maxSteps === undefined ? defaults.maxSteps : parseIntOption(o.maxSteps, '--max-steps', { min: 1 });
  return {
    data,
    out: o.out ?? defaults.out,
    init,
    nLayer: int(o.nLayer, '--n-layer', defaults.nLayer),
    nHead: int(o.nHead, '--n-head', defaults.nHead),
    nEmbd: int(o.nEmbd, '--n-embd', defaults.nEmbd),
    blockSize: int(o.blockSize, '--block-size', defaults.blockSize, 2),
    dropout: num(o.dropout, '--dropout', defaults.dropout, { min: 0, max: 0.99 }),
    batchSize: int(o.batchSize, '--batch-size', defaults.batchSize),
    gradAccum: int(o.gradAccum, '--grad-accum', defaults.gradAccum),
    lr: num(o.lr, '--lr', defaults.lr, { above: 0 }),
    minLr: num(o.minLr, '--min-lr', defaults.minLr, { min: 0 }),
    warmup: int(o.warmup, '--warmup', defaults.warmup, 0),
    weightDecay: num(o.weightDecay, '--weight-decay', defaults.weightDecay, { min: 0 }),
    beta2: num(o.beta2, '--beta2', defaults.beta2, { above: 0, max: 0.99999 }),
    clip: clip === 0 ? null : clip,
    maxSteps,
    minutes: o.minutes === undefined ? null : parseNumberOption(o.minutes, '--minutes', { above: 0 }),
    evalEvery: int(o.evalEvery, '--eval-every', defaults.evalEvery),
    evalBatches: int(o.evalBatches, '--eval-batches', defaults.evalBatches),
    checkpointEvery: checkpointEvery === 0 ? null : checkpointEvery,
    valFraction: num(o.valFraction, '--val-fraction', defaults.valFraction, { above: 0, max: 0.9 }),
    seed,
    device,
    sampleTokens: int(o.sampleTokens, '--sample-tokens', defaults.sampleTokens, 0),
    temperature: num(o.temperature, '--temperature', defaults.temperature, { above: 0 }),
    topK,
  };
}

/** Runs a training command: fresh (clearing old checkpoints of the run folder) or resumed. */
export async function runTraining(o: GptTrainOptions, defaults: TrainDefaults): Promise<void> {
  const device = resolveDevice(o.device);
  const threads = o.threads !== undefined ? parseIntOption(o.threads, '--threads', { min: 1, max: 1024 }) : defaults.threads;
  if (threads !== undefined && device === 'cpu') setNumThreads(threads);
  let settings: GptTrainSettings;
  if (o.resume) {
    const out = o.out ?? defaults.out;
    const saved = readRunSettings(out);
    settings = {
      ...saved,
      out,
      device,
      maxSteps: o.maxSteps !== undefined ? parseIntOption(o.maxSteps, '--max-steps', { min: 1 }) : saved.maxSteps,
      minutes: o.minutes !== undefined ? parseNumberOption(o.minutes, '--minutes', { above: 0 }) : saved.minutes,
    };
    checkFile(settings.data, 'the run\'s data file');
    applySeed(settings.seed);
  } else {
    const seed = applySeed(o.seed);
    settings = gptTrainSettings(o, defaults, device, seed);
    const ck = join(settings.out, 'checkpoints');
    if (existsSync(ck)) rmSync(ck, { recursive: true, force: true });
  }
  const summary = await trainGpt(settings, { resume: o.resume ?? false });
  for (const line of summaryLines(summary)) cliOutput.stdout(line + '\n');
  if (summary.sample) cliOutput.stdout(`\nsample:\n${summary.sample}\n`);
}

interface GptGenerateOptions {
  model?: string;
  prompt?: string;
  maxNewTokens?: string;
  temperature?: string;
  topK?: string;
  topP?: string;
  greedy?: boolean;
  device?: string;
  seed?: string;
}

/** A model folder: the folder itself, or the model/ of a training run. */
export function modelFolder(dir: string, flag = '--model'): string {
  checkDir(dir, flag);
  if (existsSync(join(dir, 'config.json'))) return dir;
  if (existsSync(join(dir, 'model', 'config.json'))) return join(dir, 'model');
  throw new TesseraError(`${flag}: ${dir} has no config.json (not a model folder or a training run)`);
}

function generateCommand(o: GptGenerateOptions): string {
  const device = resolveDevice(o.device);
  const seed = applySeed(o.seed);
  const dir = modelFolder(required(o.model, '--model'));
  if (o.greedy && (o.temperature !== undefined || o.topK !== undefined || o.topP !== undefined)) throw new TesseraError('--greedy takes no --temperature, --top-k or --top-p');
  const maxNewTokens = o.maxNewTokens === undefined ? 200 : parseIntOption(o.maxNewTokens, '--max-new-tokens', { min: 1 });
  const temperature = o.temperature === undefined ? 0.8 : parseNumberOption(o.temperature, '--temperature', { above: 0 });
  const topK = o.topK === undefined ? undefined : parseIntOption(o.topK, '--top-k', { min: 1 });
  const topP = o.topP === undefined ? undefined : parseNumberOption(o.topP, '--top-p', { above: 0, max: 1 });
  const model = GPT2LMHeadModel.fromPretrained(dir, { device });
  const tokenizer = Tokenizer.fromDir(dir);
  let prompt = tokenizer.encodeIds(o.prompt ?? '\n');
  if (prompt.length === 0 && model.config.bos_token_id !== null) prompt = [model.config.bos_token_id];
  if (prompt.length === 0) throw new TesseraError(`--prompt: none of its characters are in the tokenizer of ${dir}`);
  const text = generateText(model, tokenizer, prompt, { maxNewTokens, temperature, topK, topP, greedy: o.greedy, seed, device });
  return (o.prompt ?? '') + text;
}

/** Registers `tessera gpt train` and `tessera gpt generate`. */
export function register(program: Command): void {
  const gpt = program.command('gpt').description('GPT-2 language models: train on a text file, generate text');
  const train = gpt
    .command('train')
    .description('train a GPT-2 language model on a text file (character-level, or fine-tuning a GPT-2 folder with --init)')
    .option('--data <file>', 'UTF-8 text file to train on (required)');
  trainOptions(train, GPT_TRAIN_DEFAULTS);
  deviceAndSeedOptions(train);
  withConfigFile(train);
  train.action(async (o: GptTrainOptions) => {
    await runTraining(o, { ...GPT_TRAIN_DEFAULTS });
  });

  const generate = gpt
    .command('generate')
    .description('generate text with a GPT-2 folder (or a training run folder)')
    .option('--model <dir>', 'model folder (config.json, model.safetensors, tokenizer) or training run folder (required)')
    .option('--prompt <text>', 'text to continue (default: a newline)')
    .option('--max-new-tokens <n>', 'tokens to generate (default 200)')
    .option('--temperature <x>', 'sampling temperature (default 0.8)')
    .option('--top-k <n>', 'sample from the k most likely tokens')
    .option('--top-p <x>', 'sample from the smallest set of tokens whose probability reaches p')
    .option('--greedy', 'always take the most likely token');
  deviceAndSeedOptions(generate);
  withConfigFile(generate);
  generate.action((o: GptGenerateOptions) => {
    cliOutput.stdout(generateCommand(o) + '\n');
  });
}
