// A character-level corpus: the text, its character tokenizer (sorted distinct characters, nanoGPT's
// vocabulary) and the encoded ids, split into training and validation parts.
import { CharTokenizer } from '../tokenizers/char.js';
import { readTextCorpus, splitTrainVal } from './corpus.js';

export class CharCorpus {
  readonly ids: Int32Array;
  readonly train: Int32Array;
  readonly val: Int32Array;

  private constructor(readonly text: string, readonly tokenizer: CharTokenizer, valFraction: number) {
    this.ids = Int32Array.from(tokenizer.encodeIds(text));
    ({ train: this.train, val: this.val } = splitTrainVal(this.ids, valFraction));
  }

  /** Builds the vocabulary from the text itself (or uses `tokenizer`, e.g. the one of a checkpoint being resumed). */
  static fromText(text: string, opts: { valFraction?: number; tokenizer?: CharTokenizer } = {}): CharCorpus {
    return new CharCorpus(text, opts.tokenizer ?? CharTokenizer.fromCorpus(text), opts.valFraction ?? 0.1);
  }

  /** Reads a UTF-8 text file (one-line errors for missing, empty or non-UTF-8 files). */
  static fromFile(path: string, opts: { valFraction?: number; tokenizer?: CharTokenizer } = {}): CharCorpus {
    return CharCorpus.fromText(readTextCorpus(path), opts);
  }

  get vocabSize(): number {
    return this.tokenizer.vocabulary.length;
  }
}
