// Learning BPE merges from word counts as HF's BpeTrainer does (models/bpe/trainer.rs): special tokens,
// the alphabet by code point, then the most frequent pair (ties: smaller ids) until the vocabulary is
// full. WordPiece training is this with a "##" prefix on non-initial symbols (HF's WordPieceTrainer).
import { TesseraError } from '../errors.js';

/** Options of {@link learnBpe}. */
export interface BpeLearnOptions {
  /** Stop once the vocabulary (special tokens included) has this many entries. */
  vocabSize: number;
  /** A pair seen fewer times than this is never merged. */
  minFrequency?: number;
  /** Tokens that take the first ids. */
  specialTokens?: readonly string[];
  /** Keep only this many characters (the most frequent) in the alphabet. */
  limitAlphabet?: number;
  /** Characters always in the alphabet, seen or not. */
  initialAlphabet?: readonly string[];
  /** Prefix of a symbol that does not start a word ("##" for WordPiece). */
  continuingSubwordPrefix?: string | null;
  /** Suffix of a symbol that ends a word. */
  endOfWordSuffix?: string | null;
}

/** A learned vocabulary and its merges, highest priority first. */
export interface LearnedBpe {
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
}

const K = 1 << 21;

interface QueueItem {
  count: number;
  key: number;
}

/** Max-heap on count; ties go to the smaller pair key (the smaller (a, b) pair of ids). */
class PairQueue {
  private readonly d: QueueItem[] = [];
  get size(): number {
    return this.d.length;
  }
  private static before(x: QueueItem, y: QueueItem): boolean {
    return x.count > y.count || (x.count === y.count && x.key < y.key);
  }
  push(item: QueueItem): void {
    const d = this.d;
    let i = d.length;
    d.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!PairQueue.before(item, d[p]!)) break;
      d[i] = d[p]!;
      i = p;
    }
    d[i] = item;
  }
  pop(): QueueItem {
    const d = this.d;
    const top = d[0]!;
    const last = d.pop()!;
    if (d.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= d.length) break;
        const r = l + 1;
        const c = r < d.length && PairQueue.before(d[r]!, d[l]!) ? r : l;
        if (!PairQueue.before(d[c]!, last)) break;
        d[i] = d[c]!;
        i = c;
      }
      d[i] = last;
    }
    return top;
  }
}

