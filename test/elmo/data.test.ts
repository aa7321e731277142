// Corpus handling: sentence splitting, length-bucketed batches within the token budget, the vocabulary's order and
// specials, and the unigram baseline against a hand computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElmoVocabulary, chunkSentences, makeBatches, seededRandom, textToSentences, unigramPerplexity } from '../../src/models/elmo/index.js';

test('lines split into sentences after . ! ?; empty lines skipped', () => {
  assert.deepEqual(textToSentences(' = Title = \n\n a b . c d ? e \n'), [['=', 'Title', '='], ['a', 'b', '.'], ['c', 'd', '?'], ['e']]);
  assert.deepEqual(chunkSentences([['a', 'b', 'c', 'd', 'e']], 2), [['a', 'b'], ['c', 'd'], ['e']]);
});

test('batches stay within the padded-token budget and keep every sentence once', () => {
  const rand = seededRandom(3);
  const sentences = Array.from({ length: 200 }, (_, i) => Array.from({ length: 1 + Math.floor(rand() * 30) }, () => `w${i}`));
  const batches = makeBatches(sentences, { maxTokens: 128, random: seededRandom(4) });
  for (const b of batches) assert.ok(b.length * (Math.max(...b.map((s) => s.length)) + 2) <= 128);
  assert.equal(batches.flat().length, 200);
  assert.equal(new Set(batches.flat()).size, 200);
});

test('vocabulary: </S>, <S>, <unk>, then words by count; unknown words map to <unk>', () => {
  const v = ElmoVocabulary.fromSentences([['b', 'a', 'b', '<unk>', 'c'], ['a', 'b']], { minCount: 2 });
  assert.deepEqual(v.words, ['</S>', '<S>', '<unk>', 'b', 'a']);
  assert.equal(v.id('c'), 2);
  assert.equal(v.id('<unk>'), 2);
  assert.throws(() => new ElmoVocabulary(['a']), /must start with/);
});

test('unigram perplexity: add-one over the vocabulary without the other boundary', () => {
  const train = [['a', 'a', 'b']];
  const vocab = ElmoVocabulary.fromSentences(train); // </S> <S> <unk> a b
  // counts: a 2, b 1, boundary 1, <unk> 0; denominator 3 + 1 + 5 - 1 = 8
  const u = unigramPerplexity(train, [['a', 'zzz']], vocab);
  const expected = Math.exp(-(Math.log(3 / 8) + Math.log(1 / 8) + Math.log(2 / 8)) / 3);
  assert.ok(Math.abs(u.forward - expected) < 1e-9);
  assert.ok(Math.abs(u.backward - expected) < 1e-9);
  assert.equal(u.tokens, 3);
});
