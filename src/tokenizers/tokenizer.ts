// The Tokenizer: added tokens -> normalizer -> pre-tokenizer -> model -> truncation -> post-processor
// -> padding, with offsets tracked back to the original text, and decode. Shaped like Hugging Face's
// tokenizers.Tokenizer; loads and saves tokenizer.json.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TesseraError } from '../errors.js';
import { AddedVocabulary, type AddedToken, type AddedTokenInit } from './added-vocabulary.js';
import { toByteLevel } from './byte-level.js';
import type { Decoder } from './decoder.js';
import { Encoding, truncateEncodings, type PaddingOptions, type TruncationOptions } from './encoding.js';
import { writeJson, type JsonValue } from './json.js';
import type { Model } from './model.js';
import { normalizeText, type NormalizedText, type Normalizer } from './normalizer.js';
import { defaultProcess, type PostProcessor } from './post-processor.js';
import type { PreTokenizer } from './pre-tokenizer.js';
import {
  bertParts,
  gpt2Parts,
  parseTokenizerJson,
  readBpeFiles,
  readTokenizerDir,
  readTokenizerFile,
  readWordPieceVocab,
  tokenizerToJson,
  type TokenizerParts,
} from './serialization.js';
import { hasSurrogates, utf16ToCodePointTable } from './unicode.js';

/** The pieces a tokenizer is built from; only the model is required. */
export interface TokenizerInit {
  model: Model;
  normalizer?: Normalizer | null;
  preTokenizer?: PreTokenizer | null;
  postProcessor?: PostProcessor | null;
  decoder?: Decoder | null;
  /** Tokens matched before the model runs, with their ids (tokenizer.json's added_tokens). */
  addedTokens?: AddedToken[];
  /** Default truncation for every encode call. */
  truncation?: TruncationOptions | null;
  /** Default padding for every encode call. */
  padding?: PaddingOptions | null;
}

/** Per-call options of encode / encodeBatch. */
export interface EncodeOptions {
  /** Let the post-processor add [CLS]/[SEP] etc. Default true. */
  addSpecialTokens?: boolean;
  /** Overrides the tokenizer's truncation (null: none). */
  truncation?: TruncationOptions | null;
  /** Overrides the tokenizer's padding (null: none). */
  padding?: PaddingOptions | null;
}

/** Options of decode. */
export interface DecodeOptions {
  /** Leave out special tokens ([CLS], [PAD], <|endoftext|>...). Default true, as in HF tokenizers. */
  skipSpecialTokens?: boolean;
}

/** A text, or a pair of texts. */
export type EncodeInput = string | readonly [string, string];

interface CachedWord {
  ids: number[];
  starts: number[];
  ends: number[];
}

const CACHE_WORD_LENGTH = 128;

/** A tokenizer pipeline. */
export class Tokenizer {
  readonly model: Model;
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  /** Default truncation of encode calls (HF's enable_truncation). */
  truncation: TruncationOptions | null;
  /** Default padding of encode calls (HF's enable_padding). */
  padding: PaddingOptions | null;
  /**
   * How many distinct words the encode cache keeps (word -> tokens, reused while encoding); 0 turns
   * the cache off. When full, the cache is emptied and refilled.
   */
  cacheCapacity = 200_000;
  private readonly added = new AddedVocabulary();
  private readonly cache = new Map<string, CachedWord>();
  private readonly byteLevel: boolean;
  // Scratch buffers reused by every encode call.
  private readonly segments: number[] = [];
  private readonly subSegments: number[] = [];
  private readonly spans: number[] = [];

  constructor(init: TokenizerInit) {
    this.model = init.model;
    this.normalizer = init.normalizer ?? null;
    this.preTokenizer = init.preTokenizer ?? null;
    this.postProcessor = init.postProcessor ?? null;
    this.decoder = init.decoder ?? null;
    this.truncation = init.truncation ?? null;
    this.padding = init.padding ?? null;
    this.byteLevel = this.preTokenizer?.byteLevel ?? false;
    for (const t of init.addedTokens ?? []) this.added.add({ ...t });
    this.refreshAdded();
  }

  /** Builds a tokenizer from parsed parts. */
  static fromParts(parts: TokenizerParts): Tokenizer {
    return new Tokenizer(parts);
  }

  /** Loads tokenizer.json, a BERT vocab.txt, or a GPT-2 vocab.json (with merges.txt beside it). */
  static fromFile(path: string): Tokenizer {
    return new Tokenizer(readTokenizerFile(path));
  }

  /** Loads the tokenizer of a directory: tokenizer.json, else vocab.txt, else vocab.json + merges.txt. */
  static fromDir(dir: string): Tokenizer {
    return new Tokenizer(readTokenizerDir(dir));
  }

