// Reading and writing safetensors files as host arrays (no Tensor involved): eager, lazy (tensor by tensor)
// and in-memory. Data is read straight into aligned typed arrays; writes are atomic.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FormatError, TesseraError } from '../errors.js';
import { allocHost, dtypeSize, type DType, type HostArray } from '../tensor/dtype.js';
import { writeFileAtomic } from './atomic.js';
import { readError } from './files.js';
import {
  encodeHeader, HOST_LITTLE_ENDIAN, parseHeader, readHeaderSize, swapBytes, writeOrder,
  type HeaderEntry, type SafetensorsHeader, type TensorInfo,
} from './safetensors-header.js';

export { MAX_HEADER_BYTES, safetensorsDType, type TensorInfo } from './safetensors-header.js';

/**
 * One tensor on the host: float32 -> Float32Array, float16/bfloat16 -> Uint16Array of raw bits,
 * int64 -> BigInt64Array, int32 -> Int32Array, uint8/bool -> Uint8Array. Row-major, `data.length` = product of `shape`.
 */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: HostArray;
}

/** A host tensor given to a writer (its shape may be read-only). */
export interface HostTensorInput {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: HostArray;
}

/** Tensors to write, by name: a Map (e.g. a read file's `tensors`) or a plain object. */
export type TensorDict = ReadonlyMap<string, HostTensorInput> | Readonly<Record<string, HostTensorInput>>;

/** A whole safetensors file in memory. `tensors` is in file order; `metadata` is `__metadata__` ({} when absent). */
export interface SafetensorsFile {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

const READ_CHUNK = 1 << 30; // bytes per read(2) call

// --- reading ---

/**
 * Parses a safetensors file held in memory. `name` is used in error messages. The tensors are copied out of
 * `bytes` into fresh, aligned typed arrays (safetensors offsets need not be aligned for the element type).
 */
export function parseSafetensors(bytes: Uint8Array, name = 'safetensors data'): SafetensorsFile {
  const size = readHeaderSize(bytes.subarray(0, 8), bytes.byteLength, name);
  const header = parseHeader(bytes.subarray(8, 8 + size), bytes.byteLength - 8 - size, name);
  const tensors = new Map<string, HostTensor>();
  for (const [key, info] of header.tensors) {
    const [begin, end] = info.dataOffsets;
    const out = allocTensor(info, key, name);
    hostBytes(out.data).set(bytes.subarray(header.dataStart + begin, header.dataStart + end));
    finishRead(out, key, name);
    tensors.set(key, out);
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Reads a whole safetensors file. Each tensor is read from disk directly into its own typed array, so the
 * peak memory is the size of the tensors (plus the header), never a second copy of the file.
 */
export function readSafetensors(path: string): SafetensorsFile {
  const reader = openSafetensors(path);
  try {
    const tensors = new Map<string, HostTensor>();
    for (const key of reader.keys()) tensors.set(key, reader.get(key));
    return { tensors, metadata: reader.metadata };
  } finally {
    reader.close();
  }
}

/**
 * Opens a safetensors file, reads and validates its header, and keeps the file open to read tensors on
 * demand with {@link SafetensorsReader.get}. Call `close()` when done.
 */
export function openSafetensors(path: string): SafetensorsReader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw readError(path, err, 'safetensors file');
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new FormatError(`${path} is a folder, not a safetensors file`);
    if (!st.isFile()) throw new FormatError(`${path} is not a regular file`);
    const prefix = new Uint8Array(Math.min(8, st.size));
    readFully(fd, prefix, 0, path);
    const size = readHeaderSize(prefix, st.size, path);
    const headerBytes = new Uint8Array(size);
    readFully(fd, headerBytes, 8, path);
    const header = parseHeader(headerBytes, st.size - 8 - size, path);
    return new SafetensorsReader(path, fd, header);
  } catch (err) {
    closeSync(fd);
    throw err instanceof TesseraError ? err : readError(path, err, 'safetensors file');
  }
}

/** An open safetensors file: the validated header in memory, tensors read one at a time. */
export class SafetensorsReader {
  /** `__metadata__` of the file ({} when absent). */
  readonly metadata: Record<string, string>;
  private fd: number | null;

