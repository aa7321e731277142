// `tessera elmo train | embed | perplexity`: trains the ELMo biLM on a text corpus, prints contextual token vectors
// (per layer or scalar-mixed) as JSON, and measures forward and backward perplexity on a text file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import '../../backend/all.js';
import { resolveDevice } from '../options.js';
import { cliOutput } from '../output.js';
import { defaultProgress } from '../../train/progress.js';
import { noGrad } from '../../autograd/engine.js';
import { TesseraError } from '../../errors.js';
import { manualSeed } from '../../tensor/creation.js';
import {
  ELMO_PRESETS,
  Elmo,
  ElmoLanguageModel,
  DEFAULT_PROBE_TSV,
  ElmoVocabulary,
  elmoConfig,
  parseProbeTsv,
  runProbe,
  loadElmo,
  perplexity,
  readSentences,
  saveElmo,
  trainElmo,
  unigramPerplexity,
  type ElmoPresetName,
} from '../../models/elmo/index.js';

function integerFlag(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new TesseraError(`${flag} must be an integer >= ${min} (got '${value}')`);
  return n;
}

function numberFlag(value: string | undefined, flag: string, opts: { positive?: boolean; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (opts.positive && n === 0) || (opts.max !== undefined && n > opts.max)) {
    const range = opts.max !== undefined ? ` <= ${opts.max}` : '';
    throw new TesseraError(`${flag} must be a ${opts.positive ? 'positive' : 'non-negative'} number${range} (got '${value}')`);
  }
  return n;
}

function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined) throw new TesseraError(`${flag} is required`);
  return value;
}

function requireModelDir(dir: string | undefined): string {
  const d = requireFlag(dir, '--model DIR');
  if (!fs.existsSync(d)) throw new TesseraError(`model folder not found: ${d}`);
  if (!fs.statSync(d).isDirectory()) throw new TesseraError(`--model: ${d} is a file, not a model folder`);
  return d;
}

/** The --device value checked, or the fastest device present (shared rule of src/cli/options.ts). */
function pickDevice(device: string | undefined): string {
  return resolveDevice(device);
}

