// Tokenizer benchmark: one-thread, line-by-line encode throughput (MB/s, tokens/s) of the BERT WordPiece
// and GPT-2 BPE fixture tokenizers, and the time to train an 8,000-token vocabulary of each.
// Usage: node dist/bench/tokenizers.js [--input train.txt] [--vocab-size 8000]
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { TesseraError } from '../src/errors.js';
import { Tokenizer, trainBpe, trainWordPiece } from '../src/tokenizers/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(ROOT, 'test/fixtures/tokenizers');
const DEFAULT_MB = 5;

/** Encode and training figures of one tokenizer kind. */
export interface TokenizerBenchFigures {
  tokenizer: string;
  encodeSeconds: number;
  mbPerSecond: number;
  tokens: number;
  tokensPerSecond: number;
  /** The same encode pass with the word cache off: every word goes through the model. */
  uncachedMbPerSecond: number;
  trainSeconds: number;
  trainedVocabSize: number;
}

/** What the benchmark prints (as JSON) and returns. */
export interface TokenizerBenchResult {
  input: string;
  megabytes: number;
  lines: number;
  wordpiece: TokenizerBenchFigures;
  bpe: TokenizerBenchFigures;
  /** Hugging Face tokenizers (Rust), encode called line by line from Python, from speed.json. */
  huggingFaceSingleThreadMbPerSecond: { wordpiece: number | null; bpe: number | null };
}

function parseArgs(argv: string[]): { input?: string; vocabSize: number } {
  let input: string | undefined;
  let vocabSize = 8000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new TesseraError(`${a} needs a value`);
      return v;
    };
    if (a === '--input') input = value();
    else if (a === '--vocab-size') {
      vocabSize = Number(value());
      if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new TesseraError(`--vocab-size must be a positive integer`);
    } else throw new TesseraError(`unknown option ${a} (expected --input FILE, --vocab-size N)`);
  }
  return { input, vocabSize };
}

/** The fixture texts (every single text and both sides of every pair), repeated to about `mb` MB. */
function fixtureLines(mb: number): string[] {
  const texts: string[] = [];
  for (const name of ['wordpiece-uncased', 'bpe-gpt2']) {
    const exp = JSON.parse(gunzipSync(readFileSync(join(FIXTURES, name, 'expected.json.gz'))).toString('utf8')) as {
      single: Array<{ text: string }>;
      pair: Array<{ a: string; b: string }>;
    };
    for (const c of exp.single) texts.push(c.text);
    for (const c of exp.pair) texts.push(c.a, c.b);
  }
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < mb * 1e6) {
    for (const t of texts) {
      lines.push(t);
      bytes += Buffer.byteLength(t) + 1;
    }
  }
  return lines;
}

function encodeAll(tokenizer: Tokenizer, lines: string[]): { seconds: number; tokens: number } {
  const t0 = performance.now();
  let tokens = 0;
  for (const line of lines) tokens += tokenizer.encode(line).ids.length;
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

function measure(kind: 'wordpiece' | 'bpe', lines: string[], megabytes: number, vocabSize: number): TokenizerBenchFigures {
  const dir = join(FIXTURES, kind === 'wordpiece' ? 'wordpiece-uncased' : 'bpe-gpt2');
  // Warm the JIT on one instance, then time a fresh one (its word cache starts empty).
  encodeAll(Tokenizer.fromDir(dir), lines.slice(0, Math.min(lines.length, 2000)));
  const { seconds, tokens } = encodeAll(Tokenizer.fromDir(dir), lines);
  const uncached = Tokenizer.fromDir(dir);
  uncached.cacheCapacity = 0;
  const cold = encodeAll(uncached, lines);
  const t0 = performance.now();
  const trained =
    kind === 'wordpiece' ? trainWordPiece({ texts: lines }, { vocabSize }) : trainBpe({ texts: lines }, { vocabSize });
  const trainSeconds = (performance.now() - t0) / 1000;
  return {
    tokenizer: dir.slice(ROOT.length + 1),
    encodeSeconds: seconds,
    mbPerSecond: megabytes / seconds,
    tokens,
    tokensPerSecond: tokens / seconds,
    uncachedMbPerSecond: megabytes / cold.seconds,
    trainSeconds,
    trainedVocabSize: trained.getVocabSize(),
  };
}

/** Runs the benchmark, prints its JSON on stdout and returns it. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<TokenizerBenchResult> {
  const args = parseArgs(argv);
  let lines: string[];
  let input: string;
  if (args.input !== undefined) {
    if (!existsSync(args.input) || statSync(args.input).isDirectory()) throw new TesseraError(`input file not found: ${args.input}`);
    lines = readFileSync(args.input, 'utf8').split('\n');
    input = args.input;
  } else {
    lines = fixtureLines(DEFAULT_MB);
    input = `fixture texts repeated to ~${DEFAULT_MB} MB`;
    process.stderr.write(
      `tokenizers bench: no --input given; using the fixture texts repeated to ~${DEFAULT_MB} MB ` +
        `(repetitive text: the word cache hits more often than on a real corpus such as WikiText-2 train.txt)\n`,
    );
  }
  const megabytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / 1e6;
  let hf: { wordpiece: number | null; bpe: number | null } = { wordpiece: null, bpe: null };
  const speedPath = join(FIXTURES, 'speed.json');
  if (existsSync(speedPath)) {
    const s = JSON.parse(readFileSync(speedPath, 'utf8')) as Record<string, { single_call_loop_mb_per_s?: number }>;
    hf = { wordpiece: s['wordpiece-uncased']?.single_call_loop_mb_per_s ?? null, bpe: s['bpe-gpt2']?.single_call_loop_mb_per_s ?? null };
  }
  const result: TokenizerBenchResult = {
    input,
    megabytes,
    lines: lines.length,
    wordpiece: measure('wordpiece', lines, megabytes, args.vocabSize),
    bpe: measure('bpe', lines, megabytes, args.vocabSize),
    huggingFaceSingleThreadMbPerSecond: hf,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return result;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`tessera bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