  /** Use {@link openSafetensors}. */
  constructor(readonly path: string, fd: number, private readonly header: SafetensorsHeader) {
    this.fd = fd;
    this.metadata = header.metadata;
  }

  /** Tensor names in file order. */
  keys(): string[] {
    return [...this.header.tensors.keys()];
  }

  /** Whether the file holds a tensor of this name. */
  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /** dtype, shape and data offsets (relative to the data section) of one tensor, without reading its data. */
  info(name: string): TensorInfo {
    const info = this.lookup(name);
    return { dtype: info.dtype, shape: [...info.shape], dataOffsets: [info.dataOffsets[0], info.dataOffsets[1]] };
  }

  /** Reads one tensor from disk into a fresh typed array. */
  get(name: string): HostTensor {
    const info = this.lookup(name);
    if (this.fd === null) throw new TesseraError(`${this.path}: cannot read tensor '${name}', the file was closed`);
    const out = allocTensor(info, name, this.path);
    readFully(this.fd, hostBytes(out.data), this.header.dataStart + info.dataOffsets[0], this.path);
    finishRead(out, name, this.path);
    return out;
  }

  /** Closes the file. Further `get` calls throw; `keys`, `info` and `metadata` stay available. */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private lookup(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (info === undefined) throw new TesseraError(`${this.path} has no tensor '${name}' (it holds ${this.header.tensors.size} tensors)`);
    return info;
  }
}

function allocTensor(info: TensorInfo, name: string, source: string): HostTensor {
  const numel = info.shape.reduce((a, b) => a * b, 1);
  try {
    return { dtype: info.dtype, shape: [...info.shape], data: allocHost(info.dtype, numel) };
  } catch (err) {
    throw new TesseraError(`${source}: cannot allocate ${numel * dtypeSize(info.dtype)} bytes for tensor '${name}' (${(err as Error).message})`);
  }
}

/** Byte order fix-up on big-endian hosts, and the one value check the format allows: BOOL bytes are 0 or 1. */
function finishRead(t: HostTensor, name: string, source: string): void {
  if (!HOST_LITTLE_ENDIAN) swapBytes(hostBytes(t.data), dtypeSize(t.dtype));
  if (t.dtype === 'bool') {
    const d = t.data as Uint8Array;
    for (let i = 0; i < d.length; i++) {
      if (d[i]! > 1) throw new FormatError(`${source}: tensor '${name}' is BOOL but element ${i} holds byte ${d[i]} (must be 0 or 1)`);
    }
  }
}

function readFully(fd: number, target: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < target.byteLength) {
    const n = readSync(fd, target, done, Math.min(target.byteLength - done, READ_CHUNK), position + done);
    if (n === 0) throw new FormatError(`${path}: file ended at byte ${position + done} while reading ${target.byteLength} bytes at ${position}; was it truncated while open?`);
    done += n;
  }
}

function hostBytes(a: HostArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

// --- writing ---

interface Prepared extends HeaderEntry {
  data: HostArray;
}

/** Whether `data` is the host array type of `dtype` (Uint16Array for both half types, Uint8Array for uint8 and bool). */
function holds(dtype: DType, data: unknown): boolean {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array;
    case 'float16': case 'bfloat16': return data instanceof Uint16Array;
    case 'int32': return data instanceof Int32Array;
    case 'int64': return data instanceof BigInt64Array;
    case 'uint8': case 'bool': return data instanceof Uint8Array;
  }
}

const ARRAY_OF: Readonly<Record<DType, string>> = {
  float32: 'Float32Array', float16: 'Uint16Array', bfloat16: 'Uint16Array', int32: 'Int32Array', int64: 'BigInt64Array',
  uint8: 'Uint8Array', bool: 'Uint8Array',
};

