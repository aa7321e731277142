// Images for vision models: PNG and JPEG files decoded to RGB, resized with an antialiased bilinear filter
// (as PIL's BILINEAR resize, which Hugging Face's image processors call), rescaled and normalised into a
// (B, C, H, W) pixel_values tensor. The processor settings come from preprocessor_config.json when present.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { FormatError, TesseraError } from '../errors.js';
import { tensor, type Tensor } from '../tensor/tensor.js';

/** An 8-bit RGB image, rows top to bottom, pixels interleaved (r, g, b). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG or JPEG file (alpha is dropped, as PIL's convert('RGB')). */
export function readImage(path: string): RgbImage {
  if (!existsSync(path)) throw new TesseraError(`${path}: no such file`);
  const bytes = readFileSync(path);
  const isPng = bytes.length > 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw new FormatError(`${path}: not a PNG or JPEG image`);
  let width: number, height: number, rgba: Uint8Array, channels: number;
  try {
    if (isPng) {
      const png = PNG.sync.read(bytes);
      ({ width, height } = png);
      rgba = png.data;
      channels = 4;
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
      ({ width, height } = img);
      rgba = img.data;
      channels = rgba.length / (width * height);
    }
  } catch (err) {
    throw new FormatError(`${path}: cannot decode the image (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
  }
  if (channels === 3) return { width, height, data: rgba };
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    data[i * 3] = rgba[j]!;
    data[i * 3 + 1] = rgba[j + 1]!;
    data[i * 3 + 2] = rgba[j + 2]!;
  }
  return { width, height, data };
}

/** Weights of a triangle (bilinear) filter from `inSize` to `outSize` samples, widened when shrinking. */
function filterTaps(inSize: number, outSize: number): { start: Int32Array; count: Int32Array; weights: Float32Array; maxTaps: number } {
  const scale = inSize / outSize;
  const support = Math.max(1, scale); // the filter's half-width in input pixels
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize), count = new Int32Array(outSize), weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support + 0.5));
    const hi = Math.min(inSize, Math.floor(center + support + 0.5));
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const w = Math.max(0, 1 - Math.abs((i - center + 0.5) / Math.max(1, scale)));
      weights[o * maxTaps + (i - lo)] = w;
      sum += w;
    }
    for (let i = lo; i < hi; i++) weights[o * maxTaps + (i - lo)]! /= sum || 1;
    start[o] = lo;
    count[o] = hi - lo;
  }
  return { start, count, weights, maxTaps };
}

/** Resizes to width x height (separable antialiased bilinear, float results). */
export function resizeImage(img: RgbImage, width: number, height: number): Float32Array {
  const h = filterTaps(img.width, width), v = filterTaps(img.height, height);
  const tmp = new Float32Array(img.height * width * 3); // rows resized horizontally
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = 0; k < h.count[x]!; k++) acc += h.weights[x * h.maxTaps + k]! * img.data[(y * img.width + h.start[x]! + k) * 3 + c]!;
        tmp[(y * width + x) * 3 + c] = acc;
      }
    }
  }
  const out = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = 0; k < v.count[y]!; k++) acc += v.weights[y * v.maxTaps + k]! * tmp[((v.start[y]! + k) * width + x) * 3 + c]!;
        out[(y * width + x) * 3 + c] = acc;
      }
    }
  }
  return out;
}

/** How images become pixel values (Hugging Face's ViTImageProcessor settings). */
export interface ImageProcessing {
  height: number;
  width: number;
  doResize: boolean;
  rescaleFactor: number;
  doRescale: boolean;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
}

/** The processing of a model folder: preprocessor_config.json when present, else ViTImageProcessor's defaults at `imageSize`. */
export function imageProcessing(dir: string, imageSize: number): ImageProcessing {
  const p: ImageProcessing = { height: imageSize, width: imageSize, doResize: true, rescaleFactor: 1 / 255, doRescale: true, doNormalize: true, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
  const path = join(dir, 'preprocessor_config.json');
  if (!existsSync(path)) return p;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new FormatError(`${path}: not valid JSON`);
  }
  const size = raw.size as Record<string, number> | number | undefined;
  if (typeof size === 'number') p.height = p.width = size;
  else if (size && typeof size.height === 'number' && typeof size.width === 'number') ({ height: p.height, width: p.width } = size as { height: number; width: number });
  else if (size && typeof size.shortest_edge === 'number') p.height = p.width = size.shortest_edge;
  const triple = (v: unknown, name: string): [number, number, number] => {
    const a = typeof v === 'number' ? [v, v, v] : v;
    if (!Array.isArray(a) || a.length !== 3 || !a.every((x) => typeof x === 'number')) throw new FormatError(`${path}: '${name}' must be a number or 3 numbers`);
    return a as [number, number, number];
  };
  if (raw.image_mean !== undefined) p.mean = triple(raw.image_mean, 'image_mean');
  if (raw.image_std !== undefined) p.std = triple(raw.image_std, 'image_std');
  if (typeof raw.rescale_factor === 'number') p.rescaleFactor = raw.rescale_factor;
  if (typeof raw.do_resize === 'boolean') p.doResize = raw.do_resize;
  if (typeof raw.do_rescale === 'boolean') p.doRescale = raw.do_rescale;
  if (typeof raw.do_normalize === 'boolean') p.doNormalize = raw.do_normalize;
  return p;
}

/** Images -> (B, 3, H, W) float32 pixel values. */
export function pixelValues(images: readonly RgbImage[], p: ImageProcessing, device?: string): Tensor {
  const { height: H, width: W } = p;
  const out = new Float32Array(images.length * 3 * H * W);
  images.forEach((img, b) => {
    if (!p.doResize && (img.width !== W || img.height !== H)) throw new TesseraError(`an image is ${img.width}x${img.height} but the model takes ${W}x${H} and the processor does not resize`);
    const px = p.doResize ? resizeImage(img, W, H) : Float32Array.from(img.data);
    for (let c = 0; c < 3; c++) {
      const scale = p.doRescale ? p.rescaleFactor : 1;
      const mean = p.doNormalize ? p.mean[c]! : 0;
      const std = p.doNormalize ? p.std[c]! : 1;
      for (let i = 0; i < H * W; i++) out[((b * 3 + c) * H * W) + i] = (px[i * 3 + c]! * scale - mean) / std;
    }
  });
  return tensor(out, { shape: [images.length, 3, H, W], device });
}
