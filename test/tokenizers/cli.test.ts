// `tessera tokenize` on every fixture case (single texts, pairs, truncated + padded pairs): each output
// line equals Hugging Face's encoding; and the one-line errors for missing or malformed files and bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { CharTokenizer, Tokenizer } from '../../src/tokenizers/index.js';
import { expected, FIXTURES, NAMES, tempDir, type ExpectedFields } from './helpers.js';

const KEYS = ['ids', 'tokens', 'offsets', 'type_ids', 'attention_mask', 'special_tokens_mask'] as const;

/**
 * Runs the CLI, capturing its stderr and its "tokenize:" summary on stdout. Everything else on stdout
 * (the test runner's own report) passes through untouched.
 */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('tokenize: ')) {
      stdout += chunk;
      return true;
    }
    return out(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

function writeLines(path: string, objects: unknown[]): void {
  writeFileSync(path, objects.map((o) => JSON.stringify(o)).join('\n') + '\n');
}

function readLines(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function assertLine(got: Record<string, unknown>, want: ExpectedFields & { decoded?: string }, label: string): void {
  for (const k of KEYS) assert.deepEqual(got[k], want[k], `${label}: ${k}`);
  if (want.decoded !== undefined) assert.equal(got.decoded, want.decoded, `${label}: decoded`);
}

for (const name of NAMES) {
  test(`tessera tokenize matches every ${name} fixture case`, async () => {
    const dir = tempDir();
    const exp = expected(name);
    const tokenizer = join(FIXTURES, name);

    writeLines(join(dir, 'single.jsonl'), exp.single.map((c) => ({ text: c.text })));
    const r1 = await run(['tokenize', '--tokenizer', tokenizer, '--input', join(dir, 'single.jsonl'), '--out', join(dir, 'single.out.jsonl'), '--decoded']);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, new RegExp(`wrote ${exp.single.length} encodings`));
    const single = readLines(join(dir, 'single.out.jsonl'));
    assert.equal(single.length, exp.single.length);
    single.forEach((line, i) => assertLine(line, exp.single[i]!, `${name} single ${i}`));

    if (exp.pair.length > 0) {
      writeLines(join(dir, 'pair.jsonl'), exp.pair.map((c) => ({ a: c.a, b: c.b })));
      const r2 = await run(['tokenize', '--tokenizer', tokenizer, '--input', join(dir, 'pair.jsonl'), '--out', join(dir, 'pair.out.jsonl'), '--pair']);
      assert.equal(r2.code, 0, r2.stderr);
      const pair = readLines(join(dir, 'pair.out.jsonl'));
      assert.equal(pair.length, exp.pair.length);
      pair.forEach((line, i) => {
        assertLine(line, exp.pair[i]!, `${name} pair ${i}`);
        assert.deepEqual(Object.keys(line), [...KEYS], 'only the HF fields without --decoded');
      });
    }

    for (const c of exp.truncated_padded_pair) {
      writeLines(join(dir, 'tp.jsonl'), [{ a: c.a, b: c.b }]);
      const r3 = await run([
        'tokenize', '--tokenizer', tokenizer, '--input', join(dir, 'tp.jsonl'), '--out', join(dir, 'tp.out.jsonl'),
        '--pair', '--max-length', String(c.max_length), '--truncation', c.strategy, '--pad-to', String(c.pad_to),
      ]);
      assert.equal(r3.code, 0, r3.stderr);
      assertLine(readLines(join(dir, 'tp.out.jsonl'))[0]!, c, `${name} truncated+padded`);
    }
  });
}

test('tessera tokenize: one-line errors for missing and malformed files', async () => {
  const dir = tempDir();
  const input = join(dir, 'in.jsonl');
  writeLines(input, [{ text: 'hello' }]);
  const wp = join(FIXTURES, 'wordpiece-uncased');
  const base = (tokenizer: string, inp: string) => ['tokenize', '--tokenizer', tokenizer, '--input', inp, '--out', join(dir, 'out.jsonl')];

  let r = await run(base(join(dir, 'nope'), input));
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `tessera: tokenizer directory not found: ${join(dir, 'nope')}\n`);

  r = await run(base(wp, join(dir, 'missing.jsonl')));
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `tessera: input file not found: ${join(dir, 'missing.jsonl')}\n`);

  const empty = join(dir, 'empty-dir');
  mkdirSync(empty);
  r = await run(base(empty, input));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^tessera: no tokenizer in .*empty-dir: expected tokenizer\.json, vocab\.txt, or vocab\.json with merges\.txt\n$/);

  const bad = join(dir, 'bad-tokenizer');
  mkdirSync(bad);
  writeFileSync(join(bad, 'tokenizer.json'), '{"model": ');
  r = await run(base(bad, input));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^tessera: .*bad-tokenizer\/tokenizer\.json: not valid JSON \(.*\)\n$/);

  writeFileSync(input, '{"text": "fine"}\n{not json}\n');
  r = await run(base(wp, input));
  assert.equal(r.stderr, `tessera: ${input} line 2: not valid JSON\n`);

  writeFileSync(input, '{"txt": "typo"}\n');
  r = await run(base(wp, input));
  assert.equal(r.stderr, `tessera: ${input} line 1: expected {"text": "..."} (or use --pair for {"a", "b"} lines)\n`);

  writeFileSync(input, '{"text": "not a pair"}\n');
  r = await run([...base(wp, input), '--pair']);
  assert.equal(r.stderr, `tessera: ${input} line 1: expected {"a": "...", "b": "..."} (--pair)\n`);
});

