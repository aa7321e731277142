// AllenNLP's ELMo character ids: markers, the +1 shift, UTF-8 bytes, truncation, sentence boundaries and padding.
import { test } from 'node:test';
import '../../src/backend/all.js';
import assert from 'node:assert/strict';
import { BOS_TOKEN, EOS_TOKEN, batchToIds, tokenLengths, tokenMask, wordToCharIds } from '../../src/models/elmo/index.js';

test('a word is [bow, bytes, eow, padding...] + 1', () => {
  const ids = Array.from(wordToCharIds('the'));
  assert.equal(ids.length, 50);
  assert.deepEqual(ids.slice(0, 6), [259, 117, 105, 102, 260, 261]);
  assert.ok(ids.slice(5).every((v) => v === 261));
});

test('sentence boundaries have their own characters', () => {
  assert.deepEqual(Array.from(wordToCharIds(BOS_TOKEN)).slice(0, 4), [259, 257, 260, 261]);
  assert.deepEqual(Array.from(wordToCharIds(EOS_TOKEN)).slice(0, 4), [259, 258, 260, 261]);
});

test('UTF-8 bytes, and words cut to 48 bytes', () => {
  assert.deepEqual(Array.from(wordToCharIds('é')).slice(0, 4), [259, 0xc3 + 1, 0xa9 + 1, 260]);
  const long = Array.from(wordToCharIds('x'.repeat(60)));
  assert.equal(long[48], 'x'.charCodeAt(0) + 1);
  assert.equal(long[49], 260);
});

test('batchToIds pads with all-zero tokens and adds boundaries on request', () => {
  const { ids, lengths } = batchToIds([['a', 'b'], ['c']], { sentenceBoundaries: true, maxChars: 8 });
  assert.deepEqual(ids.shape, [2, 4, 8]);
  assert.deepEqual(lengths, [4, 3]);
  const host = Array.from(ids.toArray() as Int32Array);
  assert.deepEqual(host.slice(0, 8), Array.from(wordToCharIds(BOS_TOKEN, 8)));
  assert.deepEqual(host.slice(2 * 4 * 8 - 8), new Array(8).fill(0));
  assert.deepEqual(Array.from(tokenMask(ids).toArray(), Number), [1, 1, 1, 1, 1, 1, 1, 0]);
  assert.deepEqual(tokenLengths(ids), [4, 3]);
});
