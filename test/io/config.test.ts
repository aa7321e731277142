// config.json: reading Hugging Face files with clear errors, and writing them back in transformers' layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfig, parseConfig, readConfig, writeConfig } from '../../src/io/config.js';
import { FormatError, TesseraError } from '../../src/errors.js';
import { scratch } from './util.js';

// A config.json as transformers 5.17 wrote it (GPT2Config.save_pretrained).
const HF_GPT2 = `{
  "activation_function": "gelu_new",
  "add_cross_attention": false,
  "attn_pdrop": 0.0,
  "bos_token_id": 50256,
  "embd_pdrop": 0.0,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_embd": 32,
  "n_head": 4,
  "n_inner": null,
  "n_layer": 2,
  "n_positions": 64,
  "pad_token_id": null,
  "reorder_and_upcast_attn": false,
  "resid_pdrop": 0.0,
  "scale_attn_by_inverse_layer_idx": false,
  "scale_attn_weights": true,
  "summary_activation": null,
  "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true,
  "summary_type": "cls_index",
  "summary_use_proj": true,
  "tie_word_embeddings": true,
  "transformers_version": "5.17.0",
  "use_cache": true,
  "vocab_size": 101
}
`;

test('reads a transformers config.json and writes it back byte for byte (up to 0.0 -> 0)', () => {
  const { dir, cleanup } = scratch();
  try {
    const path = join(dir, 'config.json');
    writeFileSync(path, HF_GPT2);
    const config = readConfig(path);
    assert.equal(config['n_embd'], 32);
    assert.equal(config['layer_norm_epsilon'], 1e-5);
    assert.equal(config['n_inner'], null);
    assert.equal(config['model_type'], 'gpt2');
    const out = join(dir, 'out.json');
    writeConfig(out, config);
    // JavaScript numbers do not remember that 0.0 was a float; Python reads 0 and 0.0 as equal.
    assert.equal(readFileSync(out, 'utf8'), HF_GPT2.replaceAll(': 0.0,', ': 0,'));
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'out.json']);
  } finally {
    cleanup();
  }
});

test('writes like Python json.dumps(indent=2, sort_keys=True): nesting, empties, ASCII escapes, floats', () => {
  const text = formatConfig({
    z: [1, [], {}, [2.5e-7, -3e-5, 1e-100, 0.0001, 123.456, -0.5]],
    a: { id2label: { '10': 'LABEL_10', '2': 'caf\u00e9 \u{1f600}' }, nested: { b: true, a: null } },
    big: 1e21, neg: -7, nan: NaN, inf: Infinity, ninf: -Infinity, skipped: undefined, arr: [undefined], id: 2n ** 64n,
  });
  assert.equal(text, `{
  "a": {
    "id2label": {
      "10": "LABEL_10",
      "2": "caf\\u00e9 \\ud83d\\ude00"
    },
    "nested": {
      "a": null,
      "b": true
    }
  },
  "arr": [
    null
  ],
  "big": 1000000000000000000000,
  "id": 18446744073709551616,
  "inf": Infinity,
  "nan": NaN,
  "neg": -7,
  "ninf": -Infinity,
  "z": [
    1,
    [],
    {},
    [
      2.5e-07,
      -3e-05,
      1e-100,
      0.0001,
      123.456,
      -0.5
    ]
  ]
}
`);
  // What it writes, it reads back (NaN/Infinity included, as Python's json does).
  const back = parseConfig(text);
  assert.deepEqual(back['z'], [1, [], {}, [2.5e-7, -3e-5, 1e-100, 0.0001, 123.456, -0.5]]);
  assert.ok(Number.isNaN(back['nan']));
  assert.deepEqual((back['a'] as Record<string, Record<string, string>>)['id2label']!['2'], 'caf\u00e9 \u{1f600}');
  assert.equal(formatConfig({ b: 1, a: 2 }, { sortKeys: false }), '{\n  "b": 1,\n  "a": 2\n}\n');
  assert.equal(formatConfig({}), '{}\n');
  class Cfg { hidden_size = 8; toJSON() { return { hidden_size: this.hidden_size, model_type: 'bert' }; } }
  assert.equal(formatConfig({ c: new Cfg() }), '{\n  "c": {\n    "hidden_size": 8,\n    "model_type": "bert"\n  }\n}\n');
});

