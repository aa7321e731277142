// safetensors: round trips for every dtype (memory and disk), the exact byte layout of the reference writer,
// alignment, the lazy reader, and the writer's input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  openSafetensors, parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors,
  type HostTensor, type HostTensorInput,
} from '../../src/io/index.js';
import { floatToBf16, floatToF16 } from '../../src/tensor/dtype.js';
import { TesseraError } from '../../src/errors.js';
import { scratch } from './util.js';

/** One tensor of every dtype, with awkward values (NaN/inf bits, int64 extremes, odd element counts). */
function everyDType(): Map<string, HostTensorInput> {
  return new Map<string, HostTensorInput>([
    ['f32', { dtype: 'float32', shape: [2, 3], data: new Float32Array([0, -1.5, 3.25e-8, Infinity, -0, NaN]) }],
    ['f16', { dtype: 'float16', shape: [3], data: new Uint16Array([floatToF16(1), floatToF16(-65504), 0x7e00]) }],
    ['bf16', { dtype: 'bfloat16', shape: [1, 3], data: new Uint16Array([floatToBf16(3.14159), floatToBf16(-1e30), 0xff80]) }],
    ['i64', { dtype: 'int64', shape: [4], data: new BigInt64Array([0n, -1n, 9223372036854775807n, -9223372036854775808n]) }],
    ['i32', { dtype: 'int32', shape: [3, 1], data: new Int32Array([2147483647, -2147483648, 7]) }],
    ['u8', { dtype: 'uint8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) }],
    ['mask', { dtype: 'bool', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) }],
  ]);
}

function assertSameTensors(actual: Map<string, HostTensor>, expected: Map<string, HostTensorInput>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, want] of expected) {
    const got = actual.get(name)!;
    assert.equal(got.dtype, want.dtype, name);
    assert.deepEqual(got.shape, [...want.shape], name);
    assert.equal(got.data.constructor, want.data.constructor, name);
    assert.equal(got.data.byteOffset, 0, `${name} is its own aligned array`);
    // Compare bits, so NaN payloads and -0 count.
    assert.deepEqual(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength),
      new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength), name);
  }
}

test('every dtype round-trips through memory, bit for bit', () => {
  const tensors = everyDType();
  const file = parseSafetensors(serializeSafetensors(tensors, { format: 'pt' }), 'mem');
  assertSameTensors(file.tensors, tensors);
  assert.deepEqual(file.metadata, { format: 'pt' });
});

test('every dtype round-trips through a file, eagerly and lazily', () => {
  const { dir, cleanup } = scratch();
  try {
    const path = join(dir, 'all.safetensors');
    const tensors = everyDType();
    writeSafetensors(path, tensors);
    assert.deepEqual(readFileSync(path), Buffer.from(serializeSafetensors(tensors)));
    const file = readSafetensors(path);
    assertSameTensors(file.tensors, tensors);
    assert.deepEqual(file.metadata, {});
    const reader = openSafetensors(path);
    try {
      assertSameTensors(new Map(reader.keys().map((k) => [k, reader.get(k)])), tensors);
    } finally {
      reader.close();
    }
    assert.deepEqual(readdirSync(dir), ['all.safetensors'], 'no temp file left behind');
  } finally {
    cleanup();
  }
});

