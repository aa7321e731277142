// `tessera transformer translate`: translates sentences with a Transformer / MarianMT folder (config.json,
// model.safetensors and a tokenizer this library reads: tokenizer.json, vocab.txt or vocab.json + merges.txt).
import type { Command } from 'commander';
import { TesseraError } from '../../errors.js';
import { TransformerMTModel } from '../../models/transformer/mt-model.js';
import { tensor } from '../../tensor/tensor.js';
import { Tokenizer } from '../../tokenizers/tokenizer.js';
import { applySeed, deviceAndSeedOptions, parseIntOption, parseNumberOption, resolveDevice, withConfigFile } from '../options.js';
import { modelFolder } from './gpt.js';
import { cliOutput } from '../output.js';

interface TranslateOptions {
  model?: string;
  text?: string[];
  numBeams?: string;
  maxNewTokens?: string;
  lengthPenalty?: string;
  device?: string;
  seed?: string;
}

/** Translates each text; returns the decoded outputs. */
export function translate(dir: string, texts: readonly string[], opts: { numBeams: number; maxNewTokens: number; lengthPenalty: number; device: string }): string[] {
  const model = TransformerMTModel.fromPretrained(dir, { device: opts.device });
  const tokenizer = Tokenizer.fromDir(dir);
  const c = model.config;
  const eos = typeof c.eos_token_id === 'number' ? c.eos_token_id : null;
  const pad = typeof c.pad_token_id === 'number' ? c.pad_token_id : 0;
  // the source ends with eos, as Marian's tokenizer writes it
  const rows = texts.map((t, i) => {
    const ids = tokenizer.encode(t).ids;
    if (ids.length === 0) throw new TesseraError(`--text ${i + 1} gives no tokens with the tokenizer of ${dir}`);
    return eos !== null && ids.at(-1) !== eos ? [...ids, eos] : ids;
  });
  const S = Math.max(...rows.map((r) => r.length));
  const inputIds = tensor(rows.map((r) => [...r, ...new Array<number>(S - r.length).fill(pad)]), { dtype: 'int64', device: opts.device });
  const attentionMask = tensor(rows.map((r) => [...r.map(() => 1), ...new Array<number>(S - r.length).fill(0)]), { dtype: 'int64', device: opts.device });
  const out = model.generate(inputIds, { attentionMask, numBeams: opts.numBeams, maxNewTokens: opts.maxNewTokens, lengthPenalty: opts.lengthPenalty });
  const L = out.dim(1);
  const flat = out.toArray();
  return texts.map((_, b) => {
    const ids = Array.from(flat.subarray(b * L + 1, (b + 1) * L), Number); // drop the start token
    const end = eos === null ? -1 : ids.indexOf(eos);
    return tokenizer.decode(end >= 0 ? ids.slice(0, end) : ids.filter((id) => id !== pad), { skipSpecialTokens: true });
  });
}

/** Registers `tessera transformer translate`. */
export function register(program: Command): void {
  const transformer = program.command('transformer').description('the original encoder-decoder Transformer (MarianMT checkpoints)');
  const cmd = transformer
    .command('translate')
    .description('translate sentences with a Transformer / MarianMT folder (greedy, or beam search)')
    .option('--model <dir>', 'folder: config.json, model.safetensors, tokenizer.json (or vocab.txt, or vocab.json + merges.txt) (required)')
    .option('--text <texts...>', 'sentences to translate (required)')
    .option('--num-beams <n>', 'beam size, 1 = greedy (default 4)')
    .option('--max-new-tokens <n>', 'longest translation in tokens (default 64)')
    .option('--length-penalty <x>', 'beam scores divide by length^x (default 1)');
  deviceAndSeedOptions(cmd);
  withConfigFile(cmd);
  cmd.action((o: TranslateOptions) => {
    const device = resolveDevice(o.device);
    applySeed(o.seed);
    const dir = modelFolder(o.model ?? '');
    const texts = typeof o.text === 'string' ? [o.text] : o.text;
    if (!texts || texts.length === 0) throw new TesseraError('--text is required');
    const outs = translate(dir, texts, {
      numBeams: o.numBeams === undefined ? 4 : parseIntOption(o.numBeams, '--num-beams', { min: 1 }),
      maxNewTokens: o.maxNewTokens === undefined ? 64 : parseIntOption(o.maxNewTokens, '--max-new-tokens', { min: 1 }),
      lengthPenalty: o.lengthPenalty === undefined ? 1 : parseNumberOption(o.lengthPenalty, '--length-penalty'),
      device,
    });
    cliOutput.stdout(outs.join('\n') + '\n');
  });
}
