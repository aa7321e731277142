// `tessera run` on the gpt2-lm and marian-mt fixture folders: every output (logits, hidden states, attention
// maps, the Seq2Seq names, the loss from a labels file) within 1e-4 of PyTorch; the architecture judged from the
// weights when config.json names none (else config.json's); one-line errors for inputs these models do not take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runCli } from '../../../src/cli/main.js';
import { loadTensors } from '../../../src/io/tensors.js';
import { resolveArchitecture } from '../../../src/models/auto.js';
import { assertClose } from '../../helpers/assert.js';
import { forEachDevice } from '../../helpers/devices.js';
import { fixturePath } from '../../helpers/fixtures.js';

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-run-mt-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the CLI with stderr captured (stdout's "wrote ..." line dropped). */
async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout), err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' && chunk.startsWith('wrote ') ? true : out(chunk, ...rest))) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await runCli(argv), stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** A labels file: marian-mt's meta.json labels; for gpt2-lm the input ids (transformers shifts them inside). */
function labelsFile(name: 'gpt2-lm' | 'marian-mt', dir: string): string {
  const labels = name === 'marian-mt'
    ? (JSON.parse(readFileSync(fixturePath(name, 'meta.json'), 'utf8')) as { labels: number[][] }).labels
    : loadTensors(fixturePath(name, 'inputs.safetensors')).get('input_ids')!.toList();
  const path = join(dir, 'labels.json');
  writeFileSync(path, JSON.stringify({ labels }));
  return path;
}

forEachDevice('tessera run matches transformers (GPT-2, Marian)', (device) => {
  for (const name of ['gpt2-lm', 'marian-mt'] as const) {
    test(`${name}: every output, hidden state, attention map and the loss`, async (t) => {
      const dir = tmp();
      const outFile = join(dir, 'out.safetensors');
      const r = await run(['run', '--model', fixturePath(name), '--inputs', fixturePath(name, 'inputs.safetensors'), '--out', outFile,
        '--hidden-states', '--attentions', '--labels', labelsFile(name, dir), '--device', device]);
      assert.equal(r.code, 0, r.stderr);
      const got = loadTensors(outFile);
      const expected = loadTensors(fixturePath(name, 'expected.safetensors'));
      const names = [...expected.keys()].filter((k) => !k.startsWith('grad.'));
      assert.deepEqual([...got.keys()].sort(), names.sort());
      let worst = 0;
      for (const k of names) {
        assertClose(got.get(k)!, expected.get(k)!, { atol: 1e-4, name: k });
        const a = got.get(k)!.toArray(), e = expected.get(k)!.toArray();
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
      }
      t.diagnostic(`tessera run ${name} [${device}]: ${names.length} outputs, max |error| ${worst.toExponential(2)}`);
    });
  }
});

test('the class comes from config.json architectures, else from model_type and the tensor names', () => {
  for (const [name, arch, base] of [['gpt2-lm', 'GPT2LMHeadModel', 'GPT2Model'], ['marian-mt', 'MarianMTModel', 'MarianModel']] as const) {
    // the fixtures' config.json files name no architecture
    assert.equal(resolveArchitecture(fixturePath(name)), arch);
    const dir = tmp();
    const config = JSON.parse(readFileSync(fixturePath(name, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures: [base] }));
    copyFileSync(fixturePath(name, 'model.safetensors'), join(dir, 'model.safetensors'));
    assert.equal(resolveArchitecture(dir), base);
  }
});

test('inputs these models do not take, or lack, fail in one line', async () => {
  const dir = tmp();
  const out = join(dir, 'o.safetensors');
  const r1 = await run(['run', '--model', fixturePath('gpt2-lm'), '--inputs', fixturePath('marian-mt', 'inputs.safetensors'), '--out', out]);
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /^tessera: --inputs: .* has '(attention_mask|decoder_input_ids)', which GPT2LMHeadModel does not take/);
  const r2 = await run(['run', '--model', fixturePath('marian-mt'), '--inputs', fixturePath('gpt2-lm', 'inputs.safetensors'), '--out', out]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /^tessera: Transformer: decoder_input_ids are needed \(or labels, to shift them right\)\n$/);
});
