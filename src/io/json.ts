// A strict JSON reader for the files Tessera loads (safetensors headers, config.json): every syntax error
// names the source with line and column, duplicate keys can be refused, and nesting depth is bounded.
import { FormatError } from '../errors.js';

/** A parsed JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A parsed JSON object. */
export interface JsonObject { [key: string]: JsonValue }

/** How {@link parseJson} treats the corners where JSON readers differ. */
export interface JsonParseOptions {
  /** Named at the start of every error message (a path, or "model.safetensors header"). */
  source: string;
  /** 'error' refuses a key that appears twice in one object; 'last' keeps the last value (Python's json). Default 'error'. */
  duplicateKeys?: 'error' | 'last';
  /** Accept NaN, Infinity and -Infinity, which Python's json writes for non-finite floats. Default false. */
  allowNonFinite?: boolean;
  /** Deepest nesting of arrays/objects accepted. Default 512. */
  maxDepth?: number;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parses one JSON document (RFC 8259; surrounding whitespace allowed). Throws a FormatError naming the position. */
export function parseJson(text: string, options: JsonParseOptions): JsonValue {
  return new Parser(text, options).document();
}

/** 1-based line and column of a character offset, for error messages. */
export function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: pos - lineStart + 1 };
}

class Parser {
  private pos = 0;
  private readonly duplicatesAllowed: boolean;
  private readonly allowNonFinite: boolean;
  private readonly maxDepth: number;

  constructor(private readonly text: string, private readonly options: JsonParseOptions) {
    this.duplicatesAllowed = options.duplicateKeys === 'last';
    this.allowNonFinite = options.allowNonFinite ?? false;
    this.maxDepth = options.maxDepth ?? 512;
  }

  document(): JsonValue {
    this.skipSpace();
    const value = this.value(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected ${this.describe(this.pos)} after the end of the JSON value`);
    return value;
  }

  private fail(message: string, at = this.pos): never {
    const { line, column } = lineColumn(this.text, at);
    throw new FormatError(`${this.options.source}: invalid JSON at line ${line}, column ${column}: ${message}`);
  }

  private describe(at: number): string {
    if (at >= this.text.length) return 'end of input';
    const ch = this.text.codePointAt(at)!;
    return ch < 0x20 || ch === 0x7f ? `character U+${ch.toString(16).padStart(4, '0')}` : `'${String.fromCodePoint(ch)}'`;
  }

  private skipSpace(): void {
    const t = this.text;
    let i = this.pos;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
    this.pos = i;
  }

  private value(depth: number): JsonValue {
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: return this.object(depth + 1); // {
      case 0x5b: return this.array(depth + 1); // [
      case 0x22: return this.string(); // "
      case 0x74: return this.literal('true', true);
      case 0x66: return this.literal('false', false);
      case 0x6e: return this.literal('null', null);
      case 0x4e: if (this.allowNonFinite) return this.literal('NaN', NaN); break;
      case 0x49: if (this.allowNonFinite) return this.literal('Infinity', Infinity); break;
      case 0x2d: if (this.allowNonFinite && t.startsWith('-Infinity', this.pos)) return this.literal('-Infinity', -Infinity); break;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail(`unexpected ${this.describe(this.pos)}, expected a value`);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`unexpected ${this.describe(this.pos)}, expected a value`);
    this.pos += word.length;
    return value;
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) return this.fail(`malformed number`);
    const end = this.pos + m[0].length;
    const next = this.text.charCodeAt(end);
    // "01", "1." and "1e" stop the regex early, in front of a digit, '.' or 'e'.
    if ((next >= 0x30 && next <= 0x39) || next === 0x2e || next === 0x65 || next === 0x45) {
      this.fail(`malformed number '${this.text.slice(this.pos, end + 1)}'`);
    }
    this.pos = end;
    return Number(m[0]);
  }

  private string(): string {
    const t = this.text;
    const open = this.pos;
    let i = open + 1;
    let start = i;
    let out = '';
    for (;;) {
      if (i >= t.length) this.fail('unterminated string', open);
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return out + t.slice(start, i);
      }
      if (c === 0x5c) {
        out += t.slice(start, i);
        const e = t.charCodeAt(i + 1);
        switch (e) {
          case 0x22: out += '"'; break;
          case 0x5c: out += '\\'; break;
          case 0x2f: out += '/'; break;
          case 0x62: out += '\b'; break;
          case 0x66: out += '\f'; break;
          case 0x6e: out += '\n'; break;
          case 0x72: out += '\r'; break;
          case 0x74: out += '\t'; break;
          case 0x75: {
            const hex = t.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`bad \\u escape in string`, i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default: this.fail(`bad escape ${this.describe(i + 1)} in string`, i);
        }
        i += 2;
        start = i;
        continue;
      }
      if (c < 0x20) this.fail(`unescaped control character U+${c.toString(16).padStart(4, '0')} in string`, i);
      i++;
    }
  }

  private array(depth: number): JsonValue[] {
    if (depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`);
    this.pos++; // [
    const out: JsonValue[] = [];
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x5d) { this.pos++; return out; }
    for (;;) {
      this.skipSpace();
      out.push(this.value(depth));
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) { this.pos++; continue; }
      if (c === 0x5d) { this.pos++; return out; }
      this.fail(`unexpected ${this.describe(this.pos)}, expected ',' or ']' in an array`);
    }
  }

  private object(depth: number): JsonObject {
    if (depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`);
    this.pos++; // {
    const out: JsonObject = {};
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x7d) { this.pos++; return out; }
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail(`unexpected ${this.describe(this.pos)}, expected a quoted key`);
      const keyAt = this.pos;
      const key = this.string();
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail(`unexpected ${this.describe(this.pos)}, expected ':' after key ${JSON.stringify(key)}`);
      this.pos++;
      this.skipSpace();
      const value = this.value(depth);
      if (Object.hasOwn(out, key)) {
        if (!this.duplicatesAllowed) {
          const { line, column } = lineColumn(this.text, keyAt);
          throw new FormatError(`${this.options.source}: duplicate key ${JSON.stringify(key)} at line ${line}, column ${column}`);
        }
      }
      // A "__proto__" key must become an own property, never the object's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      else out[key] = value;
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) { this.pos++; continue; }
      if (c === 0x7d) { this.pos++; return out; }
      this.fail(`unexpected ${this.describe(this.pos)}, expected ',' or '}' in an object`);
    }
  }
}

/** Orders strings by Unicode code point: the byte order of their UTF-8, as Rust and Python sort strings. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++; // both hold the same surrogate pair
  }
  return a.length - b.length;
}
