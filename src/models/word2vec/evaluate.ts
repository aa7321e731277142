// Evaluation of word vectors: analogy accuracy on questions-words.txt-style files (": section" lines then
// "a b c d"), over the most frequent 30,000 words and case-insensitive as word2vec.c's compute-accuracy,
// per section and in total; Spearman (and Pearson) correlation with human scores of word pairs
// (WordSim353, SimLex-999, MEN...), counting the pairs with out-of-vocabulary words.
import * as fs from 'node:fs';
import { FormatError, TesseraError } from '../../errors.js';
import { COSMUL_EPSILON, type WordVectors } from './vectors.js';

/** Options of the analogy evaluation. */
export interface AnalogyOptions {
  /** Only the first N words (most frequent) are candidates and questions outside them are skipped (30000). */
  restrictVocab?: number;
  /** Compare words upper-cased, as compute-accuracy and gensim do (true). */
  caseInsensitive?: boolean;
  /** 3CosAdd ('add', compute-accuracy's rule) or 3CosMul ('mul'). */
  method?: 'add' | 'mul';
}

/** Accuracy over one section (or the semantic / syntactic / total aggregates). */
export interface AnalogySection {
  section: string;
  /** Questions answered right. */
  correct: number;
  /** Questions whose four words are all in the (restricted) vocabulary. */
  seen: number;
  /** Questions in the file. */
  questions: number;
  /** correct / seen, or null when none was seen. */
  accuracy: number | null;
}

/** Result of `evaluateAnalogies`. */
export interface AnalogyEvaluation {
  sections: AnalogySection[];
  /** Sections whose name does not start with "gram" (the first five of questions-words.txt). */
  semantic: AnalogySection;
  /** Sections named gram*. */
  syntactic: AnalogySection;
  total: AnalogySection;
  restrictVocab: number;
  method: 'add' | 'mul';
}

/** Options of the word-pair evaluation. */
export interface WordPairOptions {
  /** Only the first N words count as known (300000, as gensim). */
  restrictVocab?: number;
  /** Compare words upper-cased (true). */
  caseInsensitive?: boolean;
}

/** Result of `evaluateWordPairs`. */
export interface WordPairEvaluation {
  /** Pairs read from the file. */
  pairs: number;
  /** Pairs with both words known, used in the correlations. */
  used: number;
  /** Pairs skipped for an out-of-vocabulary word, and the distinct words missing. */
  oovPairs: number;
  oovWords: number;
  /** oovPairs / pairs. */
  oovRatio: number;
  /** Spearman rank correlation of cosine similarity with the human scores (null if < 2 pairs). */
  spearman: number | null;
  /** Pearson correlation of the same. */
  pearson: number | null;
  /** Lines that were not a pair with a score (headers, comments). */
  skippedLines: number;
}

/** Lookup of the first `limit` rows by (optionally upper-cased) word; a key maps to its first row. */
class FoldedIndex {
  readonly limit: number;
  /** For each row, the first row with the same key. */
  readonly canonical: Int32Array;
  private readonly map = new Map<string, number>();

  constructor(vectors: WordVectors, restrict: number, readonly fold: boolean) {
    if (!Number.isInteger(restrict) || restrict < 1) {
      throw new TesseraError(`restrictVocab must be a positive integer, got ${String(restrict)}`);
    }
    this.limit = Math.min(restrict, vectors.size);
    this.canonical = new Int32Array(this.limit);
    for (let r = 0; r < this.limit; r++) {
      const key = this.key(vectors.words[r]);
      const first = this.map.get(key);
      if (first === undefined) this.map.set(key, r);
      this.canonical[r] = first ?? r;
    }
  }

  key(word: string): string {
    return this.fold ? word.toUpperCase() : word;
  }

  get(word: string): number {
    return this.map.get(this.key(word)) ?? -1;
  }
}

interface Question {
  section: number;
  ids: [number, number, number, number] | null;
}

function aggregate(name: string, parts: AnalogySection[]): AnalogySection {
  let correct = 0;
  let seen = 0;
  let questions = 0;
  for (const p of parts) {
    correct += p.correct;
    seen += p.seen;
    questions += p.questions;
  }
  return { section: name, correct, seen, questions, accuracy: seen > 0 ? correct / seen : null };
}

