// The training vocabulary: one streaming counting pass over a corpus (word2vec.c's LearnVocabFromTrainFile),
// pruning while counting when it outgrows maxVocabSize (ReduceVocab), then `</s>` first and the other words
// sorted by count, most frequent first (ties keep first-seen order), dropping those under minCount.
import { TesseraError } from '../../errors.js';
import { CorpusReader, SENTENCE_END, Token, openCorpus } from './corpus.js';
import { WordTable, hashBytes } from './wordtable.js';

/** word2vec.c's largest vocabulary before pruning while counting (vocab_hash_size * 0.7). */
export const DEFAULT_MAX_VOCAB_SIZE = 21_000_000;

/** How to count a corpus. */
export interface VocabOptions {
  /** Words seen fewer times are dropped (word2vec.c `-min-count`, default 5). */
  minCount?: number;
  /** While counting, when there are more distinct words than this, drop the rarest (default 21M, as C). */
  maxVocabSize?: number;
  /** Read buffer in bytes (default 1 MiB). */
  bufferBytes?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** Words with their corpus counts; id 0 is always `</s>`. */
export class Vocab {
  /** Sum of all kept words' counts, `</s>` included (word2vec.c's train_words). */
  readonly trainWords: number;

  /** Use `Vocab.fromFile` or `Vocab.fromCounts`. */
  constructor(
    readonly words: string[],
    readonly counts: Float64Array,
    readonly table: WordTable,
  ) {
    let total = 0;
    for (let i = 0; i < counts.length; i++) total += counts[i];
    this.trainWords = total;
  }

  /** Number of words, `</s>` included. */
  get size(): number {
    return this.words.length;
  }

  /** Id of `word`, or -1. */
  indexOf(word: string): number {
    const bytes = encoder.encode(word);
    return this.table.find(bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length));
  }

  /** A vocabulary from (word, count) pairs, sorted and filtered as word2vec.c does. */
  static fromCounts(entries: Iterable<readonly [string, number]>, minCount = 1): Vocab {
    const raw = new WordTable();
    const counts: number[] = [];
    const sentenceEnd = encoder.encode(SENTENCE_END);
    raw.add(sentenceEnd, 0, sentenceEnd.length, hashBytes(sentenceEnd, 0, sentenceEnd.length));
    counts.push(0);
    for (const [word, count] of entries) {
      const bytes = encoder.encode(word);
      const h = hashBytes(bytes, 0, bytes.length);
      let id = raw.find(bytes, 0, bytes.length, h);
      if (id < 0) {
        id = raw.add(bytes, 0, bytes.length, h);
        counts.push(0);
      }
      counts[id] += count;
    }
    return finalizeVocab(raw, Float64Array.from(counts), minCount);
  }

  /** Counts the words of a corpus file in one streaming pass. */
  static fromFile(path: string, options: VocabOptions = {}): Vocab {
    const minCount = options.minCount ?? 5;
    const maxVocab = options.maxVocabSize ?? DEFAULT_MAX_VOCAB_SIZE;
    const reader = new CorpusReader(openCorpus(path), options.bufferBytes);
    try {
      let table = new WordTable(1 << 16);
      let counts: Float64Array = new Float64Array(1 << 16);
      const sentenceEnd = encoder.encode(SENTENCE_END);
      table.add(sentenceEnd, 0, sentenceEnd.length, hashBytes(sentenceEnd, 0, sentenceEnd.length));
      let minReduce = 1;
      reader.seek(0);
      for (;;) {
        const token = reader.next();
        if (token === Token.End) break;
        let id: number;
        if (token === Token.Newline) {
          id = 0;
        } else {
          id = table.find(reader.word, 0, reader.wordLength, reader.wordHash);
          if (id < 0) {
            id = table.add(reader.word, 0, reader.wordLength, reader.wordHash);
            if (id >= counts.length) {
              const grown = new Float64Array(counts.length * 2);
              grown.set(counts);
              counts = grown;
            }
          }
        }
        counts[id]++;
        if (table.size > maxVocab) {
          ({ table, counts } = reduceVocab(table, counts, minReduce));
          minReduce++;
        }
      }
      return finalizeVocab(table, counts.subarray(0, table.size), minCount);
    } finally {
      reader.close();
    }
  }
}

/** word2vec.c's ReduceVocab: keeps words seen more than `minReduce` times (and always `</s>`). */
function reduceVocab(
  table: WordTable,
  counts: Float64Array,
  minReduce: number,
): { table: WordTable; counts: Float64Array } {
  const kept = new WordTable(table.size);
  const keptCounts = new Float64Array(counts.length);
  for (let id = 0; id < table.size; id++) {
    if (id !== 0 && counts[id] <= minReduce) continue;
    const bytes = table.bytesOf(id);
    const k = kept.add(bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length));
    keptCounts[k] = counts[id];
  }
  return { table: kept, counts: keptCounts };
}

/** word2vec.c's SortVocab: `</s>` stays first, the rest by count descending, then min-count filtering. */
function finalizeVocab(raw: WordTable, counts: Float64Array, minCount: number): Vocab {
  const order: number[] = [];
  for (let id = 1; id < raw.size; id++) if (counts[id] >= minCount) order.push(id);
  order.sort((a, b) => counts[b] - counts[a] || a - b);
  order.unshift(0);
  const table = new WordTable(order.length);
  const words: string[] = new Array(order.length);
  const sorted = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const bytes = raw.bytesOf(order[i]);
    table.add(bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length));
    words[i] = decoder.decode(bytes);
    sorted[i] = counts[order[i]];
  }
  if (order.length < 2) {
    throw new TesseraError(`the corpus has no word seen at least min-count ${minCount} times`);
  }
  return new Vocab(words, sorted, table);
}
