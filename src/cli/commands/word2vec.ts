// `tessera word2vec train | similar | analogy | eval`: trains vectors on a text corpus with word2vec.c's
// defaults, queries nearest words and analogies, and evaluates (analogy accuracy, word-pair correlation).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { TesseraError } from '../../errors.js';
import { checkFile, parseIntOption, parseNumberOption } from '../options.js';
import { cliOutput, printLines } from '../output.js';
import {
  evaluateAnalogyFile,
  evaluateWordPairsFile,
  readVectors,
  trainWord2Vec,
  writeVectors,
  type ScoredWord,
  type Word2VecProgress,
  type Word2VecTrainOptions,
} from '../../models/word2vec/index.js';

interface TrainFlags {
  corpus?: string;
  out?: string;
  cbow?: boolean;
  sg?: boolean;
  hs?: boolean;
  negative?: string;
  size?: string;
  window?: string;
  minCount?: string;
  sample?: string;
  alpha?: string;
  epochs?: string;
  threads?: string;
  binary?: boolean;
  seed?: string;
  maxVocab?: string;
  simd?: boolean;
}

function integerFlag(value: string | undefined, flag: string, min: number): number | undefined {
  return value === undefined ? undefined : parseIntOption(value, flag, { min });
}

function numberFlag(value: string | undefined, flag: string, positive: boolean): number | undefined {
  if (value === undefined) return undefined;
  return positive ? parseNumberOption(value, flag, { above: 0 }) : parseNumberOption(value, flag, { min: 0 });
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** One progress line (without line ending). */
export function progressLine(p: Word2VecProgress, threads: number): string {
  const pct = p.totalWords > 0 ? (100 * p.wordsDone) / p.totalWords : 100;
  return (
    `word2vec: ${pct.toFixed(1).padStart(5)}%  ${formatCount(p.wordsDone)}/${formatCount(p.totalWords)} words  ` +
    `${formatCount(p.wordsPerSec)} words/s (${formatCount(p.wordsPerSec / threads)}/thread)  ` +
    `alpha ${p.alpha.toFixed(6)}  ETA ${formatDuration(p.etaSec)}`
  );
}

/** Turns the train flags into library options (checking each flag). */
export function trainOptions(flags: TrainFlags): Word2VecTrainOptions & { out: string; binary: boolean } {
  const corpus = checkFile(flags.corpus, '--corpus');
  if (flags.out === undefined) throw new TesseraError('--out is required');
  const outDir = path.dirname(path.resolve(flags.out));
  if (!fs.existsSync(outDir) || !fs.statSync(outDir).isDirectory()) {
    throw new TesseraError(`--out: directory ${outDir} does not exist`);
  }
  if (flags.cbow && flags.sg) throw new TesseraError('choose one of --cbow and --sg');
  if (flags.hs && flags.negative !== undefined) throw new TesseraError('choose one of --hs and --negative N');
  const negative = integerFlag(flags.negative, '--negative', 1);
  return {
    corpus,
    out: flags.out,
    binary: flags.binary ?? false,
    architecture: flags.sg ? 'skipgram' : 'cbow',
    hs: flags.hs ?? false,
    negative: flags.hs ? 0 : negative,
    size: integerFlag(flags.size, '--size', 1),
    window: integerFlag(flags.window, '--window', 1),
    minCount: integerFlag(flags.minCount, '--min-count', 0),
    sample: numberFlag(flags.sample, '--sample', false),
    alpha: numberFlag(flags.alpha, '--alpha', true),
    epochs: integerFlag(flags.epochs, '--epochs', 1),
    threads: integerFlag(flags.threads, '--threads', 1),
    seed: integerFlag(flags.seed, '--seed', 0),
    maxVocabSize: integerFlag(flags.maxVocab, '--max-vocab', 2),
    simd: flags.simd ?? true,
  };
}

function printScored(results: ScoredWord[]): void {
  printLines(...results.map((r) => `${r.word}\t${r.score.toFixed(4)}`));
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Registers `word2vec` and its subcommands. */
export function register(program: Command): void {
  const w2v = program.command('word2vec').description('word2vec: train (CBOW / skip-gram), query and evaluate word vectors');

  w2v
    .command('train')
    .description('train word vectors on a text corpus (word2vec.c defaults: CBOW, negative 5, size 100, window 5)')
    .option('--corpus <file>', 'text corpus: words separated by spaces, sentences by newlines')
    .option('--out <file>', 'where to write the vectors')
    .option('--cbow', 'continuous bag of words (default)')
    .option('--sg', 'skip-gram')
    .option('--hs', 'hierarchical softmax instead of negative sampling')
    .option('--negative <n>', 'negative samples per word (default 5)')
    .option('--size <n>', 'vector size (default 100)')
    .option('--window <n>', 'maximum context distance (default 5)')
    .option('--min-count <n>', 'drop words seen fewer times (default 5)')
    .option('--sample <t>', 'subsampling threshold, 0 = off (default 1e-3)')
    .option('--alpha <a>', 'starting learning rate (default 0.05 CBOW, 0.025 skip-gram)')
    .option('--epochs <n>', 'passes over the corpus (default 5)')
    .option('--threads <n>', 'worker threads (default: all cores)')
    .option('--binary', "write word2vec.c's binary format (default: text)")
    .option('--seed <n>', 'random seed (default 0: word2vec.c\'s own streams)')
    .option('--max-vocab <n>', 'prune rare words while counting beyond this many (default 21M)')
    .option('--no-simd', 'use the TypeScript kernels instead of WebAssembly SIMD')
    .action(async (flags: TrainFlags) => {
      const opts = trainOptions(flags);
      const tty = cliOutput.isTTY();
      const threads = opts.threads ?? os.availableParallelism();
      let lastLength = 0;
      const result = await trainWord2Vec({
        ...opts,
        threads,
        progressIntervalMs: tty ? 500 : 5000,
        onProgress: (p) => {
          const line = progressLine(p, threads);
          if (tty) {
            cliOutput.stderr(`\r${line.padEnd(lastLength)}`);
            lastLength = line.length;
          } else {
            cliOutput.stderr(`${line}\n`);
          }
        },
      });
      if (tty) cliOutput.stderr('\n');
      writeVectors(opts.out, result.vectors, { binary: opts.binary });
      const s = result.stats;
      cliOutput.stderr(
        `word2vec: ${s.vocabSize} words x ${result.vectors.dim} written to ${opts.out} (${opts.binary ? 'binary' : 'text'}); ` +
          `${formatCount(s.trainWords)} corpus words x ${s.epochs} epochs in ${s.trainSeconds.toFixed(1)}s, ` +
          `${formatCount(s.wordsPerSec)} words/s (${formatCount(s.wordsPerSecPerThread)}/thread, ${s.threads} threads)\n`,
      );
    });

  w2v
    .command('similar')
    .description('nearest words by cosine similarity (the query word excluded)')
    .argument('<word>', 'query word')
    .option('--vectors <file>', 'vectors file (text or binary, word2vec.c / gensim layout)')
    .option('--top <n>', 'number of results (default 10)')
    .action((word: string, flags: { vectors?: string; top?: string }) => {
      const topN = integerFlag(flags.top, '--top', 1) ?? 10;
      const vectors = readVectors(checkFile(flags.vectors, '--vectors'));
      printScored(vectors.mostSimilar(word, [], { topN }));
    });

  w2v
    .command('analogy')
    .description('A is to B as C is to ? (3CosAdd, or 3CosMul with --method mul)')
    .argument('<a>')
    .argument('<b>')
    .argument('<c>')
    .option('--vectors <file>', 'vectors file')
    .option('--top <n>', 'number of results (default 10)')
    .option('--method <m>', 'add (3CosAdd, default) or mul (3CosMul)')
    .action((a: string, b: string, c: string, flags: { vectors?: string; top?: string; method?: string }) => {
      const topN = integerFlag(flags.top, '--top', 1) ?? 10;
      const method = flags.method ?? 'add';
      if (method !== 'add' && method !== 'mul') throw new TesseraError(`--method must be add or mul (got '${method}')`);
      const vectors = readVectors(checkFile(flags.vectors, '--vectors'));
      printScored(vectors.analogy(a, b, c, { topN, method }));
    });

  w2v
    .command('eval')
    .description('analogy accuracy (questions-words.txt format) and word-pair Spearman correlation, as JSON')
    .option('--vectors <file>', 'vectors file')
    .option('--questions <file>', 'analogy questions (": section" lines, then "a b c d")')
    .option('--similarity <file>', 'word pairs with scores (WordSim353, SimLex-999...); repeatable', collect)
    .option('--restrict <n>', 'analogies: only the N most frequent words (default 30000, as compute-accuracy)')
    .option('--method <m>', 'analogies: add (3CosAdd, default) or mul (3CosMul)')
    .action((flags: { vectors?: string; questions?: string; similarity?: string[]; restrict?: string; method?: string }) => {
      if (flags.questions === undefined && (flags.similarity ?? []).length === 0) {
        throw new TesseraError('word2vec eval needs --questions FILE and/or --similarity FILE');
      }
      const method = flags.method ?? 'add';
      if (method !== 'add' && method !== 'mul') throw new TesseraError(`--method must be add or mul (got '${method}')`);
      const restrictVocab = integerFlag(flags.restrict, '--restrict', 1) ?? 30000;
      const questions = flags.questions === undefined ? undefined : checkFile(flags.questions, '--questions');
      const similarity = (flags.similarity ?? []).map((f) => checkFile(f, '--similarity'));
      const vectorsFile = checkFile(flags.vectors, '--vectors');
      const vectors = readVectors(vectorsFile);
      const report: Record<string, unknown> = { vectors: { file: vectorsFile, words: vectors.size, dim: vectors.dim } };
      if (questions !== undefined) {
        report.analogy = { file: questions, ...evaluateAnalogyFile(vectors, questions, { restrictVocab, method }) };
      }
      if (similarity.length > 0) {
        report.similarity = similarity.map((file) => ({ file, ...evaluateWordPairsFile(vectors, file) }));
      }
      printLines(JSON.stringify(report, null, 2));
    });
}