/** Evaluates analogies given as the text of a questions-words.txt-style file (`source` names it in errors). */
export function evaluateAnalogies(
  vectors: WordVectors,
  text: string,
  options: AnalogyOptions = {},
  source = 'questions',
): AnalogyEvaluation {
  const method = options.method ?? 'add';
  if (method !== 'add' && method !== 'mul') throw new TesseraError(`analogy method must be 'add' or 'mul', got ${String(method)}`);
  const restrictVocab = options.restrictVocab ?? 30000;
  const index = new FoldedIndex(vectors, restrictVocab, options.caseInsensitive ?? true);
  const names: string[] = [];
  const questions: Question[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.startsWith(':')) {
      names.push(line.slice(1).trim());
      continue;
    }
    const words = line.split(/\s+/);
    if (words.length !== 4) throw new FormatError(`${source}:${i + 1}: expected 4 words or ": section", got "${line.slice(0, 80)}"`);
    if (names.length === 0) names.push('questions');
    const ids = words.map((w) => index.get(w));
    questions.push({
      section: names.length - 1,
      ids: ids.every((id) => id >= 0) ? (ids as [number, number, number, number]) : null,
    });
  }
  const seen = questions.filter((q) => q.ids !== null);
  const predictions = predictAnalogies(vectors, index, seen.map((q) => q.ids!), method);
  const sections: AnalogySection[] = names.map((section) => ({ section, correct: 0, seen: 0, questions: 0, accuracy: null }));
  let s = 0;
  for (const q of questions) {
    const sec = sections[q.section];
    sec.questions++;
    if (q.ids === null) continue;
    sec.seen++;
    if (predictions[s++] === q.ids[3]) sec.correct++;
  }
  for (const sec of sections) sec.accuracy = sec.seen > 0 ? sec.correct / sec.seen : null;
  return {
    sections,
    semantic: aggregate('semantic', sections.filter((x) => !x.section.startsWith('gram'))),
    syntactic: aggregate('syntactic', sections.filter((x) => x.section.startsWith('gram'))),
    total: aggregate('total', sections),
    restrictVocab: index.limit,
    method,
  };
}

/** Reads a questions file and evaluates it. */
export function evaluateAnalogyFile(vectors: WordVectors, path: string, options: AnalogyOptions = {}): AnalogyEvaluation {
  return evaluateAnalogies(vectors, readText(path, 'questions'), options, path);
}

/**
 * For each question (a, b, c, d) returns the canonical row of the best candidate for d among the first
 * `index.limit` rows, never a, b or c (compared by key, as gensim). Questions go in blocks so that each
 * vocabulary row is read once per block.
 */
function predictAnalogies(vectors: WordVectors, index: FoldedIndex, ids: number[][], method: 'add' | 'mul'): Int32Array {
  const unit = vectors.unitVectors();
  const d = vectors.dim;
  const limit = index.limit;
  const canonical = index.canonical;
  const out = new Int32Array(ids.length).fill(-1);
  const BLOCK = 32;
  const terms = method === 'add' ? 1 : 3;
  const q = new Float64Array(BLOCK * terms * d);
  const best = new Float64Array(BLOCK);
  for (let start = 0; start < ids.length; start += BLOCK) {
    const n = Math.min(BLOCK, ids.length - start);
    for (let j = 0; j < n; j++) {
      const [a, b, c] = ids[start + j];
      const qo = j * terms * d;
      for (let k = 0; k < d; k++) {
        if (terms === 1) {
          q[qo + k] = unit[b * d + k] - unit[a * d + k] + unit[c * d + k];
        } else {
          q[qo + k] = unit[a * d + k];
          q[qo + d + k] = unit[b * d + k];
          q[qo + 2 * d + k] = unit[c * d + k];
        }
      }
      best[j] = -Infinity;
    }
    for (let r = 0; r < limit; r++) {
      const ro = r * d;
      const key = canonical[r];
      for (let j = 0; j < n; j++) {
        const qid = ids[start + j];
        if (key === qid[0] || key === qid[1] || key === qid[2]) continue;
        const qo = j * terms * d;
        let score: number;
        if (terms === 1) {
          let s = 0;
          for (let k = 0; k < d; k++) s += unit[ro + k] * q[qo + k];
          score = s;
        } else {
          let sa = 0;
          let sb = 0;
          let sc = 0;
          for (let k = 0; k < d; k++) {
            const x = unit[ro + k];
            sa += x * q[qo + k];
            sb += x * q[qo + d + k];
            sc += x * q[qo + 2 * d + k];
          }
          score = (((1 + sb) / 2) * ((1 + sc) / 2)) / ((1 + sa) / 2 + COSMUL_EPSILON);
        }
        if (score > best[j]) {
          best[j] = score;
          out[start + j] = key;
        }
      }
    }
  }
  return out;
}

