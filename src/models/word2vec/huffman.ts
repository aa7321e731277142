// Huffman tree for hierarchical softmax, built like word2vec.c's CreateBinaryTree: counts sorted descending,
// two cursors (one walking the leaves from the rarest up, one walking the inner nodes in creation order)
// pick the two smallest nodes each step, so the tree is built in O(V) with no heap.

/** Codes and inner-node paths of every word, flattened with a stride of `maxLength`. */
export interface HuffmanTree {
  /** Longest code; the stride of `codes` and `points`. */
  maxLength: number;
  /** Code length of each word. */
  lengths: Uint8Array;
  /** `codes[w * maxLength + d]`: the d-th bit (0/1) from the root down to word w. */
  codes: Uint8Array;
  /** `points[w * maxLength + d]`: the inner node (row of syn1) whose output predicts bit d. */
  points: Int32Array;
}

/**
 * Builds the tree for `counts` (which must be sorted by count descending after index 0, as a Vocab is).
 * Inner node k (created k-th, 0-based) is row k of syn1; the root is row V-2.
 */
export function buildHuffmanTree(counts: Float64Array): HuffmanTree {
  const v = counts.length;
  const count = new Float64Array(v * 2 + 1);
  const binary = new Uint8Array(v * 2 + 1);
  const parent = new Int32Array(v * 2 + 1);
  count.set(counts);
  count.fill(1e15, v, v * 2);
  let pos1 = v - 1;
  let pos2 = v;
  const pickSmallest = (): number => {
    if (pos1 >= 0 && count[pos1] < count[pos2]) return pos1--;
    return pos2++;
  };
  for (let a = 0; a < v - 1; a++) {
    const min1 = pickSmallest();
    const min2 = pickSmallest();
    count[v + a] = count[min1] + count[min2];
    parent[min1] = v + a;
    parent[min2] = v + a;
    binary[min2] = 1;
  }
  // Walk each leaf up to the root, then store the path root-first.
  const root = v * 2 - 2;
  const lengths = new Uint8Array(v);
  let maxLength = 1;
  for (let w = 0; w < v; w++) {
    let len = 0;
    for (let b = w; b !== root && len <= v; b = parent[b]) len++;
    lengths[w] = len;
    if (len > maxLength) maxLength = len;
  }
  const codes = new Uint8Array(v * maxLength);
  const points = new Int32Array(v * maxLength);
  for (let w = 0; w < v; w++) {
    const len = lengths[w];
    const base = w * maxLength;
    // Node visited at step i (leaf first) gives bit len-1-i; its parent is the point of that bit.
    let b = w;
    for (let i = 0; i < len; i++) {
      codes[base + len - 1 - i] = binary[b];
      b = parent[b];
      points[base + len - 1 - i] = b - v;
    }
  }
  return { maxLength, lengths, codes, points };
}
