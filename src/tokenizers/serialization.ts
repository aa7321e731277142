// Reading and writing tokenizer files: Hugging Face's tokenizer.json (every section), BERT's vocab.txt
// and GPT-2's vocab.json + merges.txt. Malformed files fail with a FormatError naming the file and
// what is wrong.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FormatError, TesseraError } from '../errors.js';
import { AddedVocabulary, type AddedToken } from './added-vocabulary.js';
import { BpeModel, looksLikeBpe, parseMerge } from './bpe.js';
import { ByteLevelDecoder, decoderFromJson, WordPieceDecoder, type Decoder } from './decoder.js';
import type { PaddingOptions, TruncationOptions } from './encoding.js';
import { isObject, type JsonValue } from './json.js';
import type { Model } from './model.js';
import { BertNormalizer, normalizerFromJson, type Normalizer } from './normalizer.js';
import { ByteLevelProcessing, postProcessorFromJson, TemplateProcessing, type PostProcessor } from './post-processor.js';
import { BertPreTokenizer, ByteLevelPreTokenizer, preTokenizerFromJson, type PreTokenizer } from './pre-tokenizer.js';
import { vocabFromJson, WordPieceModel } from './wordpiece.js';

/** Everything a tokenizer is made of. */
export interface TokenizerParts {
  model: Model;
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  postProcessor: PostProcessor | null;
  decoder: Decoder | null;
  addedTokens: AddedToken[];
  truncation: TruncationOptions | null;
  padding: PaddingOptions | null;
}

/** Reads a whole text file, failing with a TesseraError naming it when it is missing. */
export function readTextFile(path: string, what: string): string {
  if (!existsSync(path)) throw new TesseraError(`${what} not found: ${path}`);
  if (statSync(path).isDirectory()) throw new TesseraError(`${what} is a directory, not a file: ${path}`);
  return readFileSync(path, 'utf8');
}

function modelFromJson(json: unknown, where: string): Model {
  if (json === undefined || json === null) throw new FormatError(`${where}: missing the "model" section`);
  if (!isObject(json)) throw new FormatError(`${where}: "model" must be an object`);
  let type = json.type;
  if (type === undefined) type = looksLikeBpe(json) ? 'BPE' : isObject(json.vocab) ? 'WordPiece' : undefined;
  switch (type) {
    case 'WordPiece':
      return WordPieceModel.fromJson(json, where);
    case 'BPE':
      return BpeModel.fromJson(json, where);
    default:
      throw new FormatError(`${where}: unknown model type ${JSON.stringify(type ?? null)} (supported: WordPiece, BPE)`);
  }
}

const DIRECTIONS: Record<string, 'right' | 'left'> = { Right: 'right', Left: 'left' };
const STRATEGIES: Record<string, TruncationOptions['strategy']> = {
  LongestFirst: 'longest_first',
  OnlyFirst: 'only_first',
  OnlySecond: 'only_second',
};

function truncationFromJson(json: unknown, where: string): TruncationOptions | null {
  if (json === null || json === undefined) return null;
  if (!isObject(json) || typeof json.max_length !== 'number') throw new FormatError(`${where}: "truncation" needs a numeric "max_length"`);
  const strategy = STRATEGIES[String(json.strategy ?? 'LongestFirst')];
  if (strategy === undefined) throw new FormatError(`${where}: unknown truncation strategy ${JSON.stringify(json.strategy)}`);
  return {
    maxLength: json.max_length,
    strategy,
    direction: DIRECTIONS[String(json.direction ?? 'Right')] ?? 'right',
    stride: typeof json.stride === 'number' ? json.stride : 0,
  };
}

function paddingFromJson(json: unknown, where: string): PaddingOptions | null {
  if (json === null || json === undefined) return null;
  if (!isObject(json)) throw new FormatError(`${where}: "padding" must be an object or null`);
  const out: PaddingOptions = {
    direction: DIRECTIONS[String(json.direction ?? 'Right')] ?? 'right',
    padId: typeof json.pad_id === 'number' ? json.pad_id : 0,
    padTypeId: typeof json.pad_type_id === 'number' ? json.pad_type_id : 0,
    padToken: typeof json.pad_token === 'string' ? json.pad_token : '[PAD]',
  };
  if (typeof json.pad_to_multiple_of === 'number') out.padToMultipleOf = json.pad_to_multiple_of;
  const s = json.strategy;
  if (isObject(s) && typeof s.Fixed === 'number') out.length = s.Fixed;
  else if (s !== undefined && s !== 'BatchLongest') throw new FormatError(`${where}: unknown padding strategy ${JSON.stringify(s)}`);
  return out;
}