/** Ranks (1-based) with ties given their average rank. */
function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]] = avg;
    i = j + 1;
  }
  return out;
}

/** Pearson correlation; null when fewer than 2 values or a constant series. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const n = x.length;
  if (n !== y.length) throw new TesseraError(`pearson: series of different lengths ${n} and ${y.length}`);
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman rank correlation (Pearson of tie-averaged ranks, as scipy.stats.spearmanr). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  if (x.length !== y.length) throw new TesseraError(`spearman: series of different lengths ${x.length} and ${y.length}`);
  return pearson(ranks(x), ranks(y));
}

/**
 * Evaluates word pairs given as text: one pair per line, fields separated by tabs, commas or spaces, the
 * score being the first number after the two words (so SimLex-999's POS column is passed over); lines
 * starting with '#' and lines without a score (headers) are skipped.
 */
export function evaluateWordPairs(vectors: WordVectors, text: string, options: WordPairOptions = {}): WordPairEvaluation {
  const index = new FoldedIndex(vectors, options.restrictVocab ?? 300000, options.caseInsensitive ?? true);
  const unit = vectors.unitVectors();
  const d = vectors.dim;
  const human: number[] = [];
  const model: number[] = [];
  const missing = new Set<string>();
  let pairs = 0;
  let oovPairs = 0;
  let skippedLines = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      skippedLines++;
      continue;
    }
    const fields = (line.includes('\t') ? line.split('\t') : line.includes(',') ? line.split(',') : line.split(/\s+/)).map((f) =>
      f.trim(),
    );
    const scoreField = fields.slice(2).find((f) => f !== '' && Number.isFinite(Number(f)));
    if (fields.length < 3 || scoreField === undefined || fields[0] === '' || fields[1] === '') {
      skippedLines++;
      continue;
    }
    pairs++;
    const a = index.get(fields[0]);
    const b = index.get(fields[1]);
    if (a < 0 || b < 0) {
      oovPairs++;
      if (a < 0) missing.add(index.key(fields[0]));
      if (b < 0) missing.add(index.key(fields[1]));
      continue;
    }
    let s = 0;
    for (let k = 0; k < d; k++) s += unit[a * d + k] * unit[b * d + k];
    human.push(Number(scoreField));
    model.push(s);
  }
  return {
    pairs,
    used: human.length,
    oovPairs,
    oovWords: missing.size,
    oovRatio: pairs > 0 ? oovPairs / pairs : 0,
    spearman: spearman(model, human),
    pearson: pearson(model, human),
    skippedLines,
  };
}

/** Reads a word-pairs file and evaluates it; a file with no pair at all is a FormatError. */
export function evaluateWordPairsFile(vectors: WordVectors, path: string, options: WordPairOptions = {}): WordPairEvaluation {
  const result = evaluateWordPairs(vectors, readText(path, 'similarity'), options);
  if (result.pairs === 0) throw new FormatError(`${path}: no "word1 word2 score" line found (tab-, comma- or space-separated)`);
  return result;
}

function readText(path: string, what: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TesseraError(`${what} file not found: ${path}`);
    throw new TesseraError(`cannot read ${what} file ${path}: ${(err as Error).message}`);
  }
}