function formatDuration(sec: number): string {
  const s = Math.round(sec);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

interface TrainFlags {
  data?: string;
  out?: string;
  valid?: string;
  preset?: string;
  epochs?: string;
  maxMinutes?: string;
  batchTokens?: string;
  maxLength?: string;
  lr?: string;
  clip?: string;
  warmup?: string;
  minCount?: string;
  maxVocab?: string;
  dropout?: string;
  seed?: string;
  device?: string;
  logEvery?: string;
  softmax?: string;
  numSamples?: string;
  checkpointEvery?: string;
  resume?: boolean;
  progress?: boolean;
}

async function train(flags: TrainFlags): Promise<void> {
  const data = requireFlag(flags.data, '--data FILE');
  const out = requireFlag(flags.out, '--out DIR');
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new TesseraError(`--out: ${out} is a file, not a folder`);
  const preset = (flags.preset ?? 'elmo-small') as ElmoPresetName;
  if (!(preset in ELMO_PRESETS)) throw new TesseraError(`--preset must be one of ${Object.keys(ELMO_PRESETS).join(', ')} (got '${flags.preset}')`);
  const epochs = numberFlag(flags.epochs, '--epochs', { positive: true }) ?? 1;
  const maxMinutes = numberFlag(flags.maxMinutes, '--max-minutes', { positive: true });
  const maxTokens = integerFlag(flags.batchTokens, '--batch-tokens', 3) ?? 1024;
  const maxLength = integerFlag(flags.maxLength, '--max-length', 1) ?? 40;
  const lr = numberFlag(flags.lr, '--lr', { positive: true }) ?? 2e-3;
  const clipNorm = numberFlag(flags.clip, '--clip') ?? 5;
  const warmupSteps = integerFlag(flags.warmup, '--warmup', 1) ?? 100;
  const minCount = integerFlag(flags.minCount, '--min-count', 1) ?? 1;
  const maxSize = integerFlag(flags.maxVocab, '--max-vocab', 3);
  const dropout = numberFlag(flags.dropout, '--dropout', { max: 0.99 });
  const seed = integerFlag(flags.seed, '--seed', 0) ?? 1;
  const logEvery = integerFlag(flags.logEvery, '--log-every', 1) ?? 50;
  const softmax = flags.softmax ?? 'full';
  if (softmax !== 'full' && softmax !== 'sampled') throw new TesseraError(`--softmax must be 'full' or 'sampled' (got '${flags.softmax}')`);
  const numSamples = integerFlag(flags.numSamples, '--num-samples', 1);
  if (numSamples !== undefined && softmax !== 'sampled') throw new TesseraError('--num-samples needs --softmax sampled');
  const checkpointEvery = integerFlag(flags.checkpointEvery, '--checkpoint-every', 1);
  const device = pickDevice(flags.device);
  const sentences = readSentences(data);
  const valid = flags.valid === undefined ? undefined : readSentences(flags.valid);
  const vocab = ElmoVocabulary.fromSentences(sentences, { minCount, maxSize });
  const vocabText = vocab.words.map((w) => `${w}\n`).join('');
  const checkpointDir = path.join(out, 'checkpoints');
  if (flags.resume) {
    const saved = path.join(out, 'vocab.txt');
    if (!fs.existsSync(saved)) throw new TesseraError(`--resume: ${out} has no vocab.txt (not an ELMo training folder)`);
    if (fs.readFileSync(saved, 'utf8') !== vocabText) throw new TesseraError(`--resume: the vocabulary of ${data} (with these --min-count/--max-vocab) differs from ${saved}`);
  }
  const sampled = softmax === 'sampled' ? { n_negative_samples_batch: numSamples ?? elmoConfig(preset).n_negative_samples_batch } : {};
  const config = elmoConfig(preset, { vocab_size: vocab.size, softmax, ...sampled, ...(dropout === undefined ? {} : { dropout }) });
  manualSeed(seed);
  const model = new ElmoLanguageModel(config, { device });
  const words = sentences.reduce((s, x) => s + x.length, 0);
  const softmaxText = config.softmax === 'sampled' ? `sampled softmax (${config.n_negative_samples_batch} negatives per batch)` : 'full softmax';
  cliOutput.stderr(
    `elmo: ${preset}, ${model.numParameters()} parameters, vocabulary ${vocab.size} (min count ${minCount}), ` +
      `${sentences.length} sentences / ${words} words from ${data}, ${softmaxText}, device ${device}\n`,
  );
  fs.mkdirSync(out, { recursive: true });
  // the first interrupt stops after the current step (then evaluates and saves); a second one quits at once
  let interrupted = false;
  const onSigint = () => {
    cliOutput.stderr('elmo: stopping after this step (interrupt again to quit now)\n');
    interrupted = true;
    process.removeListener('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const result = await trainElmo(model, vocab, sentences, {
    epochs, maxSeconds: maxMinutes === undefined ? undefined : maxMinutes * 60, maxTokens, maxLength, lr, clipNorm, warmupSteps, seed, logEvery, valid,
    checkpointDir, checkpointEvery, resume: flags.resume ?? false, checkpointFiles: { 'vocab.txt': vocabText },
    metricsPath: path.join(out, 'metrics.jsonl'),
    shouldStop: () => interrupted,
    progress: flags.progress && cliOutput.isTTY() ? defaultProgress(process.stderr) : null,
    onLog: (p) => cliOutput.stderr(
      `elmo: epoch ${p.epoch} step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(3)}  ${config.softmax === 'sampled' ? 'sampled ' : ''}ppl fwd ${p.forwardPerplexity.toFixed(1)} ` +
        `bwd ${p.backwardPerplexity.toFixed(1)}  lr ${p.lr.toExponential(2)}  ${p.tokensPerSecond.toFixed(0)} tokens/s  ${formatDuration(p.elapsedSeconds)}\n`,
    ),
    onEpochEnd: (epoch, v) => {
      const ppl = v ? `: valid perplexity fwd ${v.forward.toFixed(2)} bwd ${v.backward.toFixed(2)} over ${v.tokens} tokens` : '';
      cliOutput.stderr(`elmo: epoch ${epoch} done${ppl}\n`);
    },
    onCheckpoint: ({ step, path: ck, epochs: e }) => {
      saveElmo(out, model, vocab);
      const epochText = Number.isInteger(e) ? String(e) : e.toFixed(2);
      cliOutput.stderr(`elmo: epoch ${epochText} saved to ${out} (step ${step}, training checkpoint ${ck})\n`);
    },
  });
  process.removeListener('SIGINT', onSigint);
  saveElmo(out, model, vocab);
  cliOutput.stderr(
    `elmo: trained ${result.steps} steps, ${result.tokens} tokens per direction in this run, in ${formatDuration(result.seconds)} ` +
      `(${(result.tokens / Math.max(result.seconds, 1e-9)).toFixed(0)} tokens/s)${result.stoppedByTime ? ', stopped by --max-minutes' : ''}; model in ${out}\n`,
  );
}

interface EmbedFlags {
  model?: string;
  text?: string;
  layer?: string;
  mix?: boolean;
  mixWeights?: string;
  gamma?: string;
  digits?: string;
  device?: string;
}

function embed(flags: EmbedFlags): void {
  const dir = requireModelDir(flags.model);
  const text = requireFlag(flags.text, '--text "..."');
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0) throw new TesseraError('--text has no tokens');
  if (flags.layer !== undefined && (flags.mix || flags.mixWeights !== undefined)) throw new TesseraError('choose one of --layer and --mix');
  const digits = integerFlag(flags.digits, '--digits', 1) ?? 6;
  const device = pickDevice(flags.device);
  const { model, config } = loadElmo(dir, { device });
  const numLayers = config.lstm.n_layers + 1;
  const layer = flags.layer === undefined || flags.layer === 'all' ? null : integerFlag(flags.layer, '--layer', 0)!;
  if (layer !== null && layer >= numLayers) throw new TesseraError(`--layer must be 'all' or an integer in [0, ${numLayers - 1}] (got '${flags.layer}')`);
  let weights: number[] | undefined;
  if (flags.mixWeights !== undefined) {
    const pieces = flags.mixWeights.split(',');
    weights = pieces.map((w) => Number(w));
    if (weights.length !== numLayers || pieces.some((w, i) => w.trim() === '' || !Number.isFinite(weights![i]))) {
      throw new TesseraError(`--mix-weights must be ${numLayers} comma-separated numbers (got '${flags.mixWeights}')`);
    }
  }
  const gamma = numberFlag(flags.gamma, '--gamma') ?? 1;
  const elmo = new Elmo(model, { scalarMixParameters: weights ?? new Array<number>(numLayers).fill(0), dropout: 0 });
  elmo.eval();
  const round = (v: number) => Number(v.toFixed(digits));
  const rows = (t: { toList(): unknown }) => ((t.toList() as number[][][])[0]!).map((vec) => vec.map(round));
  const out = noGrad(() => elmo.forward([tokens]));
  const report: Record<string, unknown> = { tokens, dim: 2 * config.lstm.projection_dim };
  if (flags.mix || weights !== undefined) {
    const mix = elmo.scalarMixes[0]!;
    report.mix = { weights: Array.from(mix.weights().toArray(), (w) => round(Number(w))), gamma };
    report.vectors = rows(out.elmoRepresentations[0]!.mul(gamma));
  } else if (layer !== null) {
    report.layer = layer;
    report.vectors = rows(out.layers[layer]!);
  } else {
    report.layers = out.layers.map((l) => rows(l));
  }
  cliOutput.stdout(`${JSON.stringify(report)}\n`);
}