/** Checks every tensor and returns them in write order. */
function prepare(tensors: TensorDict): Prepared[] {
  const entries: Array<[string, HostTensorInput]> = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const out: Prepared[] = [];
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new TesseraError(`cannot write a tensor named '__metadata__': the name is reserved by safetensors`);
    if (t === null || typeof t !== 'object') throw new TesseraError(`tensor '${name}' is ${t === null ? 'null' : typeof t}, expected { dtype, shape, data }`);
    const { dtype, shape, data } = t;
    const expected = ARRAY_OF[dtype];
    if (expected === undefined) throw new TesseraError(`tensor '${name}' has unknown dtype '${String(dtype)}'`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TesseraError(`tensor '${name}' has shape ${JSON.stringify(shape)}, expected an array of non-negative integers`);
    }
    if (!holds(dtype, data)) {
      const got = ArrayBuffer.isView(data) ? data.constructor.name : data === null ? 'null' : typeof data;
      throw new TesseraError(`tensor '${name}' (${dtype}) holds a ${got}, expected a ${expected}`);
    }
    const numel = shape.reduce((a, b) => a * b, 1);
    if (data.length !== numel) throw new TesseraError(`tensor '${name}' has shape [${shape.join(', ')}] (${numel} elements) but its data holds ${data.length}`);
    if (dtype === 'bool') {
      const d = data as Uint8Array;
      const bad = d.findIndex((v) => v > 1);
      if (bad !== -1) throw new TesseraError(`tensor '${name}' is bool but element ${bad} is ${d[bad]} (must be 0 or 1)`);
    }
    out.push({ name, dtype, shape, byteLength: data.byteLength, data });
  }
  return writeOrder(out);
}

/** The file as a sequence of chunks: prefix + header, then each tensor's bytes (views, not copies, on little-endian hosts). */
function* chunks(sorted: Prepared[], header: Uint8Array): Generator<Uint8Array> {
  yield header;
  for (const t of sorted) {
    const bytes = hostBytes(t.data);
    if (HOST_LITTLE_ENDIAN) {
      yield bytes;
    } else {
      const copy = bytes.slice();
      swapBytes(copy, dtypeSize(t.dtype));
      yield copy;
    }
  }
}

function checkMetadata(metadata: Readonly<Record<string, string>> | undefined): void {
  if (metadata === undefined) return;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new TesseraError(`safetensors metadata must be an object of strings`);
}

/**
 * The bytes of a safetensors file holding `tensors` (and `metadata` as `__metadata__` when given), laid out
 * exactly as the reference writer does: tensors sorted by dtype alignment (8-byte types first) then name,
 * contiguous, header padded with spaces to a multiple of 8, so every tensor is aligned in the file.
 */
export function serializeSafetensors(tensors: TensorDict, metadata?: Readonly<Record<string, string>>): Uint8Array {
  checkMetadata(metadata);
  const sorted = prepare(tensors);
  const header = encodeHeader(sorted, metadata);
  const out = new Uint8Array(header.byteLength + sorted.reduce((s, t) => s + t.byteLength, 0));
  let at = 0;
  for (const c of chunks(sorted, header)) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Writes a safetensors file atomically (temp file in the same folder, fsync, rename): readers and crashes see
 * the old file or the new one, never a partial file. Tensor data is written from the arrays themselves, without
 * building the file in memory. Note: Hugging Face transformers refuses a file whose `__metadata__` lacks
 * `format` (use { format: 'pt' }); without metadata it loads fine.
 */
export function writeSafetensors(path: string, tensors: TensorDict, metadata?: Readonly<Record<string, string>>): void {
  checkMetadata(metadata);
  const sorted = prepare(tensors);
  const header = encodeHeader(sorted, metadata);
  writeFileAtomic(path, chunks(sorted, header));
}

