// The WordPiece model as BERT uses it: greedy longest-match-first over the vocabulary, continuation
// pieces carry the "##" prefix, and a word that is too long or cannot be covered becomes one [UNK]
// (HF tokenizers/src/models/wordpiece/mod.rs).
import { FormatError, TesseraError } from '../errors.js';
import { isObject, type JsonValue } from './json.js';
import { reverseVocab, vocabToJson, type Model } from './model.js';
import { codePointLength } from './unicode.js';

/** Options of {@link WordPieceModel}, named as in tokenizer.json. */
export interface WordPieceOptions {
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
}

/** Greedy longest-match-first WordPiece. */
export class WordPieceModel implements Model {
  readonly type = 'WordPiece' as const;
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  private readonly vocab: Map<string, number>;
  private readonly tokens: string[];
  private readonly maxPieceLength: number;

  constructor(vocab: Map<string, number>, options: WordPieceOptions = {}) {
    this.vocab = vocab;
    this.tokens = reverseVocab(vocab);
    this.unkToken = options.unkToken ?? '[UNK]';
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    let longest = 0;
    for (const token of vocab.keys()) if (token.length > longest) longest = token.length;
    this.maxPieceLength = longest;
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }

  private unkId(): number {
    const id = this.vocab.get(this.unkToken);
    if (id === undefined) throw new TesseraError(`WordPiece: the unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    return id;
  }

  tokenize(word: string, ids: number[], starts: number[], ends: number[]): void {
    const n = word.length;
    if (n === 0) return;
    if (codePointLength(word) > this.maxInputCharsPerWord) {
      ids.push(this.unkId());
      starts.push(0);
      ends.push(n);
      return;
    }
    const mark = ids.length;
    const prefix = this.continuingSubwordPrefix;
    let start = 0;
    while (start < n) {
      let end = Math.min(n, start + this.maxPieceLength);
      if (end < n && isSplitPair(word, end)) end--;
      let found = -1;
      while (end > start) {
        const piece = start === 0 ? (end === n ? word : word.slice(0, end)) : prefix + word.slice(start, end);
        const id = this.vocab.get(piece);
        if (id !== undefined) {
          found = id;
          break;
        }
        end -= end - 2 >= start && isSplitPair(word, end - 1) ? 2 : 1;
      }
      if (found < 0) {
        ids.length = starts.length = ends.length = mark;
        ids.push(this.unkId());
        starts.push(0);
        ends.push(n);
        return;
      }
      ids.push(found);
      starts.push(start);
      ends.push(end);
      start = end;
    }
  }

  toJson(): JsonValue {
    return new Map<string, JsonValue>([
      ['type', 'WordPiece'],
      ['unk_token', this.unkToken],
      ['continuing_subword_prefix', this.continuingSubwordPrefix],
      ['max_input_chars_per_word', this.maxInputCharsPerWord],
      ['vocab', vocabToJson(this.vocab)],
    ]);
  }

  /** Builds the model from the "model" section of a tokenizer.json. */
  static fromJson(j: Record<string, unknown>, where: string): WordPieceModel {
    const vocab = vocabFromJson(j.vocab, where);
    const str = (key: string, fallback: string): string => {
      const v = j[key];
      if (v === undefined || v === null) return fallback;
      if (typeof v !== 'string') throw new FormatError(`${where}: model field "${key}" must be a string`);
      return v;
    };
    const maxChars = j.max_input_chars_per_word ?? 100;
    if (typeof maxChars !== 'number' || !Number.isInteger(maxChars) || maxChars < 0) {
      throw new FormatError(`${where}: model field "max_input_chars_per_word" must be a non-negative integer`);
    }
    return new WordPieceModel(vocab, {
      unkToken: str('unk_token', '[UNK]'),
      continuingSubwordPrefix: str('continuing_subword_prefix', '##'),
      maxInputCharsPerWord: maxChars,
    });
  }
}

/** Whether position `i` falls between the two halves of a surrogate pair. */
function isSplitPair(s: string, i: number): boolean {
  const lo = s.charCodeAt(i);
  if (lo < 0xdc00 || lo > 0xdfff || i === 0) return false;
  const hi = s.charCodeAt(i - 1);
  return hi >= 0xd800 && hi <= 0xdbff;
}

/** Reads a {"token": id} vocabulary, checking every id is a non-negative integer. */
export function vocabFromJson(v: unknown, where: string): Map<string, number> {
  if (!isObject(v)) throw new FormatError(`${where}: the model has no "vocab" object`);
  const vocab = new Map<string, number>();
  for (const token in v) {
    const id = v[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new FormatError(`${where}: vocab entry ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not a non-negative integer`);
    }
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw new FormatError(`${where}: the vocabulary is empty`);
  return vocab;
}
