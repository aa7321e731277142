// The character-level tokenizer (char-level GPT): one token per Unicode character, the vocabulary being
// the sorted characters of a corpus. It is saved as a tokenizer.json that Hugging Face tokenizers loads
// with the same behaviour: a BPE model without merges, no pre-tokenizer, and the Fuse decoder.
import { FormatError, TesseraError } from '../errors.js';
import type { AddedToken } from './added-vocabulary.js';
import { BpeModel } from './bpe.js';
import { FuseDecoder } from './decoder.js';
import { parseTokenizerJson, readTextFile, type TokenizerParts } from './serialization.js';
import { Tokenizer } from './tokenizer.js';

/** Options of {@link CharTokenizer.fromCorpus}. */
export interface CharTokenizerOptions {
  /** Tokens placed before the characters (ids 0..k-1), matched whole in text, skipped by decode. */
  specialTokens?: readonly string[];
  /**
   * A token for characters outside the vocabulary (added to the special tokens). Without one, unseen
   * characters are dropped, as Hugging Face's BPE does.
   */
  unkToken?: string | null;
}

/** A tokenizer with one token per character. */
export class CharTokenizer extends Tokenizer {
  private readonly idOfChar = new Map<number, number>();
  private readonly unkId: number | undefined;

  private constructor(parts: TokenizerParts, where: string) {
    super(parts);
    const model = parts.model;
    if (!(model instanceof BpeModel) || model.merges.length > 0 || parts.preTokenizer !== null || parts.normalizer !== null) {
      throw new FormatError(`${where}: not a character tokenizer (expected a BPE model without merges, no normalizer, no pre-tokenizer)`);
    }
    const specials = new Set(parts.addedTokens.map((t) => t.content));
    for (const [token, id] of model.getVocab()) {
      if (specials.has(token)) continue;
      const cp = token.codePointAt(0);
      if (cp === undefined || String.fromCodePoint(cp) !== token) {
        throw new FormatError(`${where}: vocabulary entry ${JSON.stringify(token)} is not a single character`);
      }
      this.idOfChar.set(cp, id);
    }
    this.unkId = model.unkToken === null ? undefined : model.tokenToId(model.unkToken);
  }

  /** Builds the vocabulary from a corpus: its distinct characters sorted by code point (nanoGPT's order). */
  static fromCorpus(corpus: string | Iterable<string>, options: CharTokenizerOptions = {}): CharTokenizer {
    const seen = new Set<number>();
    for (const text of typeof corpus === 'string' ? [corpus] : corpus) {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
          const d = text.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            seen.add(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
            i++;
            continue;
          }
        }
        seen.add(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
      }
    }
    const unk = options.unkToken ?? null;
    const specialTokens = [...(options.specialTokens ?? [])];
    if (unk !== null && !specialTokens.includes(unk)) specialTokens.push(unk);
    const vocab = new Map<string, number>();
    for (const t of specialTokens) if (!vocab.has(t)) vocab.set(t, vocab.size);
    for (const cp of [...seen].sort((a, b) => a - b)) {
      const ch = String.fromCodePoint(cp);
      if (!vocab.has(ch)) vocab.set(ch, vocab.size);
    }
    if (vocab.size === 0) throw new TesseraError('CharTokenizer.fromCorpus: the corpus is empty');
    const addedTokens: AddedToken[] = specialTokens.map((content) => ({
      id: vocab.get(content)!,
      content,
      singleWord: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
    return new CharTokenizer(
      {
        model: new BpeModel(vocab, [], { unkToken: unk }),
        normalizer: null,
        preTokenizer: null,
        postProcessor: null,
        decoder: new FuseDecoder(),
        addedTokens,
        truncation: null,
        padding: null,
      },
      'CharTokenizer',
    );
  }

  /** Loads a character tokenizer saved with save() (a tokenizer.json). */
  static override fromFile(path: string): CharTokenizer {
    return new CharTokenizer(parseTokenizerJson(readTextFile(path, 'tokenizer file'), path), path);
  }

  /** The characters (and special tokens) by id. */
  get vocabulary(): string[] {
    const out: string[] = [];
    for (const [token, id] of this.getVocab()) out[id] = token;
    return out;
  }

  /** Encodes a text to ids, one per character (special tokens in the text are matched whole). */
  override encodeIds(text: string): number[] {
    if (this.addedTokens.length > 0 && this.addedTokens.some((t) => text.includes(t.content))) return super.encodeIds(text);
    const ids: number[] = [];
    for (let i = 0; i < text.length; i++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          i++;
        }
      }
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      const id = this.idOfChar.get(cp);
      if (id !== undefined) ids.push(id);
      else if (this.unkId !== undefined) ids.push(this.unkId);
    }
    return ids;
  }
}
