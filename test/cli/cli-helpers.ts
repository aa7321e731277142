// Helpers for command tests: run the CLI in-process capturing its output, expect one-line errors, temporary
// folders, and tiny model folders (BERT masked LM, ViT classifier, Marian-style translator) with tokenizers.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { runCli } from '../../src/cli/main.js';
import { cliOutput } from '../../src/cli/output.js';
import { manualSeed } from '../../src/index.js';
import { BertForMaskedLM } from '../../src/models/bert/index.js';
import { TransformerMTModel, transformerConfig } from '../../src/models/transformer/index.js';
import { ViTForImageClassification } from '../../src/models/vit/index.js';
import { CharTokenizer } from '../../src/tokenizers/index.js';
import { tempDir } from '../helpers/tmp.js';

export function tmp(prefix = 'tessera-cli-'): string {
  return tempDir(prefix);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tessera argv` in this process, capturing what it prints (the process streams stay the test runner's). */
export async function cli(argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const saved = { ...cliOutput };
  cliOutput.stdout = (text) => void (stdout += text);
  cliOutput.stderr = (text) => void (stderr += text);
  cliOutput.isTTY = () => false;
  try {
    return { code: await runCli(argv), stdout, stderr };
  } finally {
    Object.assign(cliOutput, saved);
  }
}

/** The command fails with exit code 1 and exactly one stderr line matching `pattern` (no stack trace). */
export async function expectError(argv: string[], pattern: RegExp): Promise<void> {
  const r = await cli(argv);
  assert.notEqual(r.code, 0, `exit code of ${argv.join(' ')}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one stderr line for ${argv.join(' ')}, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^tessera: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** A folder that exists but holds no model, and one whose config.json is not JSON. */
export function badModelFolders(root: string): { empty: string; malformed: string } {
  const empty = join(root, 'empty');
  const malformed = join(root, 'malformed');
  mkdirSync(empty, { recursive: true });
  mkdirSync(malformed, { recursive: true });
  writeFileSync(join(malformed, 'config.json'), '{ "model_type": "bert", ');
  writeFileSync(join(malformed, 'model.safetensors'), 'not safetensors');
  return { empty, malformed };
}

/** A tiny BERT masked LM with a WordPiece vocab.txt. */
export function tinyBert(root: string): string {
  const dir = join(root, 'bert');
  const words = ['the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran', 'a', 'big', 'small', '.', ','];
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words];
  manualSeed(3);
  const model = new BertForMaskedLM({ vocab_size: vocab.length, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }, { device: 'cpu-js' });
  model.savePretrained(dir);
  writeFileSync(join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  return dir;
}

/** A tiny ViT classifier (16x16 images, 3 labels) and a PNG image. */
export function tinyVit(root: string): { dir: string; image: string } {
  const dir = join(root, 'vit');
  manualSeed(4);
  const model = new ViTForImageClassification(
    { image_size: 16, patch_size: 8, num_channels: 3, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, id2label: { '0': 'cat', '1': 'dog', '2': 'bird' }, label2id: { cat: 0, dog: 1, bird: 2 } },
    { device: 'cpu-js' },
  );
  model.savePretrained(dir);
  const png = new PNG({ width: 20, height: 12 });
  for (let i = 0; i < 20 * 12; i++) png.data.set([(i * 7) % 256, (i * 13) % 256, (i * 29) % 256, 255], i * 4);
  const image = join(root, 'image.png');
  writeFileSync(image, PNG.sync.write(png));
  return { dir, image };
}

/** A tiny Marian-style translator with a character tokenizer (<pad> 0, </s> 1, <unk> 2). */
export function tinyTranslator(root: string): string {
  const dir = join(root, 'mt');
  const tokenizer = CharTokenizer.fromCorpus('abcdefghijklmnopqrstuvwxyz .', { specialTokens: ['<pad>', '</s>'], unkToken: '<unk>' });
  const V = tokenizer.getVocabSize();
  manualSeed(5);
  const model = new TransformerMTModel(
    transformerConfig(null, { vocab_size: V, decoder_vocab_size: V, d_model: 16, encoder_layers: 1, decoder_layers: 1, encoder_attention_heads: 2, decoder_attention_heads: 2, encoder_ffn_dim: 32, decoder_ffn_dim: 32, max_position_embeddings: 64, pad_token_id: 0, eos_token_id: 1, decoder_start_token_id: 0, dropout: 0, attention_dropout: 0, activation_dropout: 0 }),
    'cpu-js',
  );
  model.savePretrained(dir);
  tokenizer.save(join(dir, 'tokenizer.json'));
  return dir;
}
