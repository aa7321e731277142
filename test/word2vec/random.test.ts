// The LCG emulation against BigInt: every derived value equals word2vec.c's unsigned long long arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lcg } from '../../src/models/word2vec/index.js';

const MASK = (1n << 64n) - 1n;
const step = (x: bigint) => (x * 25214903917n + 11n) & MASK;

test('Lcg.next equals next_random * 25214903917 + 11 mod 2^64, with its derived draws', () => {
  for (const [hi, lo] of [[0, 0], [0, 1], [0, 7], [12345, 0xffffffff], [0xffffffff, 0xfffffff0]]) {
    const rng = new Lcg(hi, lo);
    let ref = (BigInt(hi) << 32n) | BigInt(lo);
    for (let i = 0; i < 2000; i++) {
      rng.next();
      ref = step(ref);
      assert.equal(rng.hi, Number(ref >> 32n));
      assert.equal(rng.lo, Number(ref & 0xffffffffn));
      assert.equal(rng.low16(), Number(ref & 0xffffn));
      for (const m of [1, 2, 5, 9, 20705, 100_000_000, 2 ** 31 - 1]) {
        assert.equal(rng.mod(m), Number(ref % BigInt(m)), `mod ${m}`);
        assert.equal(rng.shr16Mod(m), Number((ref >> 16n) % BigInt(m)), `shr16Mod ${m}`);
      }
    }
  }
});

test('thread 0 of word2vec.c starts at 0: its first window draw is 11 % window', () => {
  const rng = new Lcg(0, 0);
  rng.next();
  assert.equal(rng.lo, 11);
  assert.equal(rng.mod(5), 1);
});