test('tessera tokenize: one-line errors for bad options', async () => {
  const dir = tempDir();
  const input = join(dir, 'in.jsonl');
  writeLines(input, [{ text: 'hello' }]);
  const args = ['tokenize', '--tokenizer', join(FIXTURES, 'wordpiece-uncased'), '--input', input, '--out', join(dir, 'out.jsonl')];

  let r = await run([...args, '--max-length', '8', '--truncation', 'shortest']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "tessera: --truncation must be one of longest_first, only_first, only_second (got 'shortest')\n");

  r = await run([...args, '--max-length', 'abc']);
  assert.equal(r.stderr, "tessera: --max-length must be a positive integer (got 'abc')\n");

  r = await run([...args, '--truncation', 'only_first']);
  assert.equal(r.stderr, 'tessera: --truncation needs --max-length\n');

  r = await run([...args, '--pad-to', '0']);
  assert.equal(r.stderr, "tessera: --pad-to must be a positive integer (got '0')\n");

  r = await run([...args, '--max-length', '4', '--truncation', 'only_second']);
  assert.equal(r.stderr, 'tessera: --truncation only_second needs --pair\n');

  const charDir = join(dir, 'char');
  mkdirSync(charDir);
  CharTokenizer.fromCorpus('abc').save(charDir);
  r = await run(['tokenize', '--tokenizer', charDir, '--input', input, '--out', join(dir, 'out.jsonl'), '--pad-to', '8']);
  assert.equal(r.stderr, 'tessera: --pad-to: the tokenizer has no pad token (looked for [PAD], <pad>, <|pad|>, <|endoftext|>)\n');

  r = await run(['tokenize', '--input', input, '--out', join(dir, 'out.jsonl')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /required option '--tokenizer <dir>' not specified/);
});

test('tessera tokenize pads GPT-2 with <|endoftext|> and truncates only_first', async () => {
  const dir = tempDir();
  const input = join(dir, 'in.jsonl');
  const a = 'Hello world, this is a longer first text';
  const b = ' second';
  writeLines(input, [{ a, b }]);
  const r = await run([
    'tokenize', '--tokenizer', join(FIXTURES, 'bpe-gpt2'), '--input', input, '--out', join(dir, 'out.jsonl'),
    '--pair', '--max-length', '6', '--truncation', 'only_first', '--pad-to', '9',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const [line] = readLines(join(dir, 'out.jsonl'));
  const tok = Tokenizer.fromDir(join(FIXTURES, 'bpe-gpt2'));
  const ea = tok.encode(a);
  const eb = tok.encode(b);
  const keep = 6 - eb.length;
  const eot = tok.tokenToId('<|endoftext|>')!;
  assert.deepEqual(line!.ids, [...ea.ids.slice(0, keep), ...eb.ids, eot, eot, eot]);
  assert.deepEqual(line!.attention_mask, [1, 1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(line!.type_ids, [...Array(keep).fill(0), ...Array(eb.length).fill(1), 0, 0, 0]);
  assert.deepEqual(line!.special_tokens_mask, [0, 0, 0, 0, 0, 0, 1, 1, 1]);
});
