// ViT embeddings: a Conv2d patch projection (kernel = stride = patch), the [CLS] token in front, learned
// position embeddings added (bicubically interpolated for other image sizes on request), then dropout.
// Reference: transformers/models/vit/modeling_vit.py, ViTEmbeddings / ViTPatchEmbeddings.
import { TesseraError } from '../../errors.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Module } from '../../nn/module.js';
import { zeros } from '../../tensor/creation.js';
import { isFloat } from '../../tensor/dtype.js';
import { cat } from '../../tensor/ops/indexing.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pair, type ViTConfig } from './config.js';
import { resizeBicubic } from './interpolate.js';

export class ViTPatchEmbeddings extends Module {
  readonly projection: Conv2d;
  readonly imageSize: [number, number];
  readonly patchSize: [number, number];
  readonly numPatches: number;

  constructor(readonly config: ViTConfig, device?: string) {
    super();
    this.imageSize = pair(config.image_size);
    this.patchSize = pair(config.patch_size);
    this.numPatches = Math.floor(this.imageSize[0] / this.patchSize[0]) * Math.floor(this.imageSize[1] / this.patchSize[1]);
    this.projection = this.addModule('projection', new Conv2d(config.num_channels, config.hidden_size, this.patchSize, { stride: this.patchSize, device }));
  }

  /** pixel_values (B, C, H, W) -> (B, N, hidden) with N = (H / P) (W / P). */
  forward(pixelValues: Tensor, interpolatePosEncoding: boolean): Tensor {
    checkPixels(pixelValues, this.config.num_channels, this.patchSize);
    const [, , H, W] = pixelValues.shape as [number, number, number, number];
    if (!interpolatePosEncoding && (H !== this.imageSize[0] || W !== this.imageSize[1])) {
      throw new TesseraError(`pixel_values are ${H}x${W} but the model takes ${this.imageSize[0]}x${this.imageSize[1]} images (interpolatePosEncoding allows other sizes)`);
    }
    const x = this.projection.forward(pixelValues); // (B, hidden, H/P, W/P)
    const [B, C] = x.shape as [number, number];
    return x.reshape([B, C, -1]).transpose(1, 2); // (B, N, hidden)
  }
}

/** pixel_values must be float (B, channels, H, W) with H and W at least one patch. */
export function checkPixels(pixelValues: Tensor, channels: number, patch: [number, number]): void {
  if (pixelValues.ndim !== 4) throw new TesseraError(`pixel_values has shape ${shapeStr(pixelValues.shape)}, expected (batch, ${channels}, height, width)`);
  if (!isFloat(pixelValues.dtype)) throw new TesseraError(`pixel_values must be floating point, got ${pixelValues.dtype}`);
  const [, C, H, W] = pixelValues.shape as [number, number, number, number];
  if (C !== channels) throw new TesseraError(`pixel_values has ${C} channels (shape ${shapeStr(pixelValues.shape)}), but the model's num_channels is ${channels}`);
  if (H < patch[0] || W < patch[1]) throw new TesseraError(`pixel_values are ${H}x${W}, smaller than one ${patch[0]}x${patch[1]} patch`);
}

export class ViTEmbeddings extends Module {
  readonly clsToken: Tensor;
  readonly positionEmbeddings: Tensor;
  readonly patchEmbeddings: ViTPatchEmbeddings;
  readonly dropout: Dropout;

  constructor(readonly config: ViTConfig, device?: string) {
    super();
    const Hd = config.hidden_size;
    this.clsToken = this.addParameter('cls_token', zeros([1, 1, Hd], { device }));
    this.patchEmbeddings = this.addModule('patch_embeddings', new ViTPatchEmbeddings(config, device));
    this.positionEmbeddings = this.addParameter('position_embeddings', zeros([1, this.patchEmbeddings.numPatches + 1, Hd], { device }));
    this.dropout = this.addModule('dropout', new Dropout(config.hidden_dropout_prob));
  }

  /**
   * The position table for an image of height x width: the checkpoint's own when the patch count matches and
   * the image is square (as HF), else the patch part resized bicubically to (height/P, width/P).
   */
  interpolatePosEncoding(numPatches: number, height: number, width: number): Tensor {
    const numPositions = this.positionEmbeddings.dim(1) - 1;
    if (numPatches === numPositions && height === width) return this.positionEmbeddings;
    const [ph, pw] = this.patchSize;
    const [gh, gw] = [Math.floor(this.patchEmbeddings.imageSize[0] / ph), Math.floor(this.patchEmbeddings.imageSize[1] / pw)];
    const dim = this.positionEmbeddings.dim(2);
    const clsPos = this.positionEmbeddings.narrow(1, 0, 1); // (1, 1, C)
    const grid = this.positionEmbeddings.narrow(1, 1, numPositions).reshape([gh, gw, dim]); // (gh, gw, C)
    const resized = resizeBicubic(grid, Math.floor(height / ph), Math.floor(width / pw)); // (H/P, W/P, C)
    return cat([clsPos, resized.reshape([1, -1, dim])], 1);
  }

  private get patchSize(): [number, number] {
    return this.patchEmbeddings.patchSize;
  }

  /** pixel_values (B, C, H, W) -> (B, 1 + N, hidden). */
  forward(pixelValues: Tensor, interpolatePosEncoding = false): Tensor {
    const patches = this.patchEmbeddings.forward(pixelValues, interpolatePosEncoding); // (B, N, C)
    const [B, N, C] = patches.shape as [number, number, number];
    const x = cat([this.clsToken.expand([B, 1, C]), patches], 1); // (B, 1 + N, C)
    const [, , height, width] = pixelValues.shape as [number, number, number, number];
    const pos = interpolatePosEncoding ? this.interpolatePosEncoding(N, height, width) : this.positionEmbeddings;
    return this.dropout.forward(x.add(pos));
  }
}
