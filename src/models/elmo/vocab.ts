// The softmax vocabulary (bilm-tf's vocab.txt): one word per line, </S> first, then <S>, then the unknown word
// (<unk>, WikiText's marker), then the words by descending count; words outside it are predicted as <unk>.
import { existsSync, readFileSync } from 'node:fs';
import { FormatError, TesseraError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { BOS_TOKEN, EOS_TOKEN } from './characters.js';

export const UNK_TOKEN = '<unk>';
export const EOS_ID = 0;
export const BOS_ID = 1;
export const UNK_ID = 2;

export interface VocabularyOptions {
  /** Keep words seen at least this often (default 1). */
  minCount?: number;
  /** Keep at most this many entries, specials included (default: no limit). */
  maxSize?: number;
}

export class ElmoVocabulary {
  private readonly index = new Map<string, number>();

  /** `words` must start with </S>, <S>, <unk>. */
  constructor(readonly words: readonly string[]) {
    if (words[EOS_ID] !== EOS_TOKEN || words[BOS_ID] !== BOS_TOKEN || words[UNK_ID] !== UNK_TOKEN) {
      throw new FormatError(`ELMo vocabulary must start with ${EOS_TOKEN}, ${BOS_TOKEN}, ${UNK_TOKEN} (got ${words.slice(0, 3).join(', ')})`);
    }
    words.forEach((w, i) => {
      if (w === '' || /\s/.test(w)) throw new FormatError(`ELMo vocabulary entry ${i} ${JSON.stringify(w)} is empty or has whitespace`);
      if (this.index.has(w)) throw new FormatError(`ELMo vocabulary has '${w}' twice (entries ${this.index.get(w)} and ${i})`);
      this.index.set(w, i);
    });
  }

  /** Builds the vocabulary of tokenized sentences: specials, then words by count (ties by first appearance). */
  static fromSentences(sentences: Iterable<readonly string[]>, opts: VocabularyOptions = {}): ElmoVocabulary {
    const counts = new Map<string, number>();
    for (const s of sentences) for (const w of s) counts.set(w, (counts.get(w) ?? 0) + 1);
    return ElmoVocabulary.fromCounts(counts, opts);
  }

  static fromCounts(counts: ReadonlyMap<string, number>, opts: VocabularyOptions = {}): ElmoVocabulary {
    const minCount = opts.minCount ?? 1;
    const maxSize = opts.maxSize ?? Infinity;
    if (maxSize < 3) throw new TesseraError(`vocabulary size ${maxSize} is below 3 (</S>, <S> and ${UNK_TOKEN})`);
    const special = new Set([EOS_TOKEN, BOS_TOKEN, UNK_TOKEN]);
    const ranked = [...counts].filter(([w, n]) => n >= minCount && !special.has(w)).map(([w, n], i) => ({ w, n, i }));
    ranked.sort((a, b) => b.n - a.n || a.i - b.i);
    return new ElmoVocabulary([EOS_TOKEN, BOS_TOKEN, UNK_TOKEN, ...ranked.slice(0, maxSize - 3).map((r) => r.w)]);
  }

  /** Reads vocab.txt (one word per line). */
  static read(path: string): ElmoVocabulary {
    if (!existsSync(path)) throw new TesseraError(`vocabulary file not found: ${path}`);
    const lines = readFileSync(path, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    try {
      return new ElmoVocabulary(lines);
    } catch (err) {
      throw new FormatError(`${path}: ${(err as Error).message}`);
    }
  }

  write(path: string): void {
    writeFileAtomic(path, this.words.map((w) => `${w}\n`).join(''));
  }

  get size(): number {
    return this.words.length;
  }

  /** The id of a word (<unk>'s when it is not in the vocabulary). */
  id(word: string): number {
    return this.index.get(word) ?? UNK_ID;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }
}
