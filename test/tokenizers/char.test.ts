// The character tokenizer: vocabulary from a corpus (sorted characters), encode/decode, saving to a
// tokenizer.json that the generic loader reads back with identical results, unknown and special tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../src/errors.js';
import { CharTokenizer, Tokenizer } from '../../src/tokenizers/index.js';
import { FIXTURES, tempDir } from './helpers.js';

const corpus = 'First Citizen:\nBefore we proceed any further, hear me speak.\nAll: Speak, speak. 🤗 Café\n';

test('the vocabulary is the sorted characters of the corpus (nanoGPT order)', () => {
  const tok = CharTokenizer.fromCorpus(corpus);
  const chars = [...new Set(corpus)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  assert.deepEqual(tok.vocabulary, chars);
  assert.deepEqual(tok.encodeIds('speak'), [...'speak'].map((c) => chars.indexOf(c)));
  assert.equal(tok.decode(tok.encodeIds(corpus)), corpus);
});

test('encode gives one token per character with code-point offsets; decode fuses them', () => {
  const tok = CharTokenizer.fromCorpus(corpus);
  const text = 'Café 🤗.';
  const enc = tok.encode(text);
  assert.deepEqual(enc.tokens, [...text]);
  assert.deepEqual(enc.offsets, [...text].map((_, i) => [i, i + 1]));
  assert.deepEqual(enc.ids, tok.encodeIds(text));
  assert.equal(tok.decode(enc.ids), text);
  assert.deepEqual(enc.utf16Offsets.at(-2), [5, 7]);
});

test('save writes a tokenizer.json (BPE without merges, Fuse decoder) that loads back identically', () => {
  const tok = CharTokenizer.fromCorpus(corpus, { specialTokens: ['<|endoftext|>'], unkToken: '<unk>' });
  const dir = tempDir();
  tok.save(dir);
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, Record<string, unknown> | null>;
  assert.equal(json.model!.type, 'BPE');
  assert.deepEqual(json.model!.merges, []);
  assert.equal(json.model!.unk_token, '<unk>');
  assert.deepEqual(json.decoder, { type: 'Fuse' });
  assert.equal(json.normalizer, null);
  assert.equal(json.pre_tokenizer, null);
  assert.equal(json.post_processor, null);
  const back = CharTokenizer.fromFile(join(dir, 'tokenizer.json'));
  const generic = Tokenizer.fromDir(dir);
  const text = 'Speak<|endoftext|>hear ü me';
  assert.deepEqual(back.vocabulary, tok.vocabulary);
  assert.deepEqual(back.encode(text), tok.encode(text));
  assert.deepEqual(generic.encode(text), tok.encode(text));
  assert.deepEqual(back.encodeIds(text), tok.encode(text).ids);
  const unk = tok.tokenToId('<unk>')!;
  assert.ok(tok.encodeIds('ü').every((id) => id === unk), 'characters outside the vocabulary become <unk>');
  assert.equal(tok.decode(tok.encodeIds(text)), 'Speakhear  me', 'special tokens (and <unk>) are skipped');
  assert.equal(tok.decode(tok.encodeIds(text), { skipSpecialTokens: false }), 'Speak<|endoftext|>hear <unk> me');
});

test('without an unknown token, unseen characters are dropped (as Hugging Face does)', () => {
  const tok = CharTokenizer.fromCorpus('abc');
  assert.deepEqual(tok.encodeIds('abxc'), [0, 1, 2]);
  assert.deepEqual(tok.encode('abxc').ids, [0, 1, 2]);
  const lone = CharTokenizer.fromCorpus('a\ud800b');
  assert.deepEqual(lone.vocabulary, ['a', 'b', '\ufffd'], 'a lone surrogate is read as U+FFFD');
  assert.deepEqual(lone.encodeIds('\udc00'), [2]);
});

test('loading a non-character tokenizer as CharTokenizer fails with a FormatError', () => {
  const path = join(FIXTURES, 'wordpiece-uncased', 'tokenizer.json');
  assert.throws(
    () => CharTokenizer.fromFile(path),
    (e: unknown) => e instanceof FormatError && e.message === `${path}: not a character tokenizer (expected a BPE model without merges, no normalizer, no pre-tokenizer)`,
  );
});
