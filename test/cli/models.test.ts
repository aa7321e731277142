// `tessera bert fill-mask`, `vit classify`, `transformer translate` and `attention` on tiny model folders made
// here, and their one-line errors for missing or malformed folders and files and bad options.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePng } from '../plot/png.js';
import { badModelFolders, cli, expectError, tinyBert, tinyTranslator, tinyVit, tmp } from './cli-helpers.js';

describe('model commands', () => {
  let root = '';
  let bert = '', vit = '', image = '', mt = '';
  let bad: { empty: string; malformed: string };
  before(() => {
    root = tmp();
    bert = tinyBert(root);
    ({ dir: vit, image } = tinyVit(root));
    mt = tinyTranslator(root);
    bad = badModelFolders(root);
    writeFileSync(join(root, 'notes.txt'), 'not an image');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('bert fill-mask', () => {
    it('lists the top tokens of each mask with probabilities, and the filled text', async () => {
      const r = await cli(['bert', 'fill-mask', '--model', bert, '--text', 'the [MASK] sat on a [MASK].', '--top-k', '3', '--device', 'cpu-js']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], 'mask 1:');
      assert.equal(lines[4], 'mask 2:');
      const scores = [1, 2, 3].map((i) => Number(lines[i]!.trim().split(/\s+/)[0]));
      assert.ok(scores.every((s) => s > 0 && s < 1) && scores[0]! >= scores[1]! && scores[1]! >= scores[2]!, lines.join('\n'));
      assert.match(lines.at(-1)!, /^filled: the .+ sat on a .+$/);
    });

    it('errors', async () => {
      await expectError(['bert', 'fill-mask', '--text', 'a [MASK]'], /--model is required/);
      await expectError(['bert', 'fill-mask', '--model', join(root, 'absent'), '--text', 'a'], /--model: folder not found/);
      await expectError(['bert', 'fill-mask', '--model', bad.empty, '--text', 'a'], /has no config\.json/);
      await expectError(['bert', 'fill-mask', '--model', bad.malformed, '--text', 'a [MASK]', '--device', 'cpu-js'], /no tokenizer in .*malformed|config\.json/);
      await expectError(['bert', 'fill-mask', '--model', bert, '--device', 'cpu-js'], /--text is required/);
      await expectError(['bert', 'fill-mask', '--model', bert, '--text', 'the cat sat', '--device', 'cpu-js'], /--text has no \[MASK\] to fill/);
      await expectError(['bert', 'fill-mask', '--model', bert, '--text', 'a [MASK]', '--top-k', '0'], /--top-k must be at least 1 \(got 0\)/);
      await expectError(['bert', 'fill-mask', '--model', bert, '--text', 'a [MASK]', '--mask-token', '<m>', '--device', 'cpu-js'], /has no mask token \(looked for <m>\)/);
      await expectError(['bert', 'fill-mask', '--model', bert, '--text', Array(40).fill('cat').join(' ') + ' [MASK]', '--device', 'cpu-js'], /--text is 43 tokens long, more than the model's 32 positions/);
    });
  });

  describe('vit classify', () => {
    it('ranks the labels of each image', async () => {
      const r = await cli(['vit', 'classify', '--model', vit, '--image', image, image, '--top-k', '2', '--device', 'cpu-js']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 6);
      assert.equal(lines[0], `${image}:`);
      assert.match(lines[1]!, /^ {2}0\.\d{4} {2}(cat|dog|bird)$/);
      assert.deepEqual(lines.slice(3), lines.slice(0, 3));
    });

    it('errors', async () => {
      await expectError(['vit', 'classify', '--model', vit, '--device', 'cpu-js'], /--image is required/);
      await expectError(['vit', 'classify', '--model', vit, '--image', join(root, 'missing.png')], /--image: file not found: .*missing\.png/);
      await expectError(['vit', 'classify', '--model', vit, '--image', join(root, 'notes.txt'), '--device', 'cpu-js'], /notes\.txt: not a PNG or JPEG image/);
      writeFileSync(join(root, 'torn.png'), readFileSync(image).subarray(0, 40));
      await expectError(['vit', 'classify', '--model', vit, '--image', join(root, 'torn.png'), '--device', 'cpu-js'], /torn\.png: cannot decode the image/);
      await expectError(['vit', 'classify', '--model', bad.empty, '--image', image], /has no config\.json/);
      await expectError(['vit', 'classify', '--model', bad.malformed, '--image', image, '--device', 'cpu-js'], /config\.json/);
      await expectError(['vit', 'classify', '--model', vit, '--image', image, '--top-k', 'x'], /--top-k must be an integer \(got 'x'\)/);
    });
  });

  describe('transformer translate', () => {
    it('decodes each sentence (greedy and beam search)', async () => {
      for (const beams of ['1', '3']) {
        const r = await cli(['transformer', 'translate', '--model', mt, '--text', 'a cat.', 'hello world', '--num-beams', beams, '--max-new-tokens', '6', '--device', 'cpu-js']);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.split('\n');
        assert.equal(lines.length, 3); // two translations and the final newline
        for (const l of lines.slice(0, 2)) assert.ok(l.length <= 6 && /^[a-z .]*$/.test(l), JSON.stringify(l));
      }
    });

    it('errors', async () => {
      await expectError(['transformer', 'translate', '--model', mt, '--device', 'cpu-js'], /--text is required/);
      await expectError(['transformer', 'translate', '--text', 'a'], /--model is required/);
      await expectError(['transformer', 'translate', '--model', mt, '--text', 'a', '--num-beams', '0'], /--num-beams must be at least 1 \(got 0\)/);
      await expectError(['transformer', 'translate', '--model', mt, '--text', 'a', '--length-penalty', 'long'], /--length-penalty must be a number \(got 'long'\)/);
      await expectError(['transformer', 'translate', '--model', mt, '--text', 'abc', '', '--device', 'cpu-js'], /--text 2 gives no tokens/);
      await expectError(['transformer', 'translate', '--model', mt, '--text', 'abc', '--max-new-tokens', '100', '--device', 'cpu-js'], /max_position_embeddings|longer than/);
      await expectError(['transformer', 'translate', '--model', bad.malformed, '--text', 'a', '--device', 'cpu-js'], /config\.json/);
    });
  });

  describe('attention', () => {
    it('draws every layer and head of a text model, or the chosen layers', async () => {
      const out = join(root, 'attn');
      const r = await cli(['attention', '--model', bert, '--text', 'the cat sat', '--out', out, '--device', 'cpu-js']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^wrote .*attn\.svg and .*attn\.png \(2 layers x 2 heads, 5 tokens\)$/m);
      const svg = readFileSync(`${out}.svg`, 'utf8');
      assert.match(svg, /layer 1/);
      assert.match(svg, /head 1/);
      assert.ok(statSync(`${out}.png`).size > 1000);
      decodePng(readFileSync(`${out}.png`));
      const one = await cli(['attention', '--model', bert, '--text', 'the cat', '--out', join(root, 'one'), '--layers', '1', '--device', 'cpu-js']);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /\(1 layers x 2 heads, 4 tokens\)/);
    });

    it('draws a vision model from an image and an encoder-decoder from its encoder', async () => {
      const v = await cli(['attention', '--model', vit, '--image', image, '--out', join(root, 'vit-attn'), '--device', 'cpu-js']);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /\(2 layers x 2 heads, 5 tokens\)/); // [CLS] + 4 patches
      const m = await cli(['attention', '--model', mt, '--text', 'a cat', '--out', join(root, 'mt-attn'), '--device', 'cpu-js']);
      assert.equal(m.code, 0, m.stderr);
      assert.match(m.stdout, /\(1 layers x 2 heads, 5 tokens\)/);
    });

    it('errors', async () => {
      await expectError(['attention', '--text', 'a'], /--model is required/);
      await expectError(['attention', '--model', bert, '--device', 'cpu-js'], /--text is required for BertForMaskedLM/);
      await expectError(['attention', '--model', vit, '--text', 'a', '--device', 'cpu-js'], /--image is required for ViTForImageClassification \(a vision model\)/);
      await expectError(['attention', '--model', vit, '--image', join(root, 'nope.png')], /--image: file not found/);
      await expectError(['attention', '--model', bert, '--text', 'a cat', '--layers', '7', '--out', join(root, 'x'), '--device', 'cpu-js'], /--layers must be at most 1 \(got 7\)/);
      await expectError(['attention', '--model', bad.empty, '--text', 'a'], /has no config\.json/);
      await expectError(['attention', '--model', bad.malformed, '--text', 'a', '--device', 'cpu-js'], /config\.json/);
      await expectError(['attention', '--model', bert, '--text', 'a', '--architecture', 'NopeModel', '--device', 'cpu-js'], /unknown architecture 'NopeModel'/);
    });
  });
});