test('values JSON cannot hold are refused with their key path', () => {
  const cyclic: Record<string, unknown> = { a: { } };
  (cyclic['a'] as Record<string, unknown>)['self'] = cyclic;
  const cases: Array<[unknown, RegExp]> = [
    [{ f: () => 1 }, /cannot write function at config\.f to a config file/],
    [{ a: [1, Symbol('s')] }, /cannot write symbol at config\.a\[1\]/],
    [{ m: new Map() }, /cannot write config\.m to a config file: a Map/],
    [{ w: new Float32Array(2) }, /config\.w .*a Float32Array/],
    [cyclic, /cannot write config\.a\.self to a config file: it refers back to itself/],
    [[1, 2], /a config must be an object, got an array/],
  ];
  for (const [value, re] of cases) assert.throws(() => formatConfig(value as object), (e: Error) => e instanceof TesseraError && re.test(e.message), re.source);
  // The same object twice (not a cycle) is fine.
  const shared = { x: 1 };
  assert.doesNotThrow(() => formatConfig({ a: shared, b: shared }));
});

test('reading: missing file, folder, bad UTF-8, bad JSON with position, non-object top level', () => {
  const { dir, cleanup } = scratch();
  try {
    const p = join(dir, 'config.json');
    const fails = (re: RegExp) => assert.throws(() => readConfig(p), (e: Error) => e instanceof FormatError && re.test(e.message) && !e.message.includes('\n'), re.source);
    fails(new RegExp(`^config file not found: ${p.replaceAll('/', '\\/')}$`));
    mkdirSync(p);
    fails(/is a folder, not a config file$/);
    const q = join(dir, 'c.json');
    writeFileSync(q, new Uint8Array([0x7b, 0xff, 0x7d]));
    assert.throws(() => readConfig(q), /c\.json: not valid UTF-8 text/);
    writeFileSync(q, '{\n  "hidden_size": 32,\n  "num_layers": 2\n  "vocab_size": 101\n}\n');
    assert.throws(() => readConfig(q), (e: Error) => e instanceof FormatError && e.message === `${q}: invalid JSON at line 4, column 3: unexpected '"', expected ',' or '}' in an object`);
    for (const [text, what] of [['[1, 2]', 'an array'], ['null', 'null'], ['"bert"', 'a string'], ['3', 'a number']]) {
      writeFileSync(q, text);
      assert.throws(() => readConfig(q), (e: Error) => e instanceof FormatError && e.message === `${q}: top level is ${what}, expected a JSON object`);
    }
    writeFileSync(q, '');
    assert.throws(() => readConfig(q), /line 1, column 1: unexpected end of input/);
  } finally {
    cleanup();
  }
});

test('reading accepts what Python json accepts: BOM, duplicate keys (last wins), NaN/Infinity', () => {
  const c = parseConfig(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('{"a": 1, "a": 2, "eps": NaN, "max": Infinity}')]), 'c.json');
  assert.equal(c['a'], 2);
  assert.ok(Number.isNaN(c['eps']));
  assert.equal(c['max'], Infinity);
});

test('writeConfig replaces an existing file atomically and refuses a missing folder', () => {
  const { dir, cleanup } = scratch();
  try {
    const p = join(dir, 'config.json');
    writeConfig(p, { a: 1 });
    writeConfig(p, { a: 2 });
    assert.deepEqual(readConfig(p), { a: 2 });
    assert.throws(() => writeConfig(p, { f: () => 0 }), TesseraError);
    assert.deepEqual(readConfig(p), { a: 2 });
    assert.throws(() => writeConfig(join(dir, 'nope', 'config.json'), {}), /cannot write .*nope\/config\.json: folder .* does not exist/);
    assert.deepEqual(readdirSync(dir), ['config.json']);
  } finally {
    cleanup();
  }
});
