// The safetensors header: dtype names, reading and validating the size prefix and the JSON header, and
// building both for writing. Format reference: https://github.com/huggingface/safetensors (safetensors/src/tensor.rs).
import { FormatError, TesseraError } from '../errors.js';
import { dtypeSize, type DType } from '../tensor/dtype.js';
import { compareCodePoints, parseJson, type JsonValue } from './json.js';

/** Largest header accepted, as in the reference implementation: anything bigger is not a real checkpoint. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Where one tensor's bytes lie and how to read them. `dataOffsets` are relative to the start of the data section. */
export interface TensorInfo {
  dtype: DType;
  shape: number[];
  dataOffsets: [number, number];
}

/** A validated header. `tensors` is in file (data offset) order. */
export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Absolute file offset of the data section (8 + header size). */
  dataStart: number;
  /** Size of the data section in bytes. */
  dataBytes: number;
}

const FROM_ST: Readonly<Record<string, DType>> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', U8: 'uint8', BOOL: 'bool',
};
const TO_ST: Readonly<Record<DType, string>> = {
  float32: 'F32', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL',
};
/** Valid safetensors dtypes that have no Tessera dtype: named as such in errors, unlike a misspelt dtype. */
const OTHER_ST = new Set(['F64', 'I8', 'I16', 'U16', 'U32', 'U64', 'C64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2']);
const READABLE = Object.keys(FROM_ST).join(', ');

/**
 * Write order rank: the reference writer sorts by dtype in descending order of its Dtype enum (which lists
 * dtypes by increasing alignment), then by name, so every tensor starts at a multiple of its element size.
 */
const WRITE_RANK: Readonly<Record<DType, number>> = { int64: 6, float32: 5, int32: 4, bfloat16: 3, float16: 2, uint8: 1, bool: 0 };

/** The safetensors name of a dtype ('F32', 'BF16', ...). */
export function safetensorsDType(dtype: DType): string {
  return TO_ST[dtype];
}

/** True on little-endian hosts (all common ones); safetensors data is little-endian. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `size`-byte element in place (used only on big-endian hosts). */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Reads the 8-byte little-endian header size and checks it against the file size.
 * `prefix` holds the first min(8, fileSize) bytes of the file.
 */