  /** Parses the text of a tokenizer.json (`where` is named in errors). */
  static fromString(json: string, where = 'tokenizer.json'): Tokenizer {
    return new Tokenizer(parseTokenizerJson(json, where));
  }

  /** A BERT tokenizer from a vocab.txt (lowercasing and accent stripping when `lowercase`, default true). */
  static fromWordPieceVocab(path: string, options: { lowercase?: boolean } = {}): Tokenizer {
    return new Tokenizer(bertParts(readWordPieceVocab(path), options.lowercase ?? true));
  }

  /** A GPT-2 tokenizer from vocab.json and merges.txt. */
  static fromBpeFiles(vocabPath: string, mergesPath: string): Tokenizer {
    const { vocab, merges } = readBpeFiles(vocabPath, mergesPath);
    return new Tokenizer(gpt2Parts(vocab, merges, mergesPath));
  }

  /** The added tokens (special or not), ordered by id. */
  get addedTokens(): readonly AddedToken[] {
    return this.added.tokens;
  }

  private refreshAdded(): void {
    const n = this.normalizer;
    this.added.refresh((s) => (n ? normalizeText(n, s).text : s));
  }

  /** Adds tokens (matched in text before the model runs); returns how many were new. */
  addTokens(tokens: AddedTokenInit[], special = false): number {
    let added = 0;
    for (const init of tokens) {
      const spec = typeof init === 'string' ? { content: init } : init;
      if (spec.content === '') continue;
      const isSpecial = spec.special ?? special;
      const old = this.added.getByContent(spec.content);
      const id = old?.id ?? this.model.tokenToId(spec.content) ?? this.nextId();
      if (!old) added++;
      this.added.add({
        id,
        content: spec.content,
        singleWord: spec.singleWord ?? false,
        lstrip: spec.lstrip ?? false,
        rstrip: spec.rstrip ?? false,
        normalized: spec.normalized ?? !isSpecial,
        special: isSpecial,
      });
    }
    this.refreshAdded();
    return added;
  }

  /** Adds special tokens (skipped when decoding with skipSpecialTokens); returns how many were new. */
  addSpecialTokens(tokens: AddedTokenInit[]): number {
    return this.addTokens(tokens, true);
  }

  private nextId(): number {
    let max = -1;
    for (const id of this.model.getVocab().values()) if (id > max) max = id;
    for (const t of this.added.tokens) if (t.id > max) max = t.id;
    return max + 1;
  }

  /** The id of a token (added tokens first), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.added.getByContent(token)?.id ?? this.model.tokenToId(token);
  }

  /** The token of an id (added tokens first, normalized ones in their normalized form), or undefined. */
  idToToken(id: number): string | undefined {
    return this.added.tokenOf(id) ?? this.model.idToToken(id);
  }

  /** The vocabulary, token to id, with the added tokens unless `withAddedTokens` is false. */
  getVocab(withAddedTokens = true): Map<string, number> {
    const v = this.model.getVocab();
    if (withAddedTokens) for (const t of this.added.tokens) v.set(t.content, t.id);
    return v;
  }

  /** Size of the vocabulary, with the added tokens unless `withAddedTokens` is false. */
  getVocabSize(withAddedTokens = true): number {
    return withAddedTokens ? this.getVocab(true).size : this.model.vocabSize;
  }

  /** Encodes a text, or a pair when `pair` is given. */
  encode(text: string, pair?: string | null, options: EncodeOptions = {}): Encoding {
    const enc = this.encodeUnpadded(text, pair ?? null, options);
    const padding = options.padding !== undefined ? options.padding : this.padding;
    if (padding) this.pad([enc], padding);
    return enc;
  }

  /** Encodes texts or pairs; padding without a fixed length pads to the longest of the batch. */
  encodeBatch(inputs: readonly EncodeInput[], options: EncodeOptions = {}): Encoding[] {
    const out = inputs.map((input) =>
      typeof input === 'string' ? this.encodeUnpadded(input, null, options) : this.encodeUnpadded(input[0], input[1], options),
    );
    const padding = options.padding !== undefined ? options.padding : this.padding;
    if (padding) this.pad(out, padding);
    return out;
  }

  /** Encodes a text to ids only (no special tokens, truncation or padding). */
  encodeIds(text: string): number[] {
    return this.encodeSequence(text, 0).ids;
  }