interface PerplexityFlags {
  model?: string;
  data?: string;
  batchTokens?: string;
  unigramFrom?: string;
  device?: string;
}

async function measure(flags: PerplexityFlags): Promise<void> {
  const dir = requireModelDir(flags.model);
  const data = requireFlag(flags.data, '--data FILE');
  const maxTokens = integerFlag(flags.batchTokens, '--batch-tokens', 3) ?? 4096;
  const device = pickDevice(flags.device);
  const sentences = readSentences(data);
  const unigramTrain = flags.unigramFrom === undefined ? undefined : readSentences(flags.unigramFrom);
  const { model, vocab } = loadElmo(dir, { device });
  const start = Date.now();
  const ppl = await perplexity(model, vocab, sentences, { maxTokens });
  const report: Record<string, unknown> = {
    data: path.resolve(data), sentences: sentences.length, tokens: ppl.tokens,
    forward: Number(ppl.forward.toFixed(3)), backward: Number(ppl.backward.toFixed(3)), seconds: Number(((Date.now() - start) / 1000).toFixed(1)),
  };
  if (unigramTrain) {
    const u = unigramPerplexity(unigramTrain, sentences, vocab);
    report.unigram = { estimatedOn: path.resolve(flags.unigramFrom!), forward: Number(u.forward.toFixed(3)), backward: Number(u.backward.toFixed(3)) };
  }
  cliOutput.stdout(`${JSON.stringify(report, null, 2)}\n`);
}