export function readHeaderSize(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) throw new FormatError(`${source}: file is ${fileSize} bytes, too short for a safetensors file (the header size alone takes 8)`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new FormatError(`${source}: header size ${n} bytes is over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  const size = Number(n);
  if (8 + size > fileSize) throw new FormatError(`${source}: header size ${size} bytes runs past the end of the file (${fileSize} bytes): truncated, or not a safetensors file`);
  return size;
}

/** Parses and validates the JSON header; `dataBytes` is the size of the data section that follows it. */
export function parseHeader(headerBytes: Uint8Array, dataBytes: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new FormatError(`${source}: header is not valid UTF-8 (not a safetensors file?)`);
  }
  const json = parseJson(text, { source: `${source}: header`, duplicateKeys: 'error' });
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new FormatError(`${source}: header is ${describe(json)}, expected a JSON object`);
  }

  let metadata: Record<string, string> = {};
  const entries: Array<[string, TensorInfo]> = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') metadata = checkMetadata(value, source);
    else entries.push([name, checkEntry(name, value, dataBytes, source)]);
  }
  checkCoverage(entries, dataBytes, source);
  return { tensors: new Map(entries), metadata, dataStart: 8 + headerBytes.byteLength, dataBytes };
}

function checkMetadata(value: JsonValue, source: string): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new FormatError(`${source}: __metadata__ is ${describe(value)}, expected an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new FormatError(`${source}: __metadata__ value of '${k}' is ${describe(v)}, but metadata values must be strings`);
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

function checkEntry(name: string, value: JsonValue, dataBytes: number, source: string): TensorInfo {
  const where = `${source}: tensor '${name}'`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FormatError(`${where} is ${describe(value)} in the header, expected {dtype, shape, data_offsets}`);
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(value, field)) throw new FormatError(`${where} has no ${field}`);
  }
  const st = value['dtype']!;
  if (typeof st !== 'string') throw new FormatError(`${where}: dtype is ${describe(st)}, expected a string such as "F32"`);
  const dtype = FROM_ST[st];
  if (dtype === undefined) {
    if (OTHER_ST.has(st)) throw new FormatError(`${where} has dtype ${st}, which Tessera does not read (it reads ${READABLE})`);
    throw new FormatError(`${where} has unknown dtype ${JSON.stringify(st)} (expected one of ${READABLE})`);
  }

  const shapeValue = value['shape']!;
  if (!Array.isArray(shapeValue)) throw new FormatError(`${where}: shape is ${describe(shapeValue)}, expected an array of sizes`);
  const shape: number[] = [];
  for (const d of shapeValue) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new FormatError(`${where}: shape ${short(shapeValue)} has dimension ${short(d)}, expected non-negative integers`);
    }
    shape.push(d);
  }

  const off = value['data_offsets']!;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    throw new FormatError(`${where}: data_offsets ${short(off)} must be [begin, end], two non-negative integers`);
  }
  const [begin, end] = off as [number, number];
  if (end < begin) throw new FormatError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes) throw new FormatError(`${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataBytes} bytes): truncated file?`);

  // numel * size fits in a double exactly as long as it is below 2^53; anything larger cannot match end - begin.
  let bytes = dtypeSize(dtype);
  for (const d of shape) bytes *= d;
  if (bytes !== end - begin) {
    throw new FormatError(`${where}: shape [${shape.join(', ')}] of ${st} needs ${Number.isSafeInteger(bytes) ? bytes : 'more than 2^53'} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { dtype, shape, dataOffsets: [begin, end] };
}

/** The data section must be covered exactly: tensors in offset order, each starting where the previous ended. */
function checkCoverage(entries: Array<[string, TensorInfo]>, dataBytes: number, source: string): void {
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let expected = 0;
  let previous: [string, TensorInfo] | null = null;
  for (const entry of entries) {
    const [name, info] = entry;
    const [begin, end] = info.dataOffsets;
    if (begin < expected) {
      const [pName, pInfo] = previous!;
      throw new FormatError(`${source}: tensor '${name}' data_offsets [${begin}, ${end}] overlap tensor '${pName}' [${pInfo.dataOffsets.join(', ')}]`);
    }
    if (begin > expected) {
      const after = previous ? `after tensor '${previous[0]}'` : 'at the start of the data section';
      throw new FormatError(`${source}: bytes [${expected}, ${begin}) ${after} belong to no tensor (next is '${name}'); safetensors data must be fully indexed`);
    }
    expected = end;
    previous = entry;
  }
  if (expected !== dataBytes) {
    throw new FormatError(`${source}: the data section is ${dataBytes} bytes but the tensors cover only ${expected}; ${dataBytes - expected} trailing bytes belong to no tensor`);
  }
}

function describe(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array ${short(v)}`;
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v} (${short(v)})`;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// --- writing ---

/** One tensor to write: its bytes are `byteLength` long. */
export interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: readonly number[];
  byteLength: number;
}

/** Sorts entries into the reference writer's order: larger element alignment first, then name (by code point). */
export function writeOrder<T extends HeaderEntry>(entries: T[]): T[] {
  return entries.slice().sort((a, b) => WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || compareCodePoints(a.name, b.name));
}

/**
 * The 8-byte size prefix followed by the JSON header, padded with spaces to a multiple of 8, for entries
 * already in write order. Key order and spacing match the reference writer (compact JSON, `__metadata__` first).
 */
export function encodeHeader(sorted: readonly HeaderEntry[], metadata: Readonly<Record<string, string>> | undefined): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const items = keys.map((k) => {
      const v = metadata[k];
      if (typeof v !== 'string') throw new TesseraError(`safetensors metadata value of '${k}' is ${typeof v}, but metadata values must be strings`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${items.join(',')}}`);
  }
  let offset = 0;
  for (const e of sorted) {
    parts.push(`${JSON.stringify(e.name)}:{"dtype":"${TO_ST[e.dtype]}","shape":[${e.shape.join(',')}],"data_offsets":[${offset},${offset + e.byteLength}]}`);
    offset += e.byteLength;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}
