// The strict JSON reader: agrees with JSON.parse on valid input, and names line and column on bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson } from '../../src/io/json.js';
import { FormatError } from '../../src/errors.js';

const parse = (text: string, extra: Partial<Parameters<typeof parseJson>[1]> = {}) => parseJson(text, { source: 'doc.json', ...extra });

test('valid documents parse as JSON.parse does', () => {
  const docs = [
    '{}', '[]', ' \t\r\n{ "a" : [ 1 , -2.5e3 , 0 , -0 , 1E+2 , 0.125 ] }\n', '"x\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t"', 'true', 'false', 'null',
    '{"nested":{"deep":[[[{"k":null}]]]},"n":12345678901234567890}', '"\\ud83d\\ude00 \\ud800"', '[1e-7, 2E-05, 1.0]', '"caf\u00e9 \u{1f600}"',
  ];
  for (const d of docs) assert.deepEqual(parse(d), JSON.parse(d), d);
});

test('syntax errors name the source, line and column', () => {
  const cases: Array<[string, RegExp]> = [
    ['{\n  "a": 1,\n  "b": }', /^doc\.json: invalid JSON at line 3, column 8: unexpected '}', expected a value$/],
    ['{"a": 1,}', /line 1, column 9: unexpected '}', expected a quoted key/],
    ['{"a" 1}', /line 1, column 6: unexpected '1', expected ':' after key "a"/],
    ['[1 2]', /line 1, column 4: unexpected '2', expected ',' or '\]' in an array/],
    ['{"a": 1 "b": 2}', /line 1, column 9: unexpected '"', expected ',' or '}' in an object/],
    ['{"a": "x', /line 1, column 7: unterminated string/],
    ['"a\tb"', /line 1, column 3: unescaped control character U\+0009 in string/],
    ['"\\x"', /line 1, column 2: bad escape 'x' in string/],
    ['"\\u12g4"', /line 1, column 2: bad \\u escape/],
    ['01', /line 1, column 1: malformed number '01'/],
    ['1.', /malformed number '1\.'/],
    ['-', /malformed number/],
    ['+1', /unexpected '\+', expected a value/],
    ["{'a': 1}", /unexpected ''', expected a quoted key/],
    ['NaN', /unexpected 'N', expected a value/],
    ['[1] [2]', /line 1, column 5: unexpected '\[' after the end of the JSON value/],
    ['', /line 1, column 1: unexpected end of input, expected a value/],
    ['tru', /unexpected 't', expected a value/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parse(text), (e: Error) => e instanceof FormatError && re.test(e.message), `${JSON.stringify(text)} -> ${re}`);
  }
});

test('duplicate keys: refused by default, last wins when asked', () => {
  assert.throws(() => parse('{"a": 1,\n "a": 2}'), /FormatError: doc\.json: duplicate key "a" at line 2, column 2$/);
  assert.deepEqual(parse('{"a": 1, "a": 2}', { duplicateKeys: 'last' }), { a: 2 });
});

test('non-finite numbers only when allowed', () => {
  assert.deepEqual(parse('[NaN, Infinity, -Infinity]', { allowNonFinite: true }), [NaN, Infinity, -Infinity]);
  assert.throws(() => parse('[Infinity]'), FormatError);
  assert.throws(() => parse('[-Infinity]'), FormatError);
});

test('a "__proto__" key is plain data, and nesting depth is bounded without a stack overflow', () => {
  const v = parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.throws(() => parse('['.repeat(1_000_000)), /nested deeper than 512 levels/);
  assert.equal((parse('['.repeat(500) + ']'.repeat(500)) as unknown[]).length, 1);
});