test('byte layout matches the reference writer (prefix, compact JSON, space padding)', () => {
  // F32 [1, 2, 3] holding 0..5 under "attn.0": the JSON is exactly 64 bytes, so no padding.
  const bytes = serializeSafetensors({ 'attn.0': { dtype: 'float32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
  assert.equal(new DataView(bytes.buffer).getBigUint64(0, true), 64n);
  assert.equal(Buffer.from(bytes.subarray(8, 72)).toString('utf8'), '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
  assert.deepEqual([...new Float32Array(bytes.slice(72).buffer)], [0, 1, 2, 3, 4, 5]);
  assert.equal(bytes.byteLength, 96);

  // "attn0" with shape [1, 1, 2, 3]: 65 bytes of JSON, padded with 7 spaces to 72 so the data stays aligned.
  const padded = serializeSafetensors({ attn0: { dtype: 'float32', shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
  assert.equal(new DataView(padded.buffer).getBigUint64(0, true), 72n);
  assert.equal(Buffer.from(padded.subarray(8, 80)).toString('utf8'), '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
  assert.deepEqual([...new Float32Array(padded.slice(80).buffer)], [0, 1, 2, 3, 4, 5]);

  // No tensors: "{}" and six spaces; with metadata it comes first.
  assert.deepEqual([...serializeSafetensors({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  const meta = serializeSafetensors({}, { framework: 'pt' });
  assert.equal(new DataView(meta.buffer).getBigUint64(0, true), 40n);
  assert.equal(Buffer.from(meta.subarray(8)).toString(), '{"__metadata__":{"framework":"pt"}}     ');
});

test('tensors are written by descending alignment then name, so each starts aligned in the file', () => {
  const bytes = serializeSafetensors({
    b: { dtype: 'uint8', shape: [3], data: new Uint8Array(3) },
    a: { dtype: 'float16', shape: [1], data: new Uint16Array(1) },
    z: { dtype: 'int64', shape: [1], data: new BigInt64Array(1) },
    y: { dtype: 'float32', shape: [1], data: new Float32Array(1) },
    x: { dtype: 'float32', shape: [1], data: new Float32Array(1) },
    c: { dtype: 'bool', shape: [1], data: new Uint8Array(1) },
    d: { dtype: 'bfloat16', shape: [1], data: new Uint16Array(1) },
    e: { dtype: 'int32', shape: [1], data: new Int32Array(1) },
  });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString()) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  assert.deepEqual(Object.keys(header), ['z', 'x', 'y', 'e', 'd', 'a', 'b', 'c']);
  const size: Record<string, number> = { I64: 8, F32: 4, I32: 4, BF16: 2, F16: 2, U8: 1, BOOL: 1 };
  for (const info of Object.values(header)) assert.equal((8 + n + info.data_offsets[0]) % size[info.dtype]!, 0);
});

test('names and metadata with quotes, escapes and non-ASCII round-trip; metadata keys are sorted', () => {
  const name = 'enc.\u00e9t\u00e9."q"\\\n\u{1f600}';
  const bytes = serializeSafetensors({ [name]: { dtype: 'float32', shape: [1], data: new Float32Array([2]) } }, { z: 'last', a: 'caf\u00e9', format: 'pt' });
  const file = parseSafetensors(bytes);
  assert.deepEqual([...file.tensors.keys()], [name]);
  assert.deepEqual(Object.keys(file.metadata), ['a', 'format', 'z']);
  assert.equal(file.metadata['a'], 'caf\u00e9');
});

test('reads from an unaligned buffer into aligned arrays', () => {
  const bytes = serializeSafetensors({ w: { dtype: 'float32', shape: [3], data: new Float32Array([1, 2, 3]) }, i: { dtype: 'int64', shape: [1], data: new BigInt64Array([5n]) } });
  const big = new Uint8Array(bytes.byteLength + 3);
  big.set(bytes, 3);
  const file = parseSafetensors(big.subarray(3));
  assert.deepEqual([...(file.tensors.get('w')!.data as Float32Array)], [1, 2, 3]);
  assert.deepEqual([...(file.tensors.get('i')!.data as BigInt64Array)], [5n]);
  // The source buffer may be reused: results do not alias it.
  big.fill(0);
  assert.deepEqual([...(file.tensors.get('w')!.data as Float32Array)], [1, 2, 3]);
});

test('a tensor written from a view of a larger array writes only the view', () => {
  const backing = new Float32Array([9, 1, 2, 3, 9]);
  const file = parseSafetensors(serializeSafetensors({ v: { dtype: 'float32', shape: [3], data: backing.subarray(1, 4) } }));
  assert.deepEqual([...(file.tensors.get('v')!.data as Float32Array)], [1, 2, 3]);
});

test('scalars (shape []) and empty tensors (a 0 dimension)', () => {
  const file = parseSafetensors(serializeSafetensors({
    s: { dtype: 'float32', shape: [], data: new Float32Array([42]) },
    e: { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
    e2: { dtype: 'int64', shape: [2, 0], data: new BigInt64Array(0) },
  }));
  assert.deepEqual(file.tensors.get('s')!.shape, []);
  assert.deepEqual([...(file.tensors.get('s')!.data as Float32Array)], [42]);
  assert.deepEqual(file.tensors.get('e')!.shape, [0, 3]);
  assert.equal(file.tensors.get('e')!.data.length, 0);
  assert.deepEqual(file.tensors.get('e2')!.shape, [2, 0]);
});

test('lazy reader: keys in file order, info without reading, get on demand, clear errors', () => {
  const { dir, cleanup } = scratch();
  try {
    const path = join(dir, 'lazy.safetensors');
    writeSafetensors(path, { b: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }, a: { dtype: 'int64', shape: [1], data: new BigInt64Array([3n]) } }, { format: 'pt' });
    const r = openSafetensors(path);
    assert.deepEqual(r.keys(), ['a', 'b']);
    assert.equal(r.has('a'), true);
    assert.equal(r.has('nope'), false);
    assert.deepEqual(r.metadata, { format: 'pt' });
    assert.deepEqual(r.info('b'), { dtype: 'float32', shape: [2], dataOffsets: [8, 16] });
    r.info('b').shape.push(7); // a copy: the reader is unaffected
    assert.deepEqual(r.info('b').shape, [2]);
    assert.deepEqual([...(r.get('b').data as Float32Array)], [1, 2]);
    assert.throws(() => r.get('nope'), (e: Error) => e instanceof TesseraError && e.message.includes(path) && e.message.includes("no tensor 'nope'"));
    r.close();
    r.close(); // idempotent
    assert.throws(() => r.get('a'), /was closed/);
    assert.deepEqual(r.keys(), ['a', 'b']);
  } finally {
    cleanup();
  }
});

test('a rewrite replaces the file atomically; an open reader keeps reading the old one', () => {
  const { dir, cleanup } = scratch();
  try {
    const path = join(dir, 'w.safetensors');
    writeSafetensors(path, { w: { dtype: 'float32', shape: [1], data: new Float32Array([1]) } });
    const r = openSafetensors(path);
    writeSafetensors(path, { w: { dtype: 'float32', shape: [2], data: new Float32Array([5, 6]) } });
    assert.deepEqual([...(r.get('w').data as Float32Array)], [1]);
    r.close();
    assert.deepEqual([...(readSafetensors(path).tensors.get('w')!.data as Float32Array)], [5, 6]);
  } finally {
    cleanup();
  }
});

test('the writer refuses inconsistent input, naming the tensor', () => {
  const bad = (t: Record<string, unknown>, re: RegExp, meta?: unknown) =>
    assert.throws(() => serializeSafetensors(t as Record<string, HostTensorInput>, meta as Record<string, string>), (e: Error) => e instanceof TesseraError && re.test(e.message), re.source);
  bad({ w: { dtype: 'float32', shape: [2], data: new Float64Array(2) } }, /tensor 'w' \(float32\) holds a Float64Array, expected a Float32Array/);
  bad({ w: { dtype: 'bfloat16', shape: [2], data: new Float32Array(2) } }, /tensor 'w' \(bfloat16\) holds a Float32Array, expected a Uint16Array/);
  bad({ w: { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) } }, /tensor 'w' has shape \[2, 2\] \(4 elements\) but its data holds 3/);
  bad({ w: { dtype: 'float32', shape: [-1], data: new Float32Array(1) } }, /tensor 'w' has shape \[-1\]/);
  bad({ w: { dtype: 'float64', shape: [1], data: new Float32Array(1) } }, /tensor 'w' has unknown dtype 'float64'/);
  bad({ m: { dtype: 'bool', shape: [2], data: new Uint8Array([1, 2]) } }, /tensor 'm' is bool but element 1 is 2/);
  bad({ __metadata__: { dtype: 'float32', shape: [1], data: new Float32Array(1) } }, /reserved/);
  bad({ w: null }, /tensor 'w' is null/);
  bad({}, /metadata value of 'n' is number/, { n: 3 });
  bad({}, /metadata must be an object/, ['a']);
});

test('a failed write leaves the previous file untouched', () => {
  const { dir, cleanup } = scratch();
  try {
    const path = join(dir, 'keep.safetensors');
    writeFileSync(path, 'old');
    assert.throws(() => writeSafetensors(path, { w: { dtype: 'float32', shape: [2], data: new Float32Array(1) } }), TesseraError);
    assert.equal(readFileSync(path, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['keep.safetensors']);
  } finally {
    cleanup();
  }
});