/** Learns a BPE vocabulary and merges from word counts. Deterministic: words are visited in sorted order. */
export function learnBpe(wordCounts: Map<string, number>, options: BpeLearnOptions): LearnedBpe {
  const { vocabSize } = options;
  const minFrequency = options.minFrequency ?? 0;
  const prefix = options.continuingSubwordPrefix ?? null;
  const suffix = options.endOfWordSuffix ?? null;
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new TesseraError(`vocabSize must be a positive integer (got ${vocabSize})`);
  if (!(minFrequency >= 0)) throw new TesseraError(`minFrequency must be zero or more (got ${minFrequency})`);
  if (vocabSize >= K) throw new TesseraError(`vocabSize must be below ${K} (got ${vocabSize})`);

  const w2id = new Map<string, number>();
  const id2w: string[] = [];
  const add = (s: string): number => {
    let id = w2id.get(s);
    if (id === undefined) {
      id = id2w.length;
      id2w.push(s);
      w2id.set(s, id);
    }
    return id;
  };

  // 1. Special tokens.
  for (const t of options.specialTokens ?? []) add(t);

  // 2. The alphabet: every character seen (weighted by word count) plus the initial alphabet,
  // limited to the most frequent, then sorted by code point.
  const alphabet = new Map<number, number>();
  for (const [word, count] of wordCounts) {
    for (const ch of word) {
      const cp = ch.codePointAt(0)!;
      alphabet.set(cp, (alphabet.get(cp) ?? 0) + count);
    }
  }
  for (const ch of options.initialAlphabet ?? []) {
    const cp = ch.codePointAt(0);
    if (cp !== undefined) alphabet.set(cp, Infinity);
  }
  let kept = [...alphabet];
  const limit = options.limitAlphabet;
  if (limit !== undefined && kept.length > limit) {
    kept.sort((x, y) => x[1] - y[1] || y[0] - x[0]);
    kept = kept.slice(kept.length - limit);
  }
  kept.sort((x, y) => x[0] - y[0]);
  for (const [cp] of kept) add(String.fromCodePoint(cp));

  // 3. Words as symbol ids (characters outside the alphabet are dropped).
  const entries = [...wordCounts].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const words: Int32Array[] = [];
  const lengths = new Int32Array(entries.length);
  const counts = new Float64Array(entries.length);
  entries.forEach(([word, count], w) => {
    const chars = [...word];
    const syms: number[] = [];
    chars.forEach((ch, j) => {
      if (!w2id.has(ch)) return;
      let s = ch;
      if (j > 0 && prefix !== null) s = prefix + s;
      if (j === chars.length - 1 && suffix !== null) s = s + suffix;
      syms.push(add(s));
    });
    words.push(Int32Array.from(syms));
    lengths[w] = syms.length;
    counts[w] = count;
  });

  // 4. Pair counts and where each pair occurs.
  const pairCounts = new Map<number, number>();
  const where = new Map<number, number[]>();
  const note = (key: number, w: number) => {
    let list = where.get(key);
    if (list === undefined) where.set(key, (list = []));
    if (list[list.length - 1] !== w) list.push(w);
  };
  words.forEach((syms, w) => {
    for (let k = 0; k + 1 < lengths[w]!; k++) {
      const key = syms[k]! * K + syms[k + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[w]!);
      note(key, w);
    }
  });
  const queue = new PairQueue();
  for (const [key, count] of pairCounts) if (count > 0) queue.push({ count, key });

  // 5. Merges.
  const merges: Array<[string, string]> = [];
  const seen = new Int32Array(words.length).fill(-1);
  const touched = new Set<number>();
  let mergedKey = -1;
  const change = (key: number, delta: number, w: number) => {
    // The merged pair itself no longer exists anywhere; overlapping occurrences ("a a a") need no update.
    if (key === mergedKey) return;
    pairCounts.set(key, (pairCounts.get(key) ?? 0) + delta);
    if (delta > 0) {
      note(key, w);
      touched.add(key);
    }
  };
  for (let iter = 0; w2id.size < vocabSize && queue.size > 0; ) {
    const top = queue.pop();
    const current = pairCounts.get(top.key) ?? 0;
    if (current !== top.count) {
      if (current > 0) queue.push({ count: current, key: top.key });
      continue;
    }
    if (top.count < 1 || minFrequency > top.count) break;
    mergedKey = top.key;
    const a = Math.floor(top.key / K);
    const b = top.key - a * K;
    let partB = id2w[b]!;
    if (prefix !== null && partB.startsWith(prefix)) partB = partB.slice(prefix.length);
    const merged = add(id2w[a]! + partB);
    merges.push([id2w[a]!, id2w[b]!]);
    const positions = where.get(top.key) ?? [];
    where.delete(top.key);
    pairCounts.delete(top.key);
    touched.clear();
    for (const w of positions) {
      if (seen[w] === iter) continue;
      seen[w] = iter;
      const syms = words[w]!;
      const n = lengths[w]!;
      const c = counts[w]!;
      let write = 0;
      for (let read = 0; read < n; ) {
        if (read + 1 < n && syms[read] === a && syms[read + 1] === b) {
          if (write > 0) {
            const before = syms[write - 1]!;
            change(before * K + a, -c, w);
            change(before * K + merged, c, w);
          }
          if (read + 2 < n) {
            const after = syms[read + 2]!;
            change(b * K + after, -c, w);
            change(merged * K + after, c, w);
          }
          syms[write++] = merged;
          read += 2;
        } else {
          syms[write++] = syms[read++]!;
        }
      }
      lengths[w] = write;
    }
    for (const key of touched) {
      const count = pairCounts.get(key)!;
      if (count > 0) queue.push({ count, key });
    }
    iter++;
  }
  return { vocab: w2id, merges };
}
