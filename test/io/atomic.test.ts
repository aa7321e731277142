// writeFileAtomic: the target holds the old bytes or the new ones, never a mix; failures clean up after themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { TesseraError } from '../../src/errors.js';
import { scratch } from './util.js';

test('writes strings, bytes and sequences of chunks', () => {
  const { dir, cleanup } = scratch();
  try {
    const p = join(dir, 'out.bin');
    writeFileAtomic(p, 'h\u00e9llo');
    assert.equal(readFileSync(p, 'utf8'), 'h\u00e9llo');
    writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
    function* gen() { yield 'ab'; yield new Uint8Array([0x63]); yield new Uint8Array(new Float32Array([1]).buffer, 2, 2); }
    writeFileAtomic(p, gen());
    assert.deepEqual([...readFileSync(p)], [0x61, 0x62, 0x63, 0x80, 0x3f]);
    writeFileAtomic(p, []);
    assert.equal(statSync(p).size, 0);
    assert.deepEqual(readdirSync(dir), ['out.bin']);
  } finally {
    cleanup();
  }
});

test('a failure part-way leaves the old file intact and no temp file', () => {
  const { dir, cleanup } = scratch();
  try {
    const p = join(dir, 'model.safetensors');
    writeFileSync(p, 'old contents');
    function* failing() { yield 'new '; yield 'partial'; throw new Error('disk on fire'); }
    assert.throws(() => writeFileAtomic(p, failing()), (e: Error) => e instanceof TesseraError && e.message === `cannot write ${p}: disk on fire`);
    assert.equal(readFileSync(p, 'utf8'), 'old contents');
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    // A TesseraError from the content passes through unchanged.
    function* refusing() { yield 'x'; throw new TesseraError('tensor w is bad'); }
    assert.throws(() => writeFileAtomic(p, refusing()), (e: Error) => e instanceof TesseraError && e.message === 'tensor w is bad');
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  } finally {
    cleanup();
  }
});

test('an existing file keeps its permissions; a new one gets the default', () => {
  const { dir, cleanup } = scratch();
  try {
    const p = join(dir, 'config.json');
    writeFileSync(p, '{}');
    chmodSync(p, 0o640);
    writeFileAtomic(p, '{"a": 1}');
    assert.equal(statSync(p).mode & 0o777, 0o640);
    const q = join(dir, 'new.json');
    writeFileAtomic(q, '{}', { mode: 0o600 });
    assert.equal(statSync(q).mode & 0o777, 0o600);
  } finally {
    cleanup();
  }
});

test('a symbolic link is followed: the file it points to is replaced', () => {
  const { dir, cleanup } = scratch();
  try {
    mkdirSync(join(dir, 'real'));
    const real = join(dir, 'real', 'w.bin');
    writeFileSync(real, 'old');
    symlinkSync(real, join(dir, 'link.bin'));
    writeFileAtomic(join(dir, 'link.bin'), 'new');
    assert.equal(readFileSync(real, 'utf8'), 'new');
    assert.ok(statSync(join(dir, 'link.bin')).isFile());
  } finally {
    cleanup();
  }
});

test('a missing folder or a folder as target is a clear error', () => {
  const { dir, cleanup } = scratch();
  try {
    const p = join(dir, 'no', 'such', 'out.bin');
    assert.throws(() => writeFileAtomic(p, 'x'), (e: Error) => e instanceof TesseraError && e.message === `cannot write ${p}: folder ${join(dir, 'no', 'such')} does not exist`);
    assert.throws(() => writeFileAtomic(dir, 'x'), (e: Error) => e instanceof TesseraError && e.message === `cannot write ${dir}: it is a folder`);
  } finally {
    cleanup();
  }
});
