// config.json: reading with positioned errors, and writing (atomically) in Hugging Face's layout
// (`json.dumps(config, indent=2, sort_keys=True) + "\n"`, see transformers' PretrainedConfig.to_json_string).
import { readFileSync } from 'node:fs';
import { FormatError, TesseraError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { readError } from './files.js';
import { compareCodePoints, parseJson, type JsonObject } from './json.js';

/** A parsed config.json: HF's snake_case keys verbatim. */
export type ConfigObject = JsonObject;

/**
 * Reads a config.json. Reads what Python's json reads: duplicate keys keep the last value, NaN / Infinity are
 * accepted, a UTF-8 byte order mark is skipped. Throws a FormatError naming the file for a missing file, bad
 * UTF-8, a JSON syntax error (with line and column) or a top level that is not an object.
 */
export function readConfig(path: string): ConfigObject {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw readError(path, err, 'config file');
  }
  return parseConfig(bytes, path);
}

/** Parses config.json bytes or text; `source` names it in errors. */
export function parseConfig(content: Uint8Array | string, source = 'config.json'): ConfigObject {
  let text: string;
  if (typeof content === 'string') {
    text = content;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content); // also drops a leading BOM
    } catch {
      throw new FormatError(`${source}: not valid UTF-8 text`);
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const value = parseJson(text, { source, duplicateKeys: 'last', allowNonFinite: true });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new FormatError(`${source}: top level is ${got}, expected a JSON object`);
  }
  return value;
}

/** Options for {@link writeConfig} and {@link formatConfig}. */
export interface ConfigFormatOptions {
  /** Sort object keys (at every level), as transformers does. Default true. */
  sortKeys?: boolean;
}

/**
 * Writes a config.json atomically, laid out as transformers writes it: 2-space indent, sorted keys, ASCII
 * only (other characters as \uXXXX), floats as Python prints them (1e-05), NaN / Infinity as Python writes
 * them, and a trailing newline. A value JSON cannot hold (a function, a Map, a cycle) throws a TesseraError
 * naming its key path.
 */
export function writeConfig(path: string, config: object, options: ConfigFormatOptions = {}): void {
  writeFileAtomic(path, formatConfig(config, options));
}

/** The text {@link writeConfig} writes. */
export function formatConfig(config: object, options: ConfigFormatOptions = {}): string {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new TesseraError(`a config must be an object, got ${config === null ? 'null' : Array.isArray(config) ? 'an array' : typeof config}`);
  return `${new Formatter(options.sortKeys ?? true).value(config, '', 'config', new Set())}\n`;
}

class Formatter {
  constructor(private readonly sortKeys: boolean) {}

  value(v: unknown, indent: string, path: string, seen: Set<object>): string {
    switch (typeof v) {
      case 'string': return asciiString(v);
      case 'number': return pythonNumber(v);
      case 'bigint': return v.toString();
      case 'boolean': return v ? 'true' : 'false';
      case 'object': break;
      default: throw new TesseraError(`cannot write ${typeof v} at ${path} to a config file`);
    }
    if (v === null) return 'null';
    if (seen.has(v)) throw new TesseraError(`cannot write ${path} to a config file: it refers back to itself`);
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return this.value(toJSON.call(v), indent, path, seen);
    if (v instanceof Map || v instanceof Set || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
      throw new TesseraError(`cannot write ${path} to a config file: a ${v.constructor.name} (convert it to a plain object or array)`);
    }
    seen.add(v);
    const inner = `${indent}  `;
    let out: string;
    if (Array.isArray(v)) {
      // As JSON.stringify does, holes and undefined in arrays become null.
      const items = Array.from(v, (x, i) => (x === undefined ? 'null' : this.value(x, inner, `${path}[${i}]`, seen)));
      out = items.length === 0 ? '[]' : `[\n${inner}${items.join(`,\n${inner}`)}\n${indent}]`;
    } else {
      let keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
      if (this.sortKeys) keys = keys.sort(compareCodePoints);
      const items = keys.map((k) => `${asciiString(k)}: ${this.value((v as Record<string, unknown>)[k], inner, `${path}.${k}`, seen)}`);
      out = items.length === 0 ? '{}' : `{\n${inner}${items.join(`,\n${inner}`)}\n${indent}}`;
    }
    seen.delete(v);
    return out;
  }
}

/** A JSON string with every non-ASCII UTF-16 unit escaped, like Python's json.dumps(ensure_ascii=True). */
function asciiString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A number as Python's json writes it. Integral values print as integers (JavaScript cannot tell 2.0 from 2;
 * Python reads both as equal). Other floats use Python's repr: the same shortest digits as JavaScript, but
 * scientific notation below 1e-4 with a two-digit exponent (1e-05, 2.5e-07).
 */
function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Number.isInteger(n)) return BigInt(n).toString();
  if (Math.abs(n) >= 1e-4) return String(n); // non-integers are below 2^53, where JS also prints fixed notation
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
}
