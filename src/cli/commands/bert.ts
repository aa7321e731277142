// `tessera bert fill-mask`: the most likely tokens for each mask token of a text, with a BERT masked-LM folder
// (config.json, model.safetensors and its tokenizer: tokenizer.json or vocab.txt).
import type { Command } from 'commander';
import { noGrad } from '../../autograd/engine.js';
import { TesseraError } from '../../errors.js';
import { BertForMaskedLM } from '../../models/bert/pretraining.js';
import { softmax } from '../../tensor/ops/fused.js';
import { tensor } from '../../tensor/tensor.js';
import { Tokenizer } from '../../tokenizers/tokenizer.js';
import { applySeed, deviceAndSeedOptions, parseIntOption, required, resolveDevice, withConfigFile } from '../options.js';
import { modelFolder } from './gpt.js';
import { cliOutput } from '../output.js';

interface FillMaskOptions {
  model?: string;
  text?: string;
  topK?: string;
  maskToken?: string;
  device?: string;
  seed?: string;
}

/** One prediction for one mask. */
export interface MaskPrediction {
  token: string;
  id: number;
  score: number;
}

/** The top-k tokens (with probabilities) for every mask token of `text`, in order. */
export function fillMask(dir: string, text: string, opts: { topK: number; maskToken?: string; device: string }): { predictions: MaskPrediction[][]; filled: string } {
  const tokenizer = Tokenizer.fromDir(dir);
  const maskToken = opts.maskToken ?? ['[MASK]', '<mask>'].find((t) => tokenizer.tokenToId(t) !== undefined);
  const maskId = maskToken === undefined ? undefined : tokenizer.tokenToId(maskToken);
  if (maskToken === undefined || maskId === undefined) throw new TesseraError(`the tokenizer of ${dir} has no mask token (looked for ${opts.maskToken ?? '[MASK], <mask>'})`);
  const enc = tokenizer.encode(text);
  const positions = enc.ids.flatMap((id, i) => (id === maskId ? [i] : []));
  if (positions.length === 0) throw new TesseraError(`--text has no ${maskToken} to fill`);
  const model = BertForMaskedLM.fromPretrained(dir, { device: opts.device });
  model.eval();
  const T = enc.ids.length;
  if (T > model.config.max_position_embeddings) throw new TesseraError(`--text is ${T} tokens long, more than the model's ${model.config.max_position_embeddings} positions`);
  const probs = noGrad(() => {
    const inputIds = tensor([enc.ids], { dtype: 'int64', device: opts.device });
    const tokenTypeIds = tensor([enc.typeIds.length === T ? enc.typeIds : new Array<number>(T).fill(0)], { dtype: 'int64', device: opts.device });
    const { logits } = model.forward({ inputIds, tokenTypeIds }); // (1, T, V)
    return softmax(logits.select(0, 0), -1).toArray(); // (T, V) on the host
  });
  const V = probs.length / T;
  const predictions = positions.map((pos) => {
    const row = Array.from(probs.subarray(pos * V, (pos + 1) * V));
    const order = row.map((p, id) => ({ p, id })).sort((a, b) => b.p - a.p).slice(0, opts.topK);
    return order.map(({ p, id }) => ({ id, score: p, token: tokenizer.decode([id]) || (tokenizer.idToToken(id) ?? String(id)) }));
  });
  const ids = [...enc.ids];
  positions.forEach((pos, i) => (ids[pos] = predictions[i]![0]!.id));
  return { predictions, filled: tokenizer.decode(ids) };
}

/** Registers `tessera bert fill-mask`. */
export function register(program: Command): void {
  const bert = program.command('bert').description('BERT models');
  const fill = bert
    .command('fill-mask')
    .description('the most likely tokens for each [MASK] of a text, with a BERT masked-LM folder')
    .option('--model <dir>', 'BERT folder: config.json, model.safetensors, tokenizer.json or vocab.txt (required)')
    .option('--text <text>', 'text with one or more mask tokens (required)')
    .option('--top-k <n>', 'predictions per mask (default 5)')
    .option('--mask-token <token>', 'the mask token (default [MASK] or <mask>, whichever the tokenizer has)');
  deviceAndSeedOptions(fill);
  withConfigFile(fill);
  fill.action((o: FillMaskOptions) => {
    const device = resolveDevice(o.device);
    applySeed(o.seed);
    const dir = modelFolder(required(o.model, '--model'));
    const topK = o.topK === undefined ? 5 : parseIntOption(o.topK, '--top-k', { min: 1 });
    const { predictions, filled } = fillMask(dir, required(o.text, '--text'), { topK, maskToken: o.maskToken, device });
    const lines = predictions.flatMap((preds, i) => [
      `mask ${i + 1}:`,
      ...preds.map((p) => `  ${p.score.toFixed(4)}  ${JSON.stringify(p.token)}`),
    ]);
    cliOutput.stdout([...lines, `filled: ${filled}`].join('\n') + '\n');
  });
}
