// tokenizer.json saving (byte-identical to what Hugging Face wrote for the fixtures, options and added
// tokens round-trip) and loading malformed files: each fails with a FormatError naming file and fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, TesseraError } from '../../src/errors.js';
import { Tokenizer } from '../../src/tokenizers/index.js';
import { FIXTURES, NAMES, tempDir } from './helpers.js';

test('save() writes the fixture tokenizer.json byte for byte', () => {
  for (const name of NAMES) {
    const path = join(FIXTURES, name, 'tokenizer.json');
    const original = readFileSync(path, 'utf8');
    assert.equal(Tokenizer.fromFile(path).toString(), original, `${name} from tokenizer.json`);
    const dir = tempDir();
    Tokenizer.fromFile(path).save(dir);
    assert.equal(readFileSync(join(dir, 'tokenizer.json'), 'utf8'), original, `${name} saved into a directory`);
  }
  // Built from the plain vocabulary files, the tokenizers serialize to the same tokenizer.json too.
  assert.equal(
    Tokenizer.fromFile(join(FIXTURES, 'wordpiece-uncased', 'vocab.txt')).toString(),
    readFileSync(join(FIXTURES, 'wordpiece-uncased', 'tokenizer.json'), 'utf8'),
  );
  assert.equal(
    Tokenizer.fromFile(join(FIXTURES, 'bpe-gpt2', 'vocab.json')).toString(),
    readFileSync(join(FIXTURES, 'bpe-gpt2', 'tokenizer.json'), 'utf8'),
  );
});

test('truncation, padding and added tokens round-trip through tokenizer.json', () => {
  const tok = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased'));
  tok.truncation = { maxLength: 16, strategy: 'only_second', direction: 'left', stride: 0 };
  tok.padding = { length: 20, padId: 0, padTypeId: 0, padToken: '[PAD]', direction: 'right' };
  assert.equal(tok.addTokens(['<new>', { content: '[X]', lstrip: true, rstrip: true }]), 2);
  const json = JSON.parse(tok.toString()) as Record<string, unknown>;
  assert.deepEqual(json.truncation, { direction: 'Left', max_length: 16, strategy: 'OnlySecond', stride: 0 });
  assert.deepEqual(json.padding, {
    strategy: { Fixed: 20 },
    direction: 'Right',
    pad_to_multiple_of: null,
    pad_id: 0,
    pad_type_id: 0,
    pad_token: '[PAD]',
  });
  const added = json.added_tokens as Array<Record<string, unknown>>;
  assert.deepEqual(added.at(-1), { id: 8001, content: '[X]', single_word: false, lstrip: true, rstrip: true, normalized: true, special: false });
  const path = join(tempDir(), 'tokenizer.json');
  tok.save(path);
  const back = Tokenizer.fromFile(path);
  assert.equal(back.toString(), tok.toString());
  const text = 'the game <new> began  [X]  late';
  assert.deepEqual(back.encode(text, 'a pair of words'), tok.encode(text, 'a pair of words'));
  const enc = back.encode(text, null, { truncation: null, padding: null });
  assert.ok(enc.tokens.includes('<new>'));
  // [X] is a normalized added token: it matches the lowercased text and swallows the spaces around it.
  assert.ok(enc.tokens.includes('  [x]  '), 'lstrip/rstrip tokens swallow the spaces around them');
});

function writeTemp(name: string, content: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}

