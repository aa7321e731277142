// JSON values for tokenizer.json, written the way Hugging Face tokenizers (serde_json) pretty-prints
// them: two-space indentation, one array item per line, non-ASCII kept as is, no final newline.
// A Map is written as an object in its insertion order (plain objects would move numeric keys first).

/** A JSON value; a Map stands for an object whose key order matters. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue } | Map<string, JsonValue>;

/** Writes a value as serde_json's pretty printer does. */
export function writeJson(value: JsonValue): string {
  const out: string[] = [];
  write(value, '', out);
  return out.join('');
}

function write(value: JsonValue, indent: string, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    out.push(JSON.stringify(value));
    return;
  }
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[\n');
    value.forEach((v, i) => {
      out.push(inner);
      write(v, inner, out);
      out.push(i + 1 < value.length ? ',\n' : '\n');
    });
    out.push(indent, ']');
    return;
  }
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  if (entries.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{\n');
  entries.forEach(([k, v], i) => {
    out.push(inner, JSON.stringify(k), ': ');
    write(v, inner, out);
    out.push(i + 1 < entries.length ? ',\n' : '\n');
  });
  out.push(indent, '}');
}

/** Whether a parsed JSON value is a plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