  private encodeUnpadded(text: string, pair: string | null, options: EncodeOptions): Encoding {
    if (typeof text !== 'string' || (pair !== null && typeof pair !== 'string')) {
      throw new TesseraError('encode: the input must be a string (and the pair, when given, a string)');
    }
    const a = this.encodeSequence(text, 0);
    const b = pair === null ? null : this.encodeSequence(pair, 1);
    const addSpecial = options.addSpecialTokens ?? true;
    const truncation = options.truncation !== undefined ? options.truncation : this.truncation;
    if (truncation) {
      if (!Number.isInteger(truncation.maxLength) || truncation.maxLength < 0) {
        throw new TesseraError(`truncation: maxLength must be a non-negative integer (got ${truncation.maxLength})`);
      }
      const reserved = addSpecial && this.postProcessor ? this.postProcessor.addedTokens(b !== null) : 0;
      truncateEncodings(
        a,
        b,
        truncation.maxLength - reserved,
        truncation.strategy ?? 'longest_first',
        truncation.direction ?? 'right',
        truncation.maxLength,
      );
    }
    return this.postProcessor ? this.postProcessor.process(a, b, addSpecial) : defaultProcess(a, b);
  }

  private pad(encodings: Encoding[], padding: PaddingOptions): void {
    let target = padding.length ?? Math.max(0, ...encodings.map((e) => e.length));
    const multiple = padding.padToMultipleOf;
    if (multiple && multiple > 0 && target % multiple !== 0) target += multiple - (target % multiple);
    const padToken = padding.padToken ?? '[PAD]';
    const padId = padding.padId ?? this.tokenToId(padToken);
    if (padId === undefined) {
      throw new TesseraError(`padding: the pad token ${JSON.stringify(padToken)} is not in the vocabulary (set padToken or padId)`);
    }
    for (const e of encodings) e.pad(target, padId, padding.padTypeId ?? 0, padToken, padding.direction ?? 'right');
  }

  /** Tokenizes one text: added tokens, then normalize, pre-tokenize and model each remaining segment. */
  private encodeSequence(text: string, typeId: number): Encoding {
    const ids: number[] = [];
    const tokens: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const words: number[] = [];
    const segments = this.segments;
    segments.length = 0;
    this.added.splitRaw(text, 0, text.length, segments);
    let word = 0;
    for (let k = 0; k < segments.length; k += 3) {
      const s = segments[k]!;
      const e = segments[k + 1]!;
      const id = segments[k + 2]!;
      if (id >= 0) {
        ids.push(id);
        tokens.push(text.slice(s, e));
        starts.push(s);
        ends.push(e);
        words.push(word++);
      } else if (e > s) {
        word = this.encodeSegment(text, s, e, word, ids, tokens, starts, ends, words);
      }
    }
    return this.buildEncoding(text, typeId, ids, tokens, starts, ends, words);
  }

  private encodeSegment(
    text: string,
    segStart: number,
    segEnd: number,
    firstWord: number,
    ids: number[],
    tokens: string[],
    starts: number[],
    ends: number[],
    words: number[],
  ): number {
    const raw = segStart === 0 && segEnd === text.length ? text : text.slice(segStart, segEnd);
    const norm: NormalizedText = this.normalizer ? normalizeText(this.normalizer, raw) : { text: raw, starts: null, ends: null };
    let word = firstWord;
    const sub = this.subSegments;
    sub.length = 0;
    if (this.added.hasNormalized) this.added.splitNormalized(norm.text, 0, norm.text.length, sub);
    else sub.push(0, norm.text.length, -1);
    const model = this.model;
    const cache = this.cache;
    const spans = this.spans;
    const prefixSpace = this.preTokenizer?.addPrefixSpace ?? false;
    for (let q = 0; q < sub.length; q += 3) {
      let a = sub[q]!;
      let b = sub[q + 1]!;
      const addedId = sub[q + 2]!;
      if (addedId >= 0) {
        ids.push(addedId);
        tokens.push(norm.text.slice(a, b));
        starts.push(segStart + (norm.starts ? norm.starts[a]! : a));
        ends.push(segStart + (norm.ends ? norm.ends[b - 1]! : b));
        words.push(word++);
        continue;
      }
      // The text the pre-tokenizer sees: this piece, with a space in front when the pre-tokenizer
      // asks for one (HF's ByteLevel add_prefix_space, applied to every piece between added tokens).
      let nt = norm.text;
      let alignStarts = norm.starts;
      let alignEnds = norm.ends;
      if (prefixSpace && b > a && nt.charCodeAt(a) !== 32) {
        const piece = prependSpace(norm, a, b);
        nt = piece.text;
        alignStarts = piece.starts;
        alignEnds = piece.ends;
        a = 0;
        b = nt.length;
      }
      spans.length = 0;
      if (this.preTokenizer) this.preTokenizer.split(nt, a, b, spans);
      else if (b > a) spans.push(a, b);
      for (let w = 0; w < spans.length; w += 2) {
        const ws = spans[w]!;
        const we = spans[w + 1]!;
        const piece = ws === 0 && we === nt.length ? nt : nt.slice(ws, we);
        let c = cache.get(piece);
        if (c === undefined) {
          c = this.tokenizeWord(piece);
          if (piece.length <= CACHE_WORD_LENGTH && this.cacheCapacity > 0) {
            if (cache.size >= this.cacheCapacity) cache.clear();
            cache.set(piece, c);
          }
        }
        const cIds = c.ids;
        for (let t = 0; t < cIds.length; t++) {
          const id = cIds[t]!;
          const ns = ws + c.starts[t]!;
          const ne = ws + c.ends[t]!;
          ids.push(id);
          tokens.push(model.idToToken(id)!);
          if (alignStarts === null) {
            starts.push(segStart + ns);
            ends.push(segStart + ne);
          } else {
            starts.push(segStart + alignStarts[ns]!);
            ends.push(segStart + (ne > ns ? alignEnds![ne - 1]! : alignStarts[ns]!));
          }
          words.push(word);
        }
        word++;
      }
    }
    return word;
  }

