// `tessera vit classify`: the top classes of PNG or JPEG images with a ViT image-classification folder
// (config.json with id2label, model.safetensors, optionally preprocessor_config.json).
import type { Command } from 'commander';
import { noGrad } from '../../autograd/engine.js';
import { imageProcessing, pixelValues, readImage } from '../../data/image.js';
import { TesseraError } from '../../errors.js';
import { readModelConfig } from '../../models/pretrained.js';
import { ViTForImageClassification } from '../../models/vit/classification.js';
import { softmax } from '../../tensor/ops/fused.js';
import { applySeed, checkFile, deviceAndSeedOptions, parseIntOption, resolveDevice, withConfigFile } from '../options.js';
import { modelFolder } from './gpt.js';
import { cliOutput } from '../output.js';

interface ClassifyOptions {
  model?: string;
  image?: string[];
  topK?: string;
  device?: string;
  seed?: string;
}

/** One class with its probability. */
export interface ClassScore {
  label: string;
  id: number;
  score: number;
}

/** The top-k classes of each image. */
export function classifyImages(dir: string, paths: readonly string[], opts: { topK: number; device: string }): ClassScore[][] {
  const config = readModelConfig(dir);
  const id2label = (config.id2label ?? {}) as Record<string, string>;
  const imageSize = typeof config.image_size === 'number' ? config.image_size : 224;
  const images = paths.map((p) => readImage(p));
  const model = ViTForImageClassification.fromPretrained(dir, { device: opts.device });
  model.eval();
  const probs = noGrad(() => softmax(model.forward({ pixelValues: pixelValues(images, imageProcessing(dir, imageSize), opts.device) }).logits, -1).toArray());
  const C = probs.length / paths.length;
  return paths.map((_, b) =>
    Array.from(probs.subarray(b * C, (b + 1) * C))
      .map((score, id) => ({ id, score, label: id2label[String(id)] ?? `LABEL_${id}` }))
      .sort((x, y) => y.score - x.score)
      .slice(0, opts.topK),
  );
}

/** Registers `tessera vit classify`. */
export function register(program: Command): void {
  const vit = program.command('vit').description('Vision Transformer models');
  const classify = vit
    .command('classify')
    .description('the most likely classes of images with a ViT image-classification folder')
    .option('--model <dir>', 'ViT folder: config.json (id2label), model.safetensors, optional preprocessor_config.json (required)')
    .option('--image <files...>', 'PNG or JPEG images (required)')
    .option('--top-k <n>', 'classes per image (default 5)');
  deviceAndSeedOptions(classify);
  withConfigFile(classify);
  classify.action((o: ClassifyOptions) => {
    const device = resolveDevice(o.device);
    applySeed(o.seed);
    const dir = modelFolder(o.model ?? '');
    const images = typeof o.image === 'string' ? [o.image] : o.image;
    if (!images || images.length === 0) throw new TesseraError('--image is required');
    images.forEach((p) => checkFile(p, '--image'));
    const topK = o.topK === undefined ? 5 : parseIntOption(o.topK, '--top-k', { min: 1 });
    const results = classifyImages(dir, images, { topK, device });
    const lines = results.flatMap((classes, i) => [`${images[i]}:`, ...classes.map((c) => `  ${c.score.toFixed(4)}  ${c.label}`)]);
    cliOutput.stdout(lines.join('\n') + '\n');
  });
}