/** Parses the text of a tokenizer.json; `where` (the file) is named in errors. */
export function parseTokenizerJson(text: string, where: string): TokenizerParts {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${where}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(json)) throw new FormatError(`${where}: expected a JSON object at the top level`);
  if (!('model' in json)) throw new FormatError(`${where}: missing the "model" section`);
  return {
    model: modelFromJson(json.model, where),
    normalizer: normalizerFromJson(json.normalizer, where),
    preTokenizer: preTokenizerFromJson(json.pre_tokenizer, where),
    postProcessor: postProcessorFromJson(json.post_processor, where),
    decoder: decoderFromJson(json.decoder, where),
    addedTokens: AddedVocabulary.fromJson(json.added_tokens, where),
    truncation: truncationFromJson(json.truncation, where),
    padding: paddingFromJson(json.padding, where),
  };
}

function truncationToJson(t: TruncationOptions | null): JsonValue {
  if (t === null) return null;
  return new Map<string, JsonValue>([
    ['direction', t.direction === 'left' ? 'Left' : 'Right'],
    ['max_length', t.maxLength],
    ['strategy', t.strategy === 'only_first' ? 'OnlyFirst' : t.strategy === 'only_second' ? 'OnlySecond' : 'LongestFirst'],
    ['stride', t.stride ?? 0],
  ]);
}

function paddingToJson(p: PaddingOptions | null): JsonValue {
  if (p === null) return null;
  return new Map<string, JsonValue>([
    ['strategy', p.length === undefined ? 'BatchLongest' : { Fixed: p.length }],
    ['direction', p.direction === 'left' ? 'Left' : 'Right'],
    ['pad_to_multiple_of', p.padToMultipleOf ?? null],
    ['pad_id', p.padId ?? 0],
    ['pad_type_id', p.padTypeId ?? 0],
    ['pad_token', p.padToken ?? '[PAD]'],
  ]);
}

/** The tokenizer.json value of a tokenizer, section by section in Hugging Face's order. */
export function tokenizerToJson(parts: TokenizerParts, added: AddedVocabulary): JsonValue {
  return new Map<string, JsonValue>([
    ['version', '1.0'],
    ['truncation', truncationToJson(parts.truncation)],
    ['padding', paddingToJson(parts.padding)],
    ['added_tokens', added.toJson()],
    ['normalizer', parts.normalizer?.toJson() ?? null],
    ['pre_tokenizer', parts.preTokenizer?.toJson() ?? null],
    ['post_processor', parts.postProcessor?.toJson() ?? null],
    ['decoder', parts.decoder?.toJson() ?? null],
    ['model', parts.model.toJson()],
  ]);
}

function specialToken(id: number, content: string): AddedToken {
  return { id, content, singleWord: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** Reads a BERT vocab.txt (one token per line, the line number is the id). */
export function readWordPieceVocab(path: string): Map<string, number> {
  const text = readTextFile(path, 'vocabulary file');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, i) => vocab.set(line.trimEnd(), i));
  if (lines.every((l) => l.trim() === '')) throw new FormatError(`${path}: the vocabulary is empty (expected one token per line)`);
  return vocab;
}

