// The two sampling tables of word2vec.c: the unigram^0.75 table that negative samples are drawn from
// (InitUnigramTable) and the per-word keep threshold of frequent-word subsampling. The unigram table of
// 1e8 word ids (400 MB) is kept as runs instead (where each word's stretch of the table starts, plus a
// bucket index), which gives the very same entry for every index in a few MB.

/** word2vec.c's negative-sampling table size. */
export const DEFAULT_UNIGRAM_TABLE_SIZE = 100_000_000;

/**
 * Fills a table of `size` word ids in which word w fills a share count(w)^0.75 / sum(count^0.75), in id
 * order, exactly as InitUnigramTable (double arithmetic, as the C tool's final version). Training uses
 * the same table held as runs (`buildUnigramRuns`); this is its definition, and what the runs are tested
 * against.
 */
export function buildUnigramTable(counts: Float64Array, size = DEFAULT_UNIGRAM_TABLE_SIZE): Int32Array {
  const table = new Int32Array(size);
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
 * word2vec.c's unigram table as runs: word i fills indices [starts[i], starts[i + 1]) (empty for a word
 * the table has no room for), and `buckets[b]` is the entry at index b * bucketSize (the last one the
 * entry at tableSize - 1), so a lookup searches only the words of one bucket.
 */
export interface UnigramRuns {
  tableSize: number;
  /** V + 1 entries, non-decreasing; starts[V] = tableSize. */
  starts: Int32Array;
  bucketSize: number;
  buckets: Int32Array;
}

/** The table entry at index x (0 <= x < tableSize): the largest i with starts[i] <= x. */
export function unigramAt(runs: UnigramRuns, x: number): number {
  const starts = runs.starts;
  const b = (x / runs.bucketSize) | 0;
  let lo = runs.buckets[b];
  let hi = runs.buckets[b + 1];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function runsFromStarts(starts: Int32Array, tableSize: number, shared: boolean): UnigramRuns {
  const v = starts.length - 1;
  const bucketSize = Math.max(1, Math.floor(tableSize / Math.max(1024, 4 * v)));
  const count = Math.ceil(tableSize / bucketSize);
  const buckets = shared ? new Int32Array(new SharedArrayBuffer((count + 1) * 4)) : new Int32Array(count + 1);
  const entry = (x: number) => {
    let lo = 0;
    let hi = v - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (let b = 0; b < count; b++) buckets[b] = entry(b * bucketSize);
  buckets[count] = entry(tableSize - 1);
  return { tableSize, starts, bucketSize, buckets };
}

/**
 * The runs of the table `buildUnigramTable(counts, size)` fills, found without filling it: the loop of
 * InitUnigramTable moves to the next word at the first index a with a / size > d1 (the running share),
 * at most one word per index; each such index is computed directly, so this costs O(V), not O(size).
 */
export function buildUnigramRuns(counts: Float64Array, size = DEFAULT_UNIGRAM_TABLE_SIZE, shared = false): UnigramRuns {
  const v = counts.length;
  const starts = shared ? new Int32Array(new SharedArrayBuffer((v + 1) * 4)) : new Int32Array(v + 1);
  starts.fill(size);
  starts[0] = 0;
  const power = 0.75;
  let totalPow = 0;
  for (let a = 0; a < v; a++) totalPow += Math.pow(counts[a], power);
  let d1 = Math.pow(counts[0], power) / totalPow;
  let a = 0; // the next table index the C loop visits
  for (let i = 0; i < v - 1; ) {
    // the first index s >= a with s / size > d1 (the same double comparison as the C loop)
    let s = Math.max(a, Math.floor(d1 * size));
    while (s > a && (s - 1) / size > d1) s--;
    while (s < size && !(s / size > d1)) s++;
    if (s >= size) break;
    i++;
    d1 += Math.pow(counts[i], power) / totalPow;
    starts[i] = s + 1;
    a = s + 1;
  }
  return runsFromStarts(starts, size, shared);
}

/** The runs of an explicit non-decreasing table of word ids below `vocabSize` (e.g. one from buildUnigramTable). */
export function unigramRunsFromTable(table: Int32Array, vocabSize: number): UnigramRuns {
  const starts = new Int32Array(vocabSize + 1).fill(table.length);
  for (let x = table.length - 1; x >= 0; x--) starts[table[x]] = x;
  for (let w = vocabSize - 1; w >= 0; w--) if (starts[w] > starts[w + 1]) starts[w] = starts[w + 1];
  starts[0] = 0;
  return runsFromStarts(starts, table.length, false);
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
