// word2vec benchmark: trains CBOW and skip-gram with word2vec.c's default settings (size 100, window 5,
// sample 1e-3, negative 5, hs 0, min-count 5, iter 5, alpha 0.05 CBOW / 0.025 skip-gram) for each thread
// count, and prints JSON with words/s in total and per thread (and per CPU second, which other load on the
// machine disturbs less), plus analogy / word-pair scores when evaluation files are given.
//   node dist/bench/word2vec.js [--corpus FILE] [--questions FILE] [--similarity FILE ...]
//        [--threads 1,2] [--models cbow,skipgram] [--epochs 5] [--words 10000000] [--planted DIR]
// Without --corpus it writes a synthetic Zipf-distributed corpus (~10M words) to a temporary file.
// --planted DIR instead writes a corpus with planted analogies (entity = topic + form; 1M words unless
// --words), its questions and word pairs into DIR, and scores on them: an accuracy check that any
// word2vec tool can be run on too.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  evaluateAnalogyFile,
  evaluateWordPairsFile,
  trainWord2Vec,
  type Word2VecTrainResult,
} from '../src/models/word2vec/index.js';

interface BenchArgs {
  corpus?: string;
  questions?: string;
  similarity: string[];
  threads: number[];
  models: ('cbow' | 'skipgram')[];
  epochs: number;
  words: number;
  planted?: string;
}

function fail(message: string): never {
  throw new Error(`bench word2vec: ${message}`);
}

function parseArgs(argv: string[]): BenchArgs {
  const cores = os.availableParallelism();
  const args: BenchArgs = { similarity: [], threads: [...new Set([1, cores])], models: ['cbow', 'skipgram'], epochs: 5, words: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? fail(`${flag} needs a value`);
    const count = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) fail(`${flag} must be a positive integer (got '${v}')`);
      return n;
    };
    if (flag === '--corpus') args.corpus = value();
    else if (flag === '--questions') args.questions = value();
    else if (flag === '--similarity') args.similarity.push(value());
    else if (flag === '--threads') args.threads = value().split(',').map(count);
    else if (flag === '--epochs') args.epochs = count(value());
    else if (flag === '--words') args.words = count(value());
    else if (flag === '--planted') args.planted = value();
    else if (flag === '--models') {
      args.models = value().split(',').map((m) => (m === 'cbow' || m === 'skipgram' ? m : fail(`unknown model '${m}' (cbow, skipgram)`)));
    } else fail(`unknown option ${flag}`);
  }
  if (args.words === 0) args.words = args.planted !== undefined ? 1_000_000 : 10_000_000;
  for (const f of [args.corpus, args.questions, ...args.similarity]) {
    if (f !== undefined && !fs.existsSync(f)) fail(`file not found: ${f}`);
  }
  return args;
}

