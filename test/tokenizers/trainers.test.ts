// Training: the BPE merge learner reproduces Hugging Face's own trainer test, and trained WordPiece and
// byte-level BPE tokenizers encode and decode the fixture texts correctly, save and reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TesseraError } from '../../src/errors.js';
import { BYTE_TO_CHAR, learnBpe, Tokenizer, trainBpe, trainWordPiece } from '../../src/tokenizers/index.js';
import { expected, tempDir } from './helpers.js';

const wikiLines = () => expected('wordpiece-uncased').single.slice(0, 150);

test('learnBpe reproduces HF BpeTrainer test_train (vocab ids and merges)', () => {
  // tokenizers/src/models/bpe/trainer.rs, test_train: min_frequency 2.
  const counts = new Map<string, number>([
    ['roses', 1], ['are', 2], ['red', 1], ['voilets', 1], ['blue', 1], ['BERT', 1],
    ['is', 2], ['big', 1], ['and', 1], ['so', 1], ['GPT-2', 1],
  ]);
  const { vocab, merges } = learnBpe(counts, { vocabSize: 30000, minFrequency: 2 });
  const want = ['-', '2', 'B', 'E', 'G', 'P', 'R', 'T', 'a', 'b', 'd', 'e', 'g', 'i', 'l', 'n', 'o', 'r', 's', 't', 'u', 'v', 're', 'are', 'is'];
  assert.deepEqual([...vocab].sort((x, y) => x[1] - y[1]).map(([t]) => t), want);
  assert.deepEqual(merges, [['r', 'e'], ['a', 're'], ['i', 's']]);
});

test('learnBpe with a continuing-subword prefix strips it when merging, and respects limits', () => {
  const counts = new Map<string, number>([['hug', 10], ['pug', 5], ['pun', 12], ['bun', 4], ['hugs', 5]]);
  const { vocab, merges } = learnBpe(counts, { vocabSize: 40, specialTokens: ['[UNK]'], continuingSubwordPrefix: '##' });
  assert.equal(vocab.get('[UNK]'), 0);
  for (const t of ['b', 'g', 'h', 'n', 'p', 's', 'u', '##u', '##g', '##n', '##s']) assert.ok(vocab.has(t), t);
  // ##u + ##g -> ##ug (prefix of the second part dropped); h + ##ug -> hug
  assert.ok(vocab.has('##ug') && vocab.has('hug'));
  assert.deepEqual(merges[0], ['##u', '##g']);
  for (const [a, b] of merges) assert.ok(vocab.has(a + b.replace(/^##/, '')), `${a} ${b}`);
  const small = learnBpe(counts, { vocabSize: 13, continuingSubwordPrefix: '##' });
  assert.equal(small.vocab.size, 13);
  const rare = learnBpe(counts, { vocabSize: 100, minFrequency: 20, continuingSubwordPrefix: '##' });
  assert.ok(rare.merges.length < merges.length);
  const limited = learnBpe(counts, { vocabSize: 100, limitAlphabet: 3 });
  assert.deepEqual([...limited.vocab.keys()].slice(0, 3), ['g', 'p', 'u'], 'the three most frequent characters (u 36, g 20, p 17), sorted');
});

test('trainWordPiece: a BERT tokenizer whose encodings decode to what HF decodes', () => {
  const lines = wikiLines();
  const tok = trainWordPiece({ texts: lines.map((c) => c.text) }, { vocabSize: 700, minFrequency: 2 });
  assert.equal(tok.getVocabSize(), 700);
  assert.deepEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => tok.tokenToId(t)), [0, 1, 2, 3, 4]);
  for (const c of lines) {
    const enc = tok.encode(c.text);
    assert.equal(enc.tokens[0], '[CLS]');
    assert.equal(enc.tokens.at(-1), '[SEP]');
    assert.ok(!enc.tokens.includes('[UNK]'), 'every character of the training text is in the alphabet');
    // Decoding only depends on word boundaries and normalization, so it must equal HF's decode.
    assert.equal(tok.decode(enc.ids), c.decoded);
    // Each token's offsets cover exactly its characters in the lowercased text.
    enc.tokens.forEach((t, i) => {
      if (enc.specialTokensMask[i]) return;
      const [s, e] = enc.offsets[i]!;
      assert.equal(c.text.slice(s, e).toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, ''), t.replace(/^##/, ''));
    });
  }
  const path = join(tempDir(), 'tokenizer.json');
  tok.save(path);
  const back = Tokenizer.fromFile(path);
  assert.equal(back.toString(), tok.toString());
  assert.deepEqual(back.encode(lines[3]!.text, lines[4]!.text), tok.encode(lines[3]!.text, lines[4]!.text));
});

test('trainBpe: a byte-level BPE where decode(encode(x)) == x, deterministic, from files or texts', () => {
  const texts = wikiLines().map((c) => c.text);
  const tok = trainBpe({ texts }, { vocabSize: 1000 });
  assert.equal(tok.getVocabSize(), 1000);
  assert.equal(tok.tokenToId('<|endoftext|>'), 0);
  // The 256 byte characters follow, sorted by code point ('!' first, 'Ń' last).
  const alphabet = [...BYTE_TO_CHAR].sort();
  assert.deepEqual(alphabet.map((c) => tok.tokenToId(c)), alphabet.map((_, i) => i + 1));
  const hard = expected('bpe-gpt2').single.map((c) => c.text);
  let bytes = 0;
  let tokens = 0;
  for (const text of [...texts, ...hard]) {
    const enc = tok.encode(text);
    assert.equal(tok.decode(enc.ids, { skipSpecialTokens: false }), text, JSON.stringify(text.slice(0, 50)));
    bytes += Buffer.byteLength(text);
    tokens += enc.length;
  }
  assert.ok(tokens < bytes / 2.5, `merges compress the training text (${tokens} tokens for ${bytes} bytes)`);
  assert.equal(trainBpe({ texts }, { vocabSize: 1000 }).toString(), tok.toString(), 'training is deterministic');
  const file = join(tempDir(), 'train.txt');
  writeFileSync(file, texts.join('\n'));
  assert.equal(trainBpe({ files: [file] }, { vocabSize: 1000 }).toString(), tok.toString(), 'files are read line by line');
  const path = join(tempDir(), 'tokenizer.json');
  tok.save(path);
  assert.deepEqual(Tokenizer.fromFile(path).encode(hard[7]!), tok.encode(hard[7]!));
});

test('training errors name the file or option', () => {
  assert.throws(
    () => trainBpe({ files: ['/no/such/train.txt'] }),
    (e: unknown) => e instanceof TesseraError && e.message === 'training file not found: /no/such/train.txt',
  );
  assert.throws(() => trainWordPiece({ texts: ['a b'] }, { vocabSize: 0 }), (e: unknown) => e instanceof TesseraError && /^vocabSize must be a positive integer/.test(e.message));
  assert.throws(() => trainBpe({ texts: ['a b'] }, { minFrequency: -1 }), (e: unknown) => e instanceof TesseraError && /^minFrequency must be zero or more/.test(e.message));
});