  /** Runs the model on one pre-token (spelled in byte-level characters for a byte-level pre-tokenizer). */
  private tokenizeWord(piece: string): CachedWord {
    const ids: number[] = [];
    const st: number[] = [];
    const en: number[] = [];
    if (this.byteLevel) {
      const bl = toByteLevel(piece);
      this.model.tokenize(bl.text, ids, st, en);
      if (bl.starts !== null && bl.ends !== null) {
        for (let k = 0; k < ids.length; k++) {
          const e = en[k]!;
          st[k] = bl.starts[st[k]!]!;
          en[k] = e > 0 ? bl.ends[e - 1]! : 0;
        }
      }
    } else {
      this.model.tokenize(piece, ids, st, en);
    }
    return { ids, starts: st, ends: en };
  }

  private buildEncoding(text: string, typeId: number, ids: number[], tokens: string[], starts: number[], ends: number[], words: number[]): Encoding {
    const n = ids.length;
    const enc = new Encoding();
    enc.ids = ids;
    enc.tokens = tokens;
    const offsets: Array<[number, number]> = new Array(n);
    for (let k = 0; k < n; k++) offsets[k] = [starts[k]!, ends[k]!];
    if (hasSurrogates(text)) {
      const table = utf16ToCodePointTable(text);
      enc.utf16Offsets = offsets;
      enc.offsets = offsets.map(([s, e]) => [table[s]!, table[e]!]);
    } else {
      enc.offsets = offsets;
      enc.utf16Offsets = offsets;
    }
    enc.typeIds = new Array<number>(n).fill(typeId);
    enc.attentionMask = new Array<number>(n).fill(1);
    enc.specialTokensMask = new Array<number>(n).fill(0);
    enc.wordIds = words;
    enc.sequenceIds = new Array<number | null>(n).fill(typeId);
    return enc;
  }

  /** Turns ids back into text (unknown ids are skipped, as HF does). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const token = this.idToToken(id);
      if (token === undefined) continue;
      if (skip && this.added.isSpecial(token)) continue;
      tokens.push(token);
    }
    return this.decoder ? this.decoder.decode(tokens) : tokens.join(' ');
  }

  /** Decodes several id sequences. */
  decodeBatch(batch: ReadonlyArray<ArrayLike<number>>, options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  /** The tokenizer.json value (sections in Hugging Face's order). */
  toJson(): JsonValue {
    return tokenizerToJson(
      {
        model: this.model,
        normalizer: this.normalizer,
        preTokenizer: this.preTokenizer,
        postProcessor: this.postProcessor,
        decoder: this.decoder,
        addedTokens: [...this.added.tokens],
        truncation: this.truncation,
        padding: this.padding,
      },
      this.added,
    );
  }

  /** The tokenizer.json text, pretty-printed as Hugging Face writes it. */
  toString(): string {
    return writeJson(this.toJson());
  }

  /** Writes tokenizer.json to `path` (a file path, or a directory to write tokenizer.json into). */
  save(path: string): void {
    const target = existsSync(path) && statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
    writeFileSync(target, this.toString());
  }
}

/**
 * The piece [a, b) of a normalized text with a space in front. As in HF's NormalizedString::prepend,
 * the space is aligned with the piece's first character.
 */
function prependSpace(norm: NormalizedText, a: number, b: number): NormalizedText {
  const n = b - a;
  const starts = new Int32Array(n + 1);
  const ends = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    starts[i + 1] = norm.starts ? norm.starts[a + i]! : a + i;
    ends[i + 1] = norm.ends ? norm.ends[a + i]! : a + i + 1;
  }
  // The whole first character: both halves of a surrogate pair.
  const pair = n > 1 && (norm.text.charCodeAt(a) & 0xfc00) === 0xd800 && (norm.text.charCodeAt(a + 1) & 0xfc00) === 0xdc00;
  starts[0] = starts[1]!;
  ends[0] = pair ? ends[2]! : ends[1]!;
  return { text: ' ' + norm.text.slice(a, b), starts, ends };
}