/** Whether a BERT vocabulary directory asks for lowercasing (tokenizer_config.json "do_lower_case", default true). */
export function readDoLowerCase(dir: string): boolean {
  const path = join(dir, 'tokenizer_config.json');
  if (!existsSync(path)) return true;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FormatError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return isObject(json) && typeof json.do_lower_case === 'boolean' ? json.do_lower_case : true;
}

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** A BERT tokenizer around a WordPiece vocabulary: BERT normalizer and pre-tokenizer, [CLS]/[SEP] template. */
export function bertParts(vocab: Map<string, number>, lowercase: boolean): TokenizerParts {
  const addedTokens = BERT_SPECIALS.filter((t) => vocab.has(t)).map((t) => specialToken(vocab.get(t)!, t));
  const cls = vocab.get('[CLS]');
  const sep = vocab.get('[SEP]');
  return {
    model: new WordPieceModel(vocab, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }),
    normalizer: new BertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: null, lowercase }),
    preTokenizer: new BertPreTokenizer(),
    postProcessor:
      cls !== undefined && sep !== undefined
        ? TemplateProcessing.fromStrings('[CLS]:0 $A:0 [SEP]:0', '[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1', [
            ['[CLS]', cls],
            ['[SEP]', sep],
          ])
        : null,
    decoder: new WordPieceDecoder('##', true),
    addedTokens,
    truncation: null,
    padding: null,
  };
}

/** Reads GPT-2's vocab.json and merges.txt. */
export function readBpeFiles(vocabPath: string, mergesPath: string): { vocab: Map<string, number>; merges: Array<[string, string]> } {
  const vocabText = readTextFile(vocabPath, 'vocabulary file');
  let json: unknown;
  try {
    json = JSON.parse(vocabText);
  } catch (err) {
    throw new FormatError(`${vocabPath}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const vocab = vocabFromJson(json, vocabPath);
  const merges: Array<[string, string]> = [];
  readTextFile(mergesPath, 'merges file')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '' || (i === 0 && line.startsWith('#version'))) return;
      merges.push(parseMerge(line, merges.length, `${mergesPath} line ${i + 1}`));
    });
  return { vocab, merges };
}

/** GPT-2's tokenizer around a byte-level BPE: ByteLevel pre-tokenizer, post-processor and decoder. */
export function gpt2Parts(vocab: Map<string, number>, merges: Array<[string, string]>, where: string): TokenizerParts {
  const eot = vocab.get('<|endoftext|>');
  return {
    model: new BpeModel(vocab, merges, {}, where),
    normalizer: null,
    preTokenizer: new ByteLevelPreTokenizer({ addPrefixSpace: false, trimOffsets: true, useRegex: true }),
    postProcessor: new ByteLevelProcessing({ addPrefixSpace: true, trimOffsets: false, useRegex: true }),
    decoder: new ByteLevelDecoder(true, true, true),
    addedTokens: eot === undefined ? [] : [specialToken(eot, '<|endoftext|>')],
    truncation: null,
    padding: null,
  };
}

/** Reads a tokenizer file: tokenizer.json (or any .json with a "model"), vocab.txt, or vocab.json beside merges.txt. */
export function readTokenizerFile(path: string): TokenizerParts {
  if (path.endsWith('.txt')) return bertParts(readWordPieceVocab(path), readDoLowerCase(dirname(path)));
  const merges = join(dirname(path), 'merges.txt');
  if (/vocab\.json$/.test(path) && existsSync(path) && existsSync(merges)) {
    const { vocab, merges: m } = readBpeFiles(path, merges);
    return gpt2Parts(vocab, m, merges);
  }
  return parseTokenizerJson(readTextFile(path, 'tokenizer file'), path);
}

/** Reads the tokenizer in a directory: tokenizer.json, else vocab.txt (WordPiece), else vocab.json + merges.txt (BPE). */
export function readTokenizerDir(dir: string): TokenizerParts {
  if (!existsSync(dir)) throw new TesseraError(`tokenizer directory not found: ${dir}`);
  if (!statSync(dir).isDirectory()) return readTokenizerFile(dir);
  const tj = join(dir, 'tokenizer.json');
  if (existsSync(tj)) return parseTokenizerJson(readTextFile(tj, 'tokenizer file'), tj);
  const vt = join(dir, 'vocab.txt');
  if (existsSync(vt)) return bertParts(readWordPieceVocab(vt), readDoLowerCase(dir));
  const vj = join(dir, 'vocab.json');
  const mt = join(dir, 'merges.txt');
  if (existsSync(vj) && existsSync(mt)) {
    const { vocab, merges } = readBpeFiles(vj, mt);
    return gpt2Parts(vocab, merges, mt);
  }
  throw new TesseraError(`no tokenizer in ${dir}: expected tokenizer.json, vocab.txt, or vocab.json with merges.txt`);
}
