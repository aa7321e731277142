// `tessera attention`: a model's attention maps for one text (or one image, for ViT) drawn as heatmaps, one
// panel per layer and head, written as SVG and PNG. Works with every architecture `tessera run` loads.
import type { Command } from 'commander';
import { noGrad } from '../../autograd/engine.js';
import { imageProcessing, pixelValues, readImage } from '../../data/image.js';
import { TesseraError } from '../../errors.js';
import { loadRunnable } from '../../models/auto.js';
import { readModelConfig } from '../../models/pretrained.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { Tokenizer } from '../../tokenizers/tokenizer.js';
import type { AttentionMaps } from '../../plot/attention.js';
import { applySeed, checkFile, deviceAndSeedOptions, parseIntOption, resolveDevice, withConfigFile } from '../options.js';
import { modelFolder } from './gpt.js';
import { cliOutput } from '../output.js';

interface AttentionOptions {
  model?: string;
  text?: string;
  image?: string;
  out?: string;
  layers?: string;
  architecture?: string;
  device?: string;
  seed?: string;
}

/** Per layer: (heads, T, T) maps of the first (only) input, as nested arrays. */
function toMaps(attn: Tensor[]): number[][][][] {
  return attn.map((a) => {
    const [, H, Tq, Tk] = a.shape as [number, number, number, number];
    const flat = a.toArray();
    return Array.from({ length: H }, (_, h) => Array.from({ length: Tq }, (_, q) => Array.from(flat.subarray((h * Tq + q) * Tk, (h * Tq + q + 1) * Tk))));
  });
}

/** The attention maps of a model folder for a text or an image. */
export function attentionMaps(dir: string, input: { text?: string; image?: string }, opts: { device: string; architecture?: string }): AttentionMaps & { architecture: string } {
  const model = loadRunnable(dir, { device: opts.device, architecture: opts.architecture });
  model.module.eval();
  const takes = (name: string) => model.inputNames.required.includes(name) || model.inputNames.optional.includes(name);
  const inputs: Record<string, Tensor> = {};
  let tokens: string[];
  if (takes('pixel_values')) {
    if (input.image === undefined) throw new TesseraError(`--image is required for ${model.architecture} (a vision model)`);
    const config = readModelConfig(dir);
    const size = typeof config.image_size === 'number' ? config.image_size : 224;
    const patch = typeof config.patch_size === 'number' ? config.patch_size : 16;
    inputs.pixel_values = pixelValues([readImage(input.image)], imageProcessing(dir, size), opts.device);
    const n = (size / patch) ** 2;
    tokens = ['[CLS]', ...Array.from({ length: n }, (_, i) => `p${i}`)];
  } else {
    if (input.text === undefined) throw new TesseraError(`--text is required for ${model.architecture}`);
    const tokenizer = Tokenizer.fromDir(dir);
    const enc = tokenizer.encode(input.text);
    if (enc.ids.length === 0) throw new TesseraError('--text gives no tokens');
    const row = (v: number[]) => tensor([v], { dtype: 'int64', device: opts.device });
    inputs.input_ids = row(enc.ids);
    if (takes('attention_mask')) inputs.attention_mask = row(enc.ids.map(() => 1));
    if (takes('token_type_ids') && enc.typeIds.length === enc.ids.length) inputs.token_type_ids = row(enc.typeIds);
    if (takes('decoder_input_ids')) {
      const start = readModelConfig(dir).decoder_start_token_id;
      inputs.decoder_input_ids = row([typeof start === 'number' ? start : 0]);
    }
    tokens = enc.ids.map((id, i) => tokenizer.decode([id], { skipSpecialTokens: false }) || enc.tokens[i] || String(id));
  }
  const out = noGrad(() => model.forward(inputs, { outputAttentions: true }));
  const prefix = [...out.keys()].some((k) => k.startsWith('attentions.')) ? 'attentions.' : 'encoder_attentions.';
  const maps: Tensor[] = [];
  for (let i = 0; out.has(`${prefix}${i}`); i++) maps.push(out.get(`${prefix}${i}`)!);
  if (maps.length === 0) throw new TesseraError(`${model.architecture} returned no attention maps`);
  return { weights: toMaps(maps), tokens, architecture: model.architecture };
}

/** Registers `tessera attention`. */
export function register(program: Command): void {
  const cmd = program
    .command('attention')
    .description("draw a model's attention maps for a text (or an image) as heatmaps, one per layer and head (SVG and PNG)")
    .option('--model <dir>', 'model folder (any architecture `tessera run` loads) with its tokenizer (required)')
    .option('--text <text>', 'text to encode (text models)')
    .option('--image <file>', 'PNG or JPEG image (vision models)')
    .option('--out <base>', 'writes <base>.svg and <base>.png (default attention)')
    .option('--layers <list>', 'comma-separated layer numbers (default all)')
    .option('--architecture <name>', 'model class, when config.json names none');
  deviceAndSeedOptions(cmd);
  withConfigFile(cmd);
  cmd.action(async (o: AttentionOptions) => {
    const device = resolveDevice(o.device);
    applySeed(o.seed);
    const dir = modelFolder(o.model ?? '');
    if (o.image !== undefined) checkFile(o.image, '--image');
    const maps = attentionMaps(dir, { text: o.text, image: o.image }, { device, architecture: o.architecture });
    const layers = o.layers === undefined ? undefined : o.layers.split(',').map((s) => parseIntOption(s, '--layers', { min: 0, max: maps.weights.length - 1 }));
    const { writeAttentionPlot } = await import('../../plot/attention.js');
    const files = await writeAttentionPlot(maps, o.out ?? 'attention', { layers, title: `${maps.architecture}: attention` });
    cliOutput.stdout(`wrote ${files.svg} and ${files.png} (${layers?.length ?? maps.weights.length} layers x ${maps.weights[0]!.length} heads, ${maps.tokens.length} tokens)\n`);
  });
}
