// Word vectors and their queries: cosine similarity, most-similar (excluding the query words), and
// analogies a : b :: c : ? by 3CosAdd (argmax cos(d, b - a + c) over unit vectors, as word2vec.c's
// word-analogy and gensim's most_similar) or 3CosMul (Levy & Goldberg 2014, as gensim's most_similar_cosmul).
import { TesseraError } from '../../errors.js';

/** A word and its score. */
export interface ScoredWord {
  word: string;
  score: number;
}

/** Options of a nearest-word query. */
export interface QueryOptions {
  /** Number of results (default 10). */
  topN?: number;
  /** Search only the first N words, the most frequent in a trained or C-written file (default all). */
  restrictVocab?: number;
}

/** 3CosMul's epsilon, as gensim's most_similar_cosmul. */
export const COSMUL_EPSILON = 1e-6;

/** Rows are words (in file order: most frequent first for trained vectors), columns dimensions. */
export class WordVectors {
  /** Word -> row; a word listed twice maps to its first row. */
  readonly index = new Map<string, number>();
  private unit: Float32Array | null = null;

  /** `data` is (words.length, dim) row-major. */
  constructor(
    readonly words: string[],
    readonly data: Float32Array,
    readonly dim: number,
  ) {
    if (data.length !== words.length * dim) {
      throw new TesseraError(`word vectors: ${words.length} words x ${dim} dims needs ${words.length * dim} values, got ${data.length}`);
    }
    for (let i = 0; i < words.length; i++) if (!this.index.has(words[i])) this.index.set(words[i], i);
  }

  /** Number of words. */
  get size(): number {
    return this.words.length;
  }

  /** Row of `word`, or -1. */
  indexOf(word: string): number {
    return this.index.get(word) ?? -1;
  }

  /** The vector of `word` (a view), or undefined. */
  vector(word: string): Float32Array | undefined {
    const i = this.index.get(word);
    return i === undefined ? undefined : this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** All rows scaled to unit length (zero rows stay zero); computed once. */
  unitVectors(): Float32Array {
    if (this.unit) return this.unit;
    const d = this.dim;
    const unit = new Float32Array(this.data.length);
    for (let r = 0; r < this.size; r++) {
      const o = r * d;
      let ss = 0;
      for (let k = 0; k < d; k++) ss += this.data[o + k] * this.data[o + k];
      const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (let k = 0; k < d; k++) unit[o + k] = this.data[o + k] * inv;
    }
    this.unit = unit;
    return unit;
  }

  /** Cosine similarity of two words. */
  similarity(a: string, b: string): number {
    const unit = this.unitVectors();
    const ia = this.require(a) * this.dim;
    const ib = this.require(b) * this.dim;
    let s = 0;
    for (let k = 0; k < this.dim; k++) s += unit[ia + k] * unit[ib + k];
    return s;
  }

  /**
   * Words nearest to mean(unit(positive)) - mean-weighted unit(negative), by cosine, never returning a
   * query word (gensim's most_similar).
   */
  mostSimilar(positive: string | string[], negative: string[] = [], options: QueryOptions = {}): ScoredWord[] {
    const pos = typeof positive === 'string' ? [positive] : positive;
    if (pos.length + negative.length === 0) throw new TesseraError('most-similar needs at least one word');
    const unit = this.unitVectors();
    const d = this.dim;
    const query = new Float64Array(d);
    const exclude = new Set<number>();
    for (const [words, sign] of [[pos, 1], [negative, -1]] as const) {
      for (const w of words) {
        const r = this.require(w);
        exclude.add(r);
        for (let k = 0; k < d; k++) query[k] += sign * unit[r * d + k];
      }
    }
    let norm = 0;
    for (let k = 0; k < d; k++) norm += query[k] * query[k];
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = 0; k < d; k++) query[k] /= norm;
    const limit = this.limit(options.restrictVocab);
    const scores = new Float64Array(limit);
    for (let r = 0; r < limit; r++) {
      const o = r * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += unit[o + k] * query[k];
      scores[r] = s;
    }
    return this.top(scores, exclude, options.topN ?? 10);
  }

  /**
   * Completes a : b :: c : ? ("man is to king as woman is to ?" is analogy('man', 'king', 'woman')).
   * 'add' is 3CosAdd, 'mul' is 3CosMul with cosines shifted to [0, 1]; a, b and c are never returned.
   */
  analogy(a: string, b: string, c: string, options: QueryOptions & { method?: 'add' | 'mul' } = {}): ScoredWord[] {
    const method = options.method ?? 'add';
    if (method === 'add') return this.mostSimilar([b, c], [a], options);
    if (method !== 'mul') throw new TesseraError(`analogy method must be 'add' or 'mul', got ${String(method)}`);
    const unit = this.unitVectors();
    const d = this.dim;
    const ra = this.require(a) * d;
    const rb = this.require(b) * d;
    const rc = this.require(c) * d;
    const limit = this.limit(options.restrictVocab);
    const scores = new Float64Array(limit);
    for (let r = 0; r < limit; r++) {
      const o = r * d;
      let sa = 0;
      let sb = 0;
      let sc = 0;
      for (let k = 0; k < d; k++) {
        const x = unit[o + k];
        sa += x * unit[ra + k];
        sb += x * unit[rb + k];
        sc += x * unit[rc + k];
      }
      scores[r] = (((1 + sb) / 2) * ((1 + sc) / 2)) / ((1 + sa) / 2 + COSMUL_EPSILON);
    }
    return this.top(scores, new Set([ra / d, rb / d, rc / d]), options.topN ?? 10);
  }

  private require(word: string): number {
    const i = this.index.get(word);
    if (i === undefined) throw new TesseraError(`word "${word}" is not in the vocabulary`);
    return i;
  }

  private limit(restrict: number | undefined): number {
    if (restrict === undefined) return this.size;
    if (!Number.isInteger(restrict) || restrict < 1) {
      throw new TesseraError(`restrictVocab must be a positive integer, got ${String(restrict)}`);
    }
    return Math.min(restrict, this.size);
  }

  private top(scores: Float64Array, exclude: Set<number>, topN: number): ScoredWord[] {
    if (!Number.isInteger(topN) || topN < 1) throw new TesseraError(`topN must be a positive integer, got ${String(topN)}`);
    // Keep a small sorted list: O(V * topN) worst case, O(V) in practice.
    const best: number[] = [];
    for (let r = 0; r < scores.length; r++) {
      if (exclude.has(r)) continue;
      const s = scores[r];
      if (best.length === topN && s <= scores[best[best.length - 1]]) continue;
      let i = best.length;
      while (i > 0 && scores[best[i - 1]] < s) i--;
      best.splice(i, 0, r);
      if (best.length > topN) best.pop();
    }
    return best.map((r) => ({ word: this.words[r], score: scores[r] }));
  }
}
