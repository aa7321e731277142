// Every case of the Hugging Face tokenizer fixtures, through the library: single texts, pairs, and
// truncated + padded pairs give identical ids, tokens, offsets, type ids and masks, and single texts
// identical decoded text (the fixtures record it for those); loading from tokenizer.json or from vocab.txt / vocab.json + merges.txt agrees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '../../src/tokenizers/index.js';
import { assertSameEncoding, expected, FIXTURES, NAMES, tempDir, type FixtureName } from './helpers.js';

function checkAll(name: FixtureName, tok: Tokenizer, how: string): void {
  const exp = expected(name);
  for (const [i, c] of exp.single.entries()) {
    const label = `${name} (${how}) single ${i} ${JSON.stringify(c.text.slice(0, 40))}`;
    const enc = tok.encode(c.text);
    assertSameEncoding(enc, c, label);
    assert.equal(tok.decode(enc.ids), c.decoded, `${label}: decoded`);
  }
  for (const [i, c] of exp.pair.entries()) {
    const label = `${name} (${how}) pair ${i}`;
    assertSameEncoding(tok.encode(c.a, c.b), c, label);
  }
  for (const [i, c] of exp.truncated_padded_pair.entries()) {
    const label = `${name} (${how}) truncated+padded pair ${i}`;
    const enc = tok.encode(c.a, c.b, { truncation: { maxLength: c.max_length, strategy: c.strategy }, padding: { length: c.pad_to } });
    assertSameEncoding(enc, c, label);
  }
}

for (const name of NAMES) {
  test(`${name}: every fixture case from tokenizer.json`, () => {
    checkAll(name, Tokenizer.fromFile(join(FIXTURES, name, 'tokenizer.json')), 'tokenizer.json');
  });
}

test('wordpiece: every fixture case from vocab.txt (uncased by default, cased via tokenizer_config.json)', () => {
  checkAll('wordpiece-uncased', Tokenizer.fromFile(join(FIXTURES, 'wordpiece-uncased', 'vocab.txt')), 'vocab.txt');
  const dir = tempDir();
  copyFileSync(join(FIXTURES, 'wordpiece-cased', 'vocab.txt'), join(dir, 'vocab.txt'));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
  checkAll('wordpiece-cased', Tokenizer.fromDir(dir), 'vocab.txt + tokenizer_config.json');
  checkAll('wordpiece-cased', Tokenizer.fromWordPieceVocab(join(FIXTURES, 'wordpiece-cased', 'vocab.txt'), { lowercase: false }), 'vocab.txt, lowercase false');
});

test('bpe: every fixture case from vocab.json + merges.txt', () => {
  const dir = tempDir();
  copyFileSync(join(FIXTURES, 'bpe-gpt2', 'vocab.json'), join(dir, 'vocab.json'));
  copyFileSync(join(FIXTURES, 'bpe-gpt2', 'merges.txt'), join(dir, 'merges.txt'));
  checkAll('bpe-gpt2', Tokenizer.fromDir(dir), 'vocab.json + merges.txt dir');
  checkAll('bpe-gpt2', Tokenizer.fromBpeFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt')), 'fromBpeFiles');
});

test('bpe: decode(encode(x)) == x for every fixture text (special tokens kept)', () => {
  const tok = Tokenizer.fromDir(join(FIXTURES, 'bpe-gpt2'));
  const texts = new Set<string>();
  for (const name of NAMES) {
    const exp = expected(name);
    for (const c of exp.single) texts.add(c.text);
    for (const c of exp.pair) texts.add(c.a).add(c.b);
  }
  for (const text of texts) {
    assert.equal(tok.decode(tok.encode(text).ids, { skipSpecialTokens: false }), text, JSON.stringify(text.slice(0, 60)));
  }
});

test('utf16Offsets slice the JavaScript string; offsets count code points', () => {
  const text = 'Emoji 🤗 👍🏽 done';
  for (const name of NAMES) {
    const tok = Tokenizer.fromDir(join(FIXTURES, name));
    const enc = tok.encode(text);
    const cps = [...text];
    enc.offsets.forEach(([s, e], i) => {
      const [us, ue] = enc.utf16Offsets[i]!;
      assert.equal(text.slice(us, ue), cps.slice(s, e).join(''), `${name} token ${i}`);
    });
    assert.notEqual(enc.offsets, enc.utf16Offsets);
  }
  const plain = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased')).encode('no astral characters');
  assert.deepEqual(plain.utf16Offsets, plain.offsets);
});

test('encodeBatch equals encode one by one, padded to the longest', () => {
  const tok = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased'));
  const exp = expected('wordpiece-uncased');
  const inputs = [exp.single[0]!.text, [exp.pair[0]!.a, exp.pair[0]!.b] as const, 'short'];
  const batch = tok.encodeBatch(inputs, { padding: {} });
  const longest = Math.max(...batch.map((e) => e.attentionMask.reduce((a, b) => a + b, 0)));
  for (const e of batch) assert.equal(e.length, longest);
  assert.deepEqual(batch[0]!.ids.slice(0, exp.single[0]!.ids.length), exp.single[0]!.ids);
  assert.deepEqual(batch[1]!.ids.slice(0, exp.pair[0]!.ids.length), exp.pair[0]!.ids);
  const unpadded = tok.encodeBatch(inputs);
  assert.deepEqual(unpadded[2]!.ids, tok.encode('short').ids);
});
