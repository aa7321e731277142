// The pieces on their own: GPT-2's pre-tokenizer against its regex, the byte-level table and decoding
// of invalid bytes, BPE merging of long words against a naive reference, WordPiece limits, added
// tokens, truncation and padding rules, templates and the WordPiece decoder's cleanup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  BertPreTokenizer,
  BpeModel,
  BYTE_TO_CHAR,
  byteLevelToString,
  ByteLevelPreTokenizer,
  Encoding,
  parseTemplate,
  Tokenizer,
  truncateEncodings,
  WordPieceDecoder,
  WordPieceModel,
} from '../../src/tokenizers/index.js';
import { FIXTURES } from './helpers.js';

/** A tiny deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
// GPT-2's pattern with \s as the Unicode White_Space property (what Oniguruma uses).
const GPT2 = new RegExp(`'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`, 'gu');

function split(pt: { split(text: string, s: number, e: number, out: number[]): void }, text: string): string[] {
  const spans: number[] = [];
  pt.split(text, 0, text.length, spans);
  const out: string[] = [];
  for (let k = 0; k < spans.length; k += 2) out.push(text.slice(spans[k], spans[k + 1]));
  return out;
}

test("the byte-level pre-tokenizer splits exactly as GPT-2's regex, on 3000 random strings", () => {
  const pool = ["'", 's', 't', 're', 've', 'll', 'd', 'm', 'S', 'a', 'Z', 'é', 'ß', '中', 'ア', '𝐀', '7', '٣', '½', ' ', ' ', '  ', '\t', '\n', '\r\n',
    '\u00a0', '\u2028', '\u3000', '\u0085', '\ufeff', '\u200b', '.', ',', '!', '?', '-', '@', '"', '(', '🤗', '👍🏽', '\u200d', '\u0301', '_', '$', '\u0000', '\ud800'];
  const next = rng(7);
  const pt = new ByteLevelPreTokenizer({ addPrefixSpace: false });
  for (let n = 0; n < 3000; n++) {
    let text = '';
    const len = Math.floor(next() * 24);
    for (let i = 0; i < len; i++) text += pool[Math.floor(next() * pool.length)];
    assert.deepEqual(split(pt, text), text.match(GPT2) ?? [], JSON.stringify(text));
  }
});

test('the BERT pre-tokenizer drops whitespace and isolates punctuation', () => {
  assert.deepEqual(split(new BertPreTokenizer(), "Hello,  world!\tIt's 3.5€ — ok_ $x"), ['Hello', ',', 'world', '!', 'It', "'", 's', '3', '.', '5€', '—', 'ok', '_', '$', 'x']);
});

test('the byte-level alphabet, and decoding any bytes without throwing', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(BYTE_TO_CHAR[32], 'Ġ');
  assert.equal(BYTE_TO_CHAR[10], 'Ċ');
  assert.equal(BYTE_TO_CHAR[65], 'A');
  assert.equal(byteLevelToString(['Ã']), '\ufffd', 'a truncated UTF-8 sequence');
  assert.equal(byteLevelToString(['ð', 'Ł', '¤', 'Ĺ']), '🤗');
  assert.equal(byteLevelToString(['<|endoftext|>', 'Ġhi']), '<|endoftext|> hi');
  const tok = Tokenizer.fromDir(join(FIXTURES, 'bpe-gpt2'));
  const family = 'family: 👩\u200d👩\u200d👧 and 🏳️\u200d🌈';
  assert.equal(tok.decode(tok.encode(family).ids), family);
  assert.equal(tok.decode(tok.encode('lone \ud83d surrogate').ids), 'lone \ufffd surrogate');
  const ids = tok.encode('🤗').ids;
  assert.equal(ids.length, 4);
  assert.equal(tok.decode(ids.slice(0, 2)), '\ufffd', 'part of a character decodes to U+FFFD');
});

test('BPE merges long words (heap path) exactly like the naive lowest-rank-first loop', () => {
  const tok = Tokenizer.fromDir(join(FIXTURES, 'bpe-gpt2'));
  const model = tok.model as BpeModel;
  const vocab = model.getVocab();
  const naive = (word: string): number[] => {
    let syms = [...word].map((c) => vocab.get(c)!);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let k = 0; k + 1 < syms.length; k++) {
        const r = model.rankOf(syms[k]!, syms[k + 1]!);
        if (r !== undefined && r < bestRank) [best, bestRank] = [k, r];
      }
      if (best < 0) return syms;
      const merged = vocab.get(model.idToToken(syms[best]!)! + model.idToToken(syms[best + 1]!)!)!;
      syms = [...syms.slice(0, best), merged, ...syms.slice(best + 2)];
    }
  };
  const next = rng(11);
  const letters = 'etaoinshrdlucmfwyp';
  for (let n = 0; n < 200; n++) {
    let word = '';
    const len = 1 + Math.floor(next() * 200);
    for (let i = 0; i < len; i++) word += next() < 0.15 ? 'Ġ' : letters[Math.floor(next() * letters.length)];
    const ids: number[] = [];
    model.tokenize(word, ids, [], []);
    assert.deepEqual(ids, naive(word), word);
  }
});

test('WordPiece: longest match first, [UNK] for uncoverable or over-long words, surrogate pairs kept whole', () => {
  const vocab = new Map(['[UNK]', 'un', '##aff', '##able', 'a', '##a', '😀', '##😀'].map((t, i) => [t, i]));
  const wp = new WordPieceModel(vocab, { maxInputCharsPerWord: 5 });
  const run = (w: string) => {
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    wp.tokenize(w, ids, starts, ends);
    return { tokens: ids.map((id) => wp.idToToken(id)), starts, ends };
  };
  assert.deepEqual(run('unaff'), { tokens: ['un', '##aff'], starts: [0, 2], ends: [2, 5] });
  assert.deepEqual(run('unaffable').tokens, ['[UNK]'], 'longer than 5 characters');
  assert.deepEqual(run('unx').tokens, ['[UNK]']);
  assert.deepEqual(run('a😀😀'), { tokens: ['a', '##😀', '##😀'], starts: [0, 1, 3], ends: [1, 3, 5] });
});

test('added tokens: leftmost-longest, single_word, lstrip/rstrip', () => {
  const tok = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased'));
  tok.addSpecialTokens(['<ab>', '<abc>']);
  tok.addSpecialTokens([{ content: '<w>', singleWord: true }, { content: '<l>', lstrip: true }, { content: '<r>', rstrip: true }]);
  const toks = (t: string) => tok.encode(t, null, { addSpecialTokens: false }).tokens;
  assert.deepEqual(toks('x<abc>y'), ['x', '<abc>', 'y']);
  assert.deepEqual(toks('a <w> b'), ['a', '<w>', 'b']);
  assert.ok(!toks('a<w>b').includes('<w>'), 'single_word tokens do not match inside words');
  assert.deepEqual(toks('a  <l>b'), ['a', '  <l>', 'b']);
  assert.deepEqual(toks('a<r>  b'), ['a', '<r>  ', 'b']);
  const enc = tok.encode('go <abc> now', null, { addSpecialTokens: false });
  assert.deepEqual(enc.offsets[1], [3, 8]);
  assert.equal(enc.specialTokensMask[1], 0, 'HF marks only post-processor tokens in the special tokens mask');
  assert.equal(tok.decode(enc.ids), 'go now');
  assert.equal(tok.decode(enc.ids, { skipSpecialTokens: false }), 'go <abc> now');
});

function enc(n: number, offset = 0): Encoding {
  const e = new Encoding();
  for (let i = 0; i < n; i++) e.push(offset + i, `t${offset + i}`, [i, i + 1], [i, i + 1], 0, 0, i, 0);
  return e;
}

test('truncation: longest_first, only_first, only_second, left direction and errors (HF truncate_encodings)', () => {
  const cases: Array<[number, number, number, number, number]> = [
    [10, 3, 8, 5, 3],
    [3, 10, 8, 3, 5],
    [10, 10, 9, 4, 5],
    [6, 5, 9, 5, 4],
    [4, 4, 8, 4, 4],
  ];
  for (const [na, nb, max, wa, wb] of cases) {
    const a = enc(na);
    const b = enc(nb, 100);
    truncateEncodings(a, b, max, 'longest_first', 'right');
    assert.deepEqual([a.length, b.length], [wa, wb], `${na}+${nb} -> ${max}`);
  }
  const a = enc(10);
  const b = enc(4, 100);
  truncateEncodings(a, b, 8, 'only_first', 'left');
  assert.deepEqual(a.ids, [6, 7, 8, 9], 'left truncation keeps the end');
  assert.equal(b.length, 4);
  assert.throws(() => truncateEncodings(enc(2), enc(10), 5, 'only_first', 'right'), /too short to remove 7 tokens/);
  assert.throws(() => truncateEncodings(enc(10), null, 5, 'only_second', 'right'), /needs a pair/);
  const tok = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased'));
  assert.throws(() => tok.encode('a b c', 'd e f', { truncation: { maxLength: 2 } }), /smaller than the number of special tokens/);
  assert.equal(tok.encode('a b c d e f g', null, { truncation: { maxLength: 5 } }).length, 5);
});

test('padding: fixed length, multiple of, left side; tokens and masks', () => {
  const tok = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased'));
  const e = tok.encode('hello world', null, { padding: { length: 7, direction: 'left' } });
  assert.deepEqual(e.tokens, ['[PAD]', '[PAD]', '[CLS]', 'hell', '##o', 'world', '[SEP]']);
  assert.deepEqual(e.attentionMask.slice(0, 2), [0, 0]);
  assert.deepEqual(e.specialTokensMask.slice(0, 2), [1, 1]);
  assert.deepEqual(e.wordIds.slice(0, 2), [null, null]);
  const m = tok.encode('hello world', null, { padding: { padToMultipleOf: 8 } });
  assert.equal(m.length, 8);
  const long = tok.encode('hello world', null, { padding: { length: 3 } });
  assert.equal(long.length, 5, 'longer encodings are left as they are');
  tok.padding = { length: 10 };
  assert.equal(tok.encode('hi').length, 10, 'the tokenizer-wide default applies');
  assert.equal(tok.encode('hi', null, { padding: null }).length, 3);
  assert.throws(() => tok.encode('hi', null, { padding: { length: 5, padToken: '<nope>' } }), /pad token "<nope>" is not in the vocabulary/);
});

test('templates, special-token-free encoding, word and sequence ids', () => {
  assert.deepEqual(parseTemplate('[CLS] $A [SEP] $B:1 [SEP]:1'), [
    { special: '[CLS]', typeId: 0 },
    { sequence: 'A', typeId: 0 },
    { special: '[SEP]', typeId: 0 },
    { sequence: 'B', typeId: 1 },
    { special: '[SEP]', typeId: 1 },
  ]);
  const tok = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased'));
  const plain = tok.encode('hello there', 'you', { addSpecialTokens: false });
  assert.deepEqual(plain.tokens, ['hell', '##o', 'there', 'you']);
  assert.deepEqual(plain.typeIds, [0, 0, 0, 1]);
  const full = tok.encode('hello there', 'you');
  assert.deepEqual(full.wordIds, [null, 0, 0, 1, null, 0, null]);
  assert.deepEqual(full.sequenceIds, [null, 0, 0, 0, null, 1, null]);
  assert.deepEqual(tok.encodeIds('hello there'), [tok.tokenToId('hell'), tok.tokenToId('##o'), tok.tokenToId('there')]);
});

test('WordPiece decoder: ## pieces glue on, cleanup applies per token (as HF)', () => {
  const d = new WordPieceDecoder();
  assert.equal(d.decode(['hell', '##o', ',', 'world', '!']), 'hello, world!');
  assert.equal(d.decode(['don', "'", 't', 'do', 'not']), "don ' t do not");
  assert.equal(new WordPieceDecoder('##', false).decode(['a', ',', 'b']), 'a , b');
  const tok = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased'));
  assert.equal(tok.decode([2, 999_999, tok.tokenToId('the')!, 3]), 'the', 'unknown ids are skipped');
  assert.equal(tok.decode([2, tok.tokenToId('the')!, 3], { skipSpecialTokens: false }), '[CLS] the [SEP]');
});