interface ProbeFlags {
  model?: string;
  sentences?: string;
  raw?: boolean;
  examples?: string;
  json?: boolean;
  device?: string;
}

function probe(flags: ProbeFlags): void {
  const dir = requireModelDir(flags.model);
  let items;
  if (flags.sentences !== undefined) {
    if (!fs.existsSync(flags.sentences)) throw new TesseraError(`--sentences: file not found: ${flags.sentences}`);
    if (fs.statSync(flags.sentences).isDirectory()) throw new TesseraError(`--sentences: ${flags.sentences} is a directory, not a file`);
    items = parseProbeTsv(fs.readFileSync(flags.sentences, 'utf8'), flags.sentences);
  } else {
    items = parseProbeTsv(DEFAULT_PROBE_TSV, 'the built-in probe sentences');
  }
  const examples = integerFlag(flags.examples, '--examples', 0) ?? 4;
  const device = pickDevice(flags.device);
  const { model } = loadElmo(dir, { device });
  const report = runProbe(model, items, { center: !flags.raw, examples });
  if (flags.json) {
    cliOutput.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const words = Object.keys(report.layers[0]!.perWord);
  const lines = [
    `${report.occurrences} occurrences of ${report.words} words; same-sense nearest neighbour (cosine${report.centered ? ', centred vectors' : ''}), chance ${pct(report.chance)}`,
    `${'layer'.padEnd(7)} ${'accuracy'.padStart(8)}  ${'cos same'.padStart(8)} ${'cos other'.padStart(9)}  ${words.map((w) => w.padStart(Math.max(6, w.length))).join(' ')}`,
    ...report.layers.map((l) => `${l.layer.padEnd(7)} ${pct(l.accuracy).padStart(8)}  ${l.meanCosineSameSense.toFixed(3).padStart(8)} ${l.meanCosineOtherSense.toFixed(3).padStart(9)}  ${words.map((w) => pct(l.perWord[w]!).padStart(Math.max(6, w.length))).join(' ')}`),
  ];
  for (const ex of report.examples) {
    lines.push('', `${ex.word} (${ex.sense}): ${ex.sentence}`);
    for (const n of ex.neighbours) lines.push(`  ${n.cosine.toFixed(3)} ${n.sense.padEnd(10)} ${n.sentence}`);
  }
  cliOutput.stdout(`${lines.join('\n')}\n`);
}

/** Registers `elmo` and its subcommands. */
export function register(program: Command): void {
  const elmo = program.command('elmo').description('ELMo: train the character-CNN biLSTM language model, embed text, measure perplexity');
  elmo
    .command('train')
    .description('train an ELMo biLM on a whitespace-tokenized text file (one paragraph per line) and save it')
    .option('--data <file>', 'training text')
    .option('--out <dir>', 'model folder to write (config.json, model.safetensors, vocab.txt)')
    .option('--valid <file>', 'text for a perplexity check after every epoch')
    .option('--preset <name>', `model size: ${Object.keys(ELMO_PRESETS).join(', ')} (default elmo-small)`)
    .option('--epochs <n>', 'passes over the data, may be fractional (default 1)')
    .option('--max-minutes <m>', 'stop training after this long (the model is saved)')
    .option('--batch-tokens <n>', 'padded tokens per batch, boundaries included (default 1024)')
    .option('--max-length <n>', 'cut training sentences into pieces of at most this many words (default 40)')
    .option('--lr <x>', 'Adam peak learning rate (default 2e-3)')
    .option('--clip <x>', 'gradient-norm clip, 0 = none (default 5)')
    .option('--warmup <n>', 'learning-rate warmup steps (default 100)')
    .option('--min-count <n>', 'softmax vocabulary: words seen at least this often (default 1)')
    .option('--max-vocab <n>', 'softmax vocabulary: at most this many entries')
    .option('--dropout <p>', "dropout (default: the preset's)")
    .option('--seed <n>', 'random seed (default 1)')
    .option('--device <device>', 'cpu-js, cpu, cuda or cuda:N (default: the fastest available)')
    .option('--log-every <n>', 'progress line every n steps (default 50)')
    .option('--softmax <kind>', "training loss: 'full' softmax or 'sampled' softmax (evaluation is always full; default full)")
    .option('--num-samples <n>', "negatives per batch of the sampled softmax (default: the preset's n_negative_samples_batch)")
    .option('--checkpoint-every <n>', 'save a training checkpoint (OUT/checkpoints) and the model every n steps (default: every epoch)')
    .option('--resume', 'continue from the newest checkpoint in OUT/checkpoints (same data and options)')
    .option('--progress', 'a progress bar on a terminal (in addition to the log lines)')
    .action(train);
  elmo
    .command('embed')
    .description('print ELMo vectors of the tokens of --text as JSON: every layer, one layer, or a scalar mix')
    .option('--model <dir>', 'model folder')
    .option('--text <text>', 'a sentence (tokens separated by spaces)')
    .option('--layer <n>', "one layer: 0 = token encoding, 1.. = biLSTM layers, or 'all' (default)")
    .option('--mix', 'the scalar mix gamma * sum_j softmax(w)_j h_j (equal weights unless --mix-weights)')
    .option('--mix-weights <w>', 'the mix parameters w, comma-separated (one per layer)')
    .option('--gamma <g>', 'the mix scale (default 1)')
    .option('--digits <n>', 'decimals in the output (default 6)')
    .option('--device <device>', 'cpu-js, cpu, cuda or cuda:N (default: the fastest available)')
    .action(embed);
  elmo
    .command('perplexity')
    .description('forward and backward perplexity of a model on a text file, as JSON')
    .option('--model <dir>', 'model folder')
    .option('--data <file>', 'text (one paragraph per line; sentences are scored whole)')
    .option('--batch-tokens <n>', 'padded tokens per batch (default 4096)')
    .option('--unigram-from <file>', "also report an add-one unigram model's perplexity, estimated on this file over the model's vocabulary")
    .option('--device <device>', 'cpu-js, cpu, cuda or cuda:N (default: the fastest available)')
    .action(measure);
  elmo
    .command('probe')
    .description('nearest-neighbour sense agreement of polysemous words per layer (token layer, biLSTM layers, equal mix)')
    .option('--model <dir>', 'model folder')
    .option('--sentences <file>', 'lines word<TAB>sense<TAB>sentence (default: built-in sentences for 8 words, 2 senses each)')
    .option('--raw', 'cosines of raw vectors (default: centred by the mean over the probe tokens of each layer)')
    .option('--examples <n>', 'example neighbour lists to print (default 4)')
    .option('--json', 'the full report as JSON')
    .option('--device <device>', 'cpu-js, cpu, cuda or cuda:N (default: the fastest available)')
    .action(probe);
}
