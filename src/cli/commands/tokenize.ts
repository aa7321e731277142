// `tessera tokenize`: encodes JSON lines with a tokenizer directory (tokenizer.json, vocab.txt, or
// vocab.json + merges.txt) and writes one JSON object per line with Hugging Face's field names.
import { closeSync, createReadStream, existsSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { TesseraError } from '../../errors.js';
import { Tokenizer, type EncodeOptions, type Encoding, type PaddingOptions, type TruncationStrategy } from '../../tokenizers/index.js';

interface TokenizeOptions {
  tokenizer: string;
  input: string;
  out: string;
  pair?: boolean;
  maxLength?: string;
  truncation?: string;
  padTo?: string;
  decoded?: boolean;
}

const STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];
const PAD_CANDIDATES = ['[PAD]', '<pad>', '<|pad|>', '<|endoftext|>'];

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new TesseraError(`${flag} must be a positive integer (got '${value}')`);
  return n;
}

/** The pad settings for --pad-to: the tokenizer's own, else the first usual pad token it knows. */
function padding(tokenizer: Tokenizer, length: number): PaddingOptions {
  if (tokenizer.padding) return { ...tokenizer.padding, length };
  for (const token of PAD_CANDIDATES) {
    const id = tokenizer.tokenToId(token);
    if (id !== undefined) return { length, padToken: token, padId: id, padTypeId: 0 };
  }
  throw new TesseraError(`--pad-to: the tokenizer has no pad token (looked for ${PAD_CANDIDATES.join(', ')})`);
}

function encodeOptions(tokenizer: Tokenizer, opts: TokenizeOptions): EncodeOptions {
  const options: EncodeOptions = {};
  if (opts.truncation !== undefined && opts.maxLength === undefined) throw new TesseraError('--truncation needs --max-length');
  if (opts.maxLength !== undefined) {
    const strategy = (opts.truncation ?? 'longest_first') as TruncationStrategy;
    if (!STRATEGIES.includes(strategy)) {
      throw new TesseraError(`--truncation must be one of ${STRATEGIES.join(', ')} (got '${opts.truncation}')`);
    }
    if (strategy === 'only_second' && !opts.pair) throw new TesseraError("--truncation only_second needs --pair");
    options.truncation = { maxLength: positiveInt(opts.maxLength, '--max-length'), strategy };
  }
  if (opts.padTo !== undefined) options.padding = padding(tokenizer, positiveInt(opts.padTo, '--pad-to'));
  return options;
}

/** One output line, with Hugging Face's snake_case names. */
function toLine(e: Encoding, decoded: string | undefined): string {
  const obj: Record<string, unknown> = {
    ids: e.ids,
    tokens: e.tokens,
    offsets: e.offsets,
    type_ids: e.typeIds,
    attention_mask: e.attentionMask,
    special_tokens_mask: e.specialTokensMask,
  };
  if (decoded !== undefined) obj.decoded = decoded;
  return JSON.stringify(obj);
}

function field(obj: unknown, key: string): string | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** Runs the command; returns the number of lines written. */
export async function tokenizeFile(opts: TokenizeOptions): Promise<number> {
  if (!existsSync(opts.input)) throw new TesseraError(`input file not found: ${opts.input}`);
  const tokenizer = Tokenizer.fromDir(opts.tokenizer);
  const options = encodeOptions(tokenizer, opts);
  const fd = openSync(opts.out, 'w');
  let written = 0;
  try {
    const lines = createInterface({ input: createReadStream(opts.input, { encoding: 'utf8' }), crlfDelay: Infinity });
    let lineNo = 0;
    let buffer: string[] = [];
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        throw new TesseraError(`${opts.input} line ${lineNo}: not valid JSON`);
      }
      let enc: Encoding;
      if (opts.pair) {
        const a = field(obj, 'a');
        const b = field(obj, 'b');
        if (a === undefined || b === undefined) throw new TesseraError(`${opts.input} line ${lineNo}: expected {"a": "...", "b": "..."} (--pair)`);
        enc = tokenizer.encode(a, b, options);
      } else {
        const text = field(obj, 'text');
        if (text === undefined) throw new TesseraError(`${opts.input} line ${lineNo}: expected {"text": "..."} (or use --pair for {"a", "b"} lines)`);
        enc = tokenizer.encode(text, null, options);
      }
      buffer.push(toLine(enc, opts.decoded ? tokenizer.decode(enc.ids) : undefined));
      written++;
      if (buffer.length >= 1024) {
        writeSync(fd, buffer.join('\n') + '\n');
        buffer = [];
      }
    }
    if (buffer.length > 0) writeSync(fd, buffer.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
  return written;
}

/** Registers `tessera tokenize`. */
export function register(program: Command): void {
  program
    .command('tokenize')
    .description('Tokenize JSON lines ({"text": ...} or, with --pair, {"a": ..., "b": ...}) into JSON lines of ids, tokens, offsets and masks')
    .requiredOption('--tokenizer <dir>', 'directory with tokenizer.json, vocab.txt (WordPiece) or vocab.json + merges.txt (BPE)')
    .requiredOption('--input <file>', 'input JSON lines')
    .requiredOption('--out <file>', 'output JSON lines')
    .option('--pair', 'lines hold a pair of texts {"a": ..., "b": ...}')
    .option('--max-length <n>', 'truncate to at most n tokens, special tokens included')
    .option('--truncation <strategy>', 'longest_first (default), only_first or only_second')
    .option('--pad-to <n>', 'pad every encoding to n tokens')
    .option('--decoded', 'also write "decoded": the ids decoded with special tokens skipped')
    .action(async (opts: TokenizeOptions) => {
      const n = await tokenizeFile(opts);
      process.stdout.write(`tokenize: wrote ${n} encodings to ${opts.out}\n`);
    });
}
