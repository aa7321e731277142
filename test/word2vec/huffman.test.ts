// Huffman codes of word2vec.c's CreateBinaryTree on toy vocabularies worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHuffmanTree, type HuffmanTree } from '../../src/models/word2vec/index.js';

function codeOf(tree: HuffmanTree, w: number): { code: number[]; points: number[] } {
  const base = w * tree.maxLength;
  const len = tree.lengths[w];
  return { code: [...tree.codes.subarray(base, base + len)], points: [...tree.points.subarray(base, base + len)] };
}

test('counts 5 4 3 2 1: codes and inner-node paths as the two-cursor construction makes them', () => {
  // Merges (leaves from the rarest up, inner nodes 5, 6, 7, 8 in creation order, min2 gets bit 1):
  //   node5 = w4(1) + w3(2) = 3      bit(w3) = 1
  //   node6 = node5(3) + w2(3) = 6   (ties go to the inner node first)  bit(w2) = 1
  //   node7 = w1(4) + w0(5) = 9      bit(w0) = 1
  //   node8 = node6(6) + node7(9)    bit(node7) = 1; node8 is the root = inner row 3
  const tree = buildHuffmanTree(Float64Array.from([5, 4, 3, 2, 1]));
  assert.deepEqual([...tree.lengths], [2, 2, 2, 3, 3]);
  assert.deepEqual(codeOf(tree, 0), { code: [1, 1], points: [3, 2] });
  assert.deepEqual(codeOf(tree, 1), { code: [1, 0], points: [3, 2] });
  assert.deepEqual(codeOf(tree, 2), { code: [0, 1], points: [3, 1] });
  assert.deepEqual(codeOf(tree, 3), { code: [0, 0, 1], points: [3, 1, 0] });
  assert.deepEqual(codeOf(tree, 4), { code: [0, 0, 0], points: [3, 1, 0] });
});

test('counts 4 3 2 1', () => {
  //   node4 = w3(1) + w2(2) = 3; node5 = node4(3) + w1(3) = 6; node6 = w0(4) + node5(6) = 10 (root, row 2)
  const tree = buildHuffmanTree(Float64Array.from([4, 3, 2, 1]));
  assert.deepEqual(codeOf(tree, 0), { code: [0], points: [2] });
  assert.deepEqual(codeOf(tree, 1), { code: [1, 1], points: [2, 1] });
  assert.deepEqual(codeOf(tree, 2), { code: [1, 0, 1], points: [2, 1, 0] });
  assert.deepEqual(codeOf(tree, 3), { code: [1, 0, 0], points: [2, 1, 0] });
});

test('a Zipf vocabulary gets a complete prefix code of optimal total length', () => {
  const v = 500;
  const counts = Float64Array.from({ length: v }, (_, i) => Math.floor(10000 / (i + 1)) + 1);
  const tree = buildHuffmanTree(counts);
  let kraft = 0;
  let cost = 0;
  const seen = new Set<string>();
  for (let w = 0; w < v; w++) {
    const { code, points } = codeOf(tree, w);
    kraft += 2 ** -code.length;
    cost += counts[w] * code.length;
    seen.add(code.join(''));
    assert.equal(points[0], v - 2, 'every path starts at the root');
    for (const p of points) assert.ok(p >= 0 && p < v - 1);
  }
  assert.equal(seen.size, v);
  assert.ok(Math.abs(kraft - 1) < 1e-12, `Kraft sum ${kraft}`);
  // Optimal cost by the classic heap construction.
  const heap = [...counts].sort((a, b) => a - b);
  let optimal = 0;
  while (heap.length > 1) {
    const a = heap.shift()!;
    const b = heap.shift()!;
    optimal += a + b;
    const s = a + b;
    let i = 0;
    while (i < heap.length && heap[i] < s) i++;
    heap.splice(i, 0, s);
  }
  assert.equal(cost, optimal);
});