/** Writes the lines `nextLine` makes (words joined by spaces) until `words` words are written. */
function writeWordLines(path: string, words: number, nextLine: () => string[]): void {
  const fd = fs.openSync(path, 'w');
  try {
    let written = 0;
    let chunk: string[] = [];
    while (written < words) {
      const line = nextLine();
      written += line.length;
      chunk.push(line.join(' '));
      if (chunk.length >= 10_000) {
        fs.writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    fs.writeSync(fd, `${chunk.join('\n')}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `words` words drawn from a Zipf(1) law over `vocab` pseudo-words, in lines of 10-39 words, with
 * a fixed-seed generator. The frequency profile (and so subsampling and the unigram table) looks like text;
 * the co-occurrences carry no meaning, so it measures speed only.
 */
export function writeZipfCorpus(path: string, words: number, vocab = 100_000): void {
  const cdf = new Float64Array(vocab);
  let total = 0;
  for (let r = 0; r < vocab; r++) cdf[r] = total += 1 / (r + 1);
  for (let r = 0; r < vocab; r++) cdf[r] /= total;
  const names: string[] = [];
  for (let r = 0; r < vocab; r++) {
    let w = '';
    for (let x = r + 26; x > 0; x = Math.floor(x / 26)) w += String.fromCharCode(97 + (x % 26));
    names.push(w);
  }
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  writeWordLines(path, words, () => {
    const len = 10 + Math.floor(rand() * 30);
    const line: string[] = [];
    for (let i = 0; i < len; i++) {
      const u = rand();
      let lo = 0;
      let hi = vocab - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      line.push(names[lo]);
    }
    return line;
  });
}

/**
 * A corpus where word `e<i>f<j>` (topic i, form j) always appears with words of topic i and of form j
 * (and Zipf filler), so that its vector should be topic + form: `e1f0 e1f2 e7f0 e7f2` is then a
 * solvable analogy. Writes corpus.txt (~`words` words), questions.txt (one section per pair of forms,
 * 100 questions each) and pairs.tsv (400 entity pairs scored 5 x same topic + 3 x same form + noise).
 */
export function writePlantedTask(dir: string, words: number): { corpus: string; questions: string; pairs: string } {
  const topics = 100;
  const forms = 4;
  const contextWords = 20;
  const filler = 500;
  let seed = 777;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const pick = (n: number) => Math.floor(rand() * n);
  const entity = (i: number, j: number) => `e${i}f${j}`;
  fs.mkdirSync(dir, { recursive: true });
  const corpus = join(dir, 'corpus.txt');
  writeWordLines(corpus, words, () => {
    const i = pick(topics);
    const j = pick(forms);
    const line = [entity(i, j)];
    for (let k = 0; k < 2; k++) line.push(`t${i}w${pick(contextWords)}`, `f${j}w${pick(contextWords)}`);
    for (let k = 0; k < 10; k++) line.push(`x${Math.floor(filler * rand() ** 3)}`);
    for (let k = line.length - 1; k > 0; k--) {
      const r = pick(k + 1);
      [line[k], line[r]] = [line[r], line[k]];
    }
    return line;
  });
  const questions: string[] = [];
  for (let j1 = 0; j1 < forms; j1++) {
    for (let j2 = j1 + 1; j2 < forms; j2++) {
      questions.push(`: form${j1}-to-form${j2}`);
      for (let q = 0; q < 100; q++) {
        const a = pick(topics);
        const c = (a + 1 + pick(topics - 1)) % topics;
        questions.push(`${entity(a, j1)} ${entity(a, j2)} ${entity(c, j1)} ${entity(c, j2)}`);
      }
    }
  }
  const pairs: string[] = ['word1\tword2\tscore'];
  for (let p = 0; p < 400; p++) {
    const [i1, j1, i2, j2] = [pick(topics), pick(forms), pick(topics), pick(forms)];
    if (i1 === i2 && j1 === j2) continue;
    const score = 5 * Number(i1 === i2) + 3 * Number(j1 === j2) + rand();
    pairs.push(`${entity(i1, j1)}\t${entity(i2, j2)}\t${score.toFixed(3)}`);
  }
  fs.writeFileSync(join(dir, 'questions.txt'), `${questions.join('\n')}\n`);
  fs.writeFileSync(join(dir, 'pairs.tsv'), `${pairs.join('\n')}\n`);
  return { corpus, questions: join(dir, 'questions.txt'), pairs: join(dir, 'pairs.tsv') };
}

function scores(result: Word2VecTrainResult, args: BenchArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (args.questions) {
    const a = evaluateAnalogyFile(result.vectors, args.questions, { restrictVocab: 30000 });
    out.analogy = {
      file: args.questions,
      total: a.total,
      semantic: a.semantic,
      syntactic: a.syntactic,
      sections: a.sections.map((s) => ({ section: s.section, accuracy: s.accuracy, correct: s.correct, seen: s.seen })),
    };
  }
  if (args.similarity.length > 0) {
    out.similarity = args.similarity.map((file) => ({ file, ...evaluateWordPairsFile(result.vectors, file) }));
  }
  return out;
}

/** Runs the benchmark and prints (and returns) its JSON report. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<unknown> {
  const args = parseArgs(argv);
  let corpus = args.corpus;
  let synthetic: string | undefined;
  if (args.planted !== undefined) {
    if (corpus !== undefined) fail('--planted writes its own corpus: give --corpus or --planted, not both');
    const task = writePlantedTask(args.planted, args.words);
    process.stderr.write(`bench word2vec: planted analogy task of ${args.words} words written to ${args.planted}\n`);
    corpus = task.corpus;
    args.questions = task.questions;
    args.similarity = [task.pairs];
  } else if (corpus === undefined) {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'tessera-w2v-bench-'));
    corpus = join(dir, 'zipf.txt');
    process.stderr.write(`bench word2vec: no --corpus given; writing a synthetic Zipf corpus of ${args.words} words to ${corpus}\n`);
    writeZipfCorpus(corpus, args.words);
    synthetic = corpus;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const runs: Record<string, unknown>[] = [];
  for (const model of args.models) {
    let last: Word2VecTrainResult | undefined;
    for (const threads of args.threads) {
      process.stderr.write(`bench word2vec: ${model}, ${threads} thread(s)...\n`);
      const r = await trainWord2Vec({ corpus, architecture: model, threads, epochs: args.epochs });
      const words = r.stats.epochs * r.stats.trainWords;
      runs.push({
        model,
        threads,
        wordsPerSec: Math.round(r.stats.wordsPerSec),
        wordsPerSecPerThread: Math.round(r.stats.wordsPerSecPerThread),
        wordsPerCpuSec: Math.round(words / r.stats.trainCpuSeconds),
        trainSeconds: Number(r.stats.trainSeconds.toFixed(2)),
        setupSeconds: Number(r.stats.setupSeconds.toFixed(2)),
        simd: r.stats.simd,
        vocabSize: r.stats.vocabSize,
        corpusWords: r.stats.trainWords,
      });
      last = r;
    }
    if (last && (args.questions || args.similarity.length > 0)) {
      runs.push({ model, threads: args.threads[args.threads.length - 1], scores: scores(last, args) });
    }
  }
  const report = {
    benchmark: 'word2vec',
    corpus: synthetic ? { synthetic: 'zipf', words: args.words } : args.planted ? { planted: args.planted, words: args.words } : { file: corpus },
    settings: { size: 100, window: 5, sample: 1e-3, negative: 5, hs: 0, minCount: 5, epochs: args.epochs, alpha: { cbow: 0.05, skipgram: 0.025 } },
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    runs,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
