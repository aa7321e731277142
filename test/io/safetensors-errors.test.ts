// Malformed safetensors files, built byte by byte: each must fail with a FormatError that names the file
// (and the tensor where there is one), from memory and from disk alike; random corruption never crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors, parseSafetensors, readSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { FormatError } from '../../src/errors.js';
import { craft, rng, scratch } from './util.js';

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

/** [what, file bytes, message pattern]. */
const CASES: Array<[string, Uint8Array, RegExp]> = [
  ['empty file', new Uint8Array(0), /file is 0 bytes, too short/],
  ['5-byte file', new Uint8Array(5), /file is 5 bytes, too short/],
  ['header size over 100 MB', craft({}, 0, 100_000_001n), /header size 100000001 bytes is over the 100000000-byte limit/],
  ['header size 2^64 - 1', craft({}, 0, 0xffffffffffffffffn), /header size 18446744073709551615 bytes is over/],
  ['header size past the end', craft('{}', 0, 500n), /header size 500 bytes runs past the end of the file \(10 bytes\)/],
  ['header not UTF-8', craft('{"\u00ff"}').map((b) => (b === 0xc3 ? 0xff : b)), /header is not valid UTF-8/],
  ['header not JSON', craft('{"a": '), /header: invalid JSON at line 1, column 7: unexpected end of input/],
  ['header with trailing garbage', craft('{} x'), /header: invalid JSON at line 1, column 4: unexpected 'x' after the end/],
  ['header padded with NULs', craft('{}\0\0'), /header: invalid JSON at line 1, column 3: unexpected character U\+0000/],
  ['header is an array', craft([1, 2]), /header is an array \[1,2\], expected a JSON object/],
  ['header is null', craft('null'), /header is null, expected a JSON object/],
  ['header is a string', craft('"hi"'), /header is a string \("hi"\), expected a JSON object/],
  ['header all spaces', craft('        '), /unexpected end of input, expected a value/],
  ['entry not an object', craft({ w: 3 }), /tensor 'w' is a number \(3\) in the header, expected \{dtype, shape, data_offsets\}/],
  ['entry missing dtype', craft({ w: { shape: [1], data_offsets: [0, 4] } }, 4), /tensor 'w' has no dtype/],
  ['entry missing shape', craft({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4), /tensor 'w' has no shape/],
  ['entry missing data_offsets', craft({ w: { dtype: 'F32', shape: [1] } }, 4), /tensor 'w' has no data_offsets/],
  ['unknown dtype', craft({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4), /tensor 'w' has unknown dtype "F33" \(expected one of F32, F16, BF16, I64, I32, U8, BOOL\)/],
  ['lower-case dtype', craft({ w: { dtype: 'f32', shape: [1], data_offsets: [0, 4] } }, 4), /tensor 'w' has unknown dtype "f32"/],
  ['valid dtype Tessera lacks', craft({ w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, 8), /tensor 'w' has dtype F64, which Tessera does not read/],
  ['dtype not a string', craft({ w: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4), /tensor 'w': dtype is a number \(4\), expected a string/],
  ['shape not an array', craft({ w: { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }, 16), /tensor 'w': shape is a number \(4\), expected an array/],
  ['negative dimension', craft({ w: f32([2, -2], 0, 16) }, 16), /tensor 'w': shape \[2,-2\] has dimension -2, expected non-negative integers/],
  ['fractional dimension', craft({ w: f32([1.5], 0, 6) }, 6), /tensor 'w': shape \[1.5\] has dimension 1.5/],
  ['string dimension', craft({ w: f32(['2'] as unknown as number[], 0, 8) }, 8), /tensor 'w': shape \["2"\] has dimension "2"/],
  ['huge dimension', craft({ w: f32([1e300], 0, 4) }, 4), /tensor 'w': shape \[1e\+300\] has dimension 1e\+300/],
  ['data_offsets of 3 numbers', craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, 4), /tensor 'w': data_offsets \[0,4,8\] must be \[begin, end\]/],
  ['negative data_offsets', craft({ w: f32([1], -4, 0) }, 4), /tensor 'w': data_offsets \[-4,0\] must be \[begin, end\]/],
  ['data_offsets reversed', craft({ w: f32([1], 4, 0) }, 4), /tensor 'w': data_offsets \[4, 0\] end before they begin/],
  ['data_offsets past the end', craft({ w: f32([4], 0, 16) }, 12), /tensor 'w': data_offsets \[0, 16\] run past the end of the data section \(12 bytes\)/],
  ['element count vs bytes', craft({ w: f32([2, 3], 0, 20) }, 20), /tensor 'w': shape \[2, 3\] of F32 needs 24 bytes but data_offsets \[0, 20\] hold 20/],
  ['overflowing element count', craft({ w: f32([4294967296, 4294967296], 0, 4) }, 4), /tensor 'w': shape \[4294967296, 4294967296\] of F32 needs more than 2\^53 bytes/],
  ['overlapping tensors', craft({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12), /tensor 'b' data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/],
  ['same bytes twice', craft({ a: f32([2], 0, 8), b: f32([2], 0, 8) }, 8), /tensor 'b' data_offsets \[0, 8\] overlap tensor 'a' \[0, 8\]/],
  ['hole between tensors', craft({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), /bytes \[4, 8\) after tensor 'a' belong to no tensor \(next is 'b'\)/],
  ['hole at the start', craft({ a: f32([1], 4, 8) }, 8), /bytes \[0, 4\) at the start of the data section belong to no tensor/],
  ['trailing bytes', craft({ a: f32([1], 0, 4) }, 10), /the data section is 10 bytes but the tensors cover only 4; 6 trailing bytes/],
  ['data with no tensors', craft({}, 4), /the data section is 4 bytes but the tensors cover only 0/],
  ['metadata value not a string', craft({ __metadata__: { format: 'pt', epoch: 3 } }), /__metadata__ value of 'epoch' is a number \(3\), but metadata values must be strings/],
  ['metadata not an object', craft({ __metadata__: ['pt'] }), /__metadata__ is an array \["pt"\], expected an object of strings/],
  ['duplicate tensor name', craft('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), /header: duplicate key "a" at line 1, column 55/],
  ['duplicate field in an entry', craft('{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}', 4), /header: duplicate key "dtype"/],
  ['duplicate metadata key', craft('{"__metadata__":{"k":"1","k":"2"}}'), /header: duplicate key "k"/],
  ['deeply nested header', craft('{"a":' + '['.repeat(100_000)), /header: invalid JSON at line 1, column \d+: nested deeper than 512 levels/],
  ['BOOL byte other than 0/1', craft({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, new Uint8Array([0, 1, 2])), /tensor 'm' is BOOL but element 2 holds byte 2/],
];

test('every malformed file fails with a FormatError naming the file and the tensor', () => {
  const { dir, cleanup } = scratch();
  try {
    for (const [what, bytes, pattern] of CASES) {
      const path = join(dir, 'bad.safetensors');
      writeFileSync(path, bytes);
      for (const [how, run, source] of [
        ['parseSafetensors', () => parseSafetensors(bytes, 'mem.safetensors'), 'mem.safetensors'],
        ['readSafetensors', () => readSafetensors(path), path],
        ['openSafetensors+get', () => { const r = openSafetensors(path); try { for (const k of r.keys()) r.get(k); } finally { r.close(); } }, path],
      ] as const) {
        assert.throws(run, (e: Error) => {
          assert.ok(e instanceof FormatError, `${what} (${how}): got ${e.name}: ${e.message}`);
          assert.ok(e.message.startsWith(`${source}: `), `${what} (${how}): message should name the file: ${e.message}`);
          assert.match(e.message, pattern, `${what} (${how})`);
          assert.ok(!e.message.includes('\n'), `${what}: one line`);
          return true;
        }, `${what} (${how}) should throw`);
      }
    }
  } finally {
    cleanup();
  }
});

test('a file truncated after its header fails, and so does one that shrinks while open', () => {
  const { dir, cleanup } = scratch();
  try {
    const good = serializeSafetensors({ w: { dtype: 'float32', shape: [64], data: new Float32Array(64).fill(1) } });
    const path = join(dir, 'cut.safetensors');
    writeFileSync(path, good.subarray(0, good.byteLength - 10));
    assert.throws(() => readSafetensors(path), /data_offsets \[0, 256\] run past the end of the data section \(246 bytes\): truncated file\?/);
    writeFileSync(path, good);
    const r = openSafetensors(path);
    try {
      writeFileSync(path, good.subarray(0, 100)); // in place, same inode
      assert.throws(() => r.get('w'), (e: Error) => e instanceof FormatError && /file ended at byte 100/.test(e.message));
    } finally {
      r.close();
    }
  } finally {
    cleanup();
  }
});

test('missing files and folders are named clearly', () => {
  const { dir, cleanup } = scratch();
  try {
    assert.throws(() => readSafetensors(join(dir, 'nope.safetensors')), (e: Error) => e instanceof FormatError && e.message === `safetensors file not found: ${join(dir, 'nope.safetensors')}`);
    assert.throws(() => openSafetensors(dir), (e: Error) => e instanceof FormatError && e.message === `${dir} is a folder, not a safetensors file`);
  } finally {
    cleanup();
  }
});

test('random corruption of a valid file never crashes, hangs or passes silently with wrong sizes', () => {
  const valid = serializeSafetensors({
    'a.weight': { dtype: 'float32', shape: [3, 4], data: new Float32Array(12).fill(0.5) },
    'b.ids': { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 2n]) },
    'c.mask': { dtype: 'bool', shape: [5], data: new Uint8Array([1, 0, 1, 0, 1]) },
  }, { format: 'pt' });
  const next = rng(1234);
  let accepted = 0;
  for (let trial = 0; trial < 3000; trial++) {
    let bytes = valid.slice();
    const kind = trial % 3;
    if (kind === 0) {
      for (let k = 1 + Math.floor(next() * 3); k > 0; k--) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
    } else if (kind === 1) {
      bytes = bytes.slice(0, Math.floor(next() * bytes.length));
    } else {
      // Flip a byte inside the header, where structure lives.
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      bytes[8 + Math.floor(next() * n)] = '{}[],:"0123456789 aFBI'.charCodeAt(Math.floor(next() * 22));
    }
    try {
      const file = parseSafetensors(bytes, 'fuzz');
      accepted++;
      for (const t of file.tensors.values()) assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1));
    } catch (e) {
      assert.ok(e instanceof FormatError, `trial ${trial}: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  assert.ok(accepted > 0 && accepted < 3000);
});