function throwsFormat(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FormatError, `expected a FormatError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('malformed tokenizer.json files fail with a FormatError naming the file and the fault', () => {
  let p = writeTemp('tokenizer.json', '{"model": ');
  throwsFormat(() => Tokenizer.fromFile(p), new RegExp(`^${p}: not valid JSON \\(.+\\)$`));

  p = writeTemp('tokenizer.json', '[1, 2]');
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: expected a JSON object at the top level`);

  p = writeTemp('tokenizer.json', '{"version": "1.0", "normalizer": null}');
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: missing the "model" section`);

  p = writeTemp('tokenizer.json', '{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}');
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: unknown model type "Unigram" (supported: WordPiece, BPE)`);

  p = writeTemp('tokenizer.json', '{"model": {"type": "WordPiece", "vocab": {"a": 0, "b": "one"}}}');
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: vocab entry "b" has id "one", not a non-negative integer`);

  p = writeTemp('tokenizer.json', '{"model": {"type": "WordPiece", "vocab": {}}}');
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: the vocabulary is empty`);

  p = writeTemp('tokenizer.json', '{"model": {"type": "WordPiece", "vocab": {"a": 0}}, "normalizer": {"type": "Precompiled"}}');
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: unsupported normalizer type "Precompiled" (supported: BertNormalizer, Lowercase, StripAccents, Sequence)`);

  p = writeTemp('tokenizer.json', '{"model": {"type": "WordPiece", "vocab": {"a": 0}}, "added_tokens": [{"content": 5}]}');
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: added_tokens[0] needs a string "content" and a non-negative integer "id"`);

  const gpt2 = JSON.parse(readFileSync(join(FIXTURES, 'bpe-gpt2', 'tokenizer.json'), 'utf8')) as { model: { merges: unknown[] } };
  const n = gpt2.model.merges.length;
  gpt2.model.merges.push(['Ġzzzq', 'e']);
  p = writeTemp('tokenizer.json', JSON.stringify(gpt2));
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: merge ${n + 1} ("Ġzzzq e") refers to "Ġzzzq", which is not in the vocabulary`);
  gpt2.model.merges[n] = 'q Ġ';
  p = writeTemp('tokenizer.json', JSON.stringify(gpt2));
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: merge ${n + 1} ("q Ġ") makes "qĠ", which is not in the vocabulary`);
  gpt2.model.merges[n] = 'a b c';
  p = writeTemp('tokenizer.json', JSON.stringify(gpt2));
  throwsFormat(() => Tokenizer.fromFile(p), `${p}: merge ${n + 1} ("a b c") is not two tokens separated by one space`);
});

test('malformed vocab.txt, vocab.json and merges.txt fail with a FormatError naming the file', () => {
  const empty = writeTemp('vocab.txt', '');
  throwsFormat(() => Tokenizer.fromFile(empty), `${empty}: the vocabulary is empty (expected one token per line)`);
  const blank = writeTemp('vocab.txt', '\n\n');
  throwsFormat(() => Tokenizer.fromFile(blank), `${blank}: the vocabulary is empty (expected one token per line)`);

  const dir = tempDir();
  writeFileSync(join(dir, 'vocab.json'), '{"a": 0, "b": 1, "ab": 2}');
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\na b\nb c\n');
  throwsFormat(() => Tokenizer.fromDir(dir), `${join(dir, 'merges.txt')}: merge 2 ("b c") refers to "c", which is not in the vocabulary`);
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\nab\n');
  throwsFormat(() => Tokenizer.fromDir(dir), `${join(dir, 'merges.txt')} line 2: merge 1 ("ab") is not two tokens separated by one space`);
  writeFileSync(join(dir, 'vocab.json'), '{"a": 0,');
  throwsFormat(() => Tokenizer.fromDir(dir), new RegExp(`^${join(dir, 'vocab.json')}: not valid JSON`));
  writeFileSync(join(dir, 'vocab.json'), '{}');
  throwsFormat(() => Tokenizer.fromDir(dir), `${join(dir, 'vocab.json')}: the vocabulary is empty`);
});

test('missing files fail with a TesseraError naming the path', () => {
  assert.throws(() => Tokenizer.fromFile('/no/such/tokenizer.json'), (e: unknown) => e instanceof TesseraError && e.message === 'tokenizer file not found: /no/such/tokenizer.json');
  assert.throws(() => Tokenizer.fromDir('/no/such/dir'), (e: unknown) => e instanceof TesseraError && e.message === 'tokenizer directory not found: /no/such/dir');
  assert.throws(() => Tokenizer.fromFile('/no/such/vocab.txt'), (e: unknown) => e instanceof TesseraError && e.message === 'vocabulary file not found: /no/such/vocab.txt');
});
