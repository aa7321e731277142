// The two sampling tables of word2vec.c: the unigram^0.75 table that negative samples are drawn from
// (InitUnigramTable) and the per-word keep threshold of frequent-word subsampling.

/** word2vec.c's negative-sampling table size. */
export const DEFAULT_UNIGRAM_TABLE_SIZE = 100_000_000;

/**
 * Fills a table of `size` word ids in which word w fills a share count(w)^0.75 / sum(count^0.75), in id
 * order, exactly as InitUnigramTable (double arithmetic, as the C tool's final version). With `shared`
 * the table lives in a SharedArrayBuffer so every training thread reads the same one.
 */
export function buildUnigramTable(counts: Float64Array, size = DEFAULT_UNIGRAM_TABLE_SIZE, shared = false): Int32Array {
  const table = shared ? new Int32Array(new SharedArrayBuffer(size * 4)) : new Int32Array(size);
  const vocabSize = counts.length;
  const power = 0.75;
  let totalPow = 0;
  for (let a = 0; a < vocabSize; a++) totalPow += Math.pow(counts[a], power);
  let i = 0;
  let d1 = Math.pow(counts[0], power) / totalPow;
  for (let a = 0; a < size; a++) {
    table[a] = i;
    if (a / size > d1) {
      i++;
      d1 += Math.pow(counts[i], power) / totalPow;
    }
    if (i >= vocabSize) i = vocabSize - 1;
  }
  return table;
}

/**
 * Subsampling thresholds: word w is kept when `keep[w] >= u` for u uniform in [0, 1) drawn as
 * `(next_random & 0xFFFF) / 65536`, with keep = (sqrt(f / (t*N)) + 1) * (t*N) / f, f the word's count,
 * N the total word count and t the `sample` threshold (word2vec.c, float arithmetic as there).
 * With sample <= 0 every word is kept.
 */
export function subsampleThresholds(counts: Float64Array, trainWords: number, sample: number): Float32Array {
  const keep = new Float32Array(counts.length);
  if (sample <= 0) return keep.fill(Infinity);
  const tn = Math.fround(Math.fround(sample) * Math.fround(trainWords));
  for (let w = 0; w < counts.length; w++) {
    const f = counts[w];
    if (f <= 0) {
      keep[w] = Infinity;
      continue;
    }
    keep[w] = ((Math.sqrt(Math.fround(f / tn)) + 1) * tn) / f;
  }
  return keep;
}
