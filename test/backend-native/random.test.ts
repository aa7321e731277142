// The cpu device's generator: seeded draws repeat, the state round-trips through get/set, the thread count
// does not change the numbers, and uniform / normal draws have the right range and moments.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { contiguousLayout } from '../../src/backend/backend.js';
import { getNumThreads, nativeAvailable, setNumThreads } from '../../src/backend/cpu/index.js';
import { TesseraError } from '../../src/errors.js';
import { cpu, describeNative, read } from './helpers.js';

const draw = (kind: 'uniform' | 'normal', n: number, a: number, b: number) => read(cpu(), cpu().random(kind, n, a, b), contiguousLayout([n]));

describeNative('native random', () => {
  const threads = nativeAvailable() ? getNumThreads() : 1;
  after(() => setNumThreads(threads));

  test('the same seed gives the same draws; another seed other draws', () => {
    cpu().manualSeed(123);
    const a = [...draw('uniform', 1001, 0, 1), ...draw('normal', 999, 0, 1)];
    cpu().manualSeed(123);
    const b = [...draw('uniform', 1001, 0, 1), ...draw('normal', 999, 0, 1)];
    assert.deepEqual(a, b);
    cpu().manualSeed(124);
    assert.notDeepEqual(draw('uniform', 1001, 0, 1), a.slice(0, 1001));
  });

  test('getRngState / setRngState restore the stream exactly, and bad states are refused', () => {
    cpu().manualSeed(7);
    draw('normal', 17, 0, 1);
    const state = cpu().getRngState();
    const next = draw('uniform', 50, -2, 2);
    cpu().setRngState(state);
    assert.deepEqual(draw('uniform', 50, -2, 2), next);
    assert.throws(() => cpu().setRngState([1, 2, 3]), (e: unknown) => e instanceof TesseraError && /4 words, got 3/.test((e as Error).message));
    assert.throws(() => cpu().setRngState([1, 2, 3, -1]), TesseraError);
  });

  test('draws do not depend on the thread count', () => {
    setNumThreads(1);
    cpu().manualSeed(99);
    const one = [...draw('uniform', 300_000, 0, 1).slice(-100), ...draw('normal', 300_000, 0, 1).slice(-100)];
    setNumThreads(2);
    cpu().manualSeed(99);
    const two = [...draw('uniform', 300_000, 0, 1).slice(-100), ...draw('normal', 300_000, 0, 1).slice(-100)];
    assert.deepEqual(one, two);
  });

  test('uniform [a, b) and normal N(a, b^2) have the right range and moments', () => {
    cpu().manualSeed(5);
    const n = 200_000;
    const u = draw('uniform', n, -2, 3);
    assert.ok(u.every((x) => x >= -2 && x < 3));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean(u) - 0.5) < 0.02, `uniform mean ${mean(u)}`);
    const g = draw('normal', n, 1, 2);
    const m = mean(g);
    const sd = Math.sqrt(mean(g.map((x) => (x - m) ** 2)));
    assert.ok(Math.abs(m - 1) < 0.02, `normal mean ${m}`);
    assert.ok(Math.abs(sd - 2) < 0.02, `normal std ${sd}`);
  });
});
