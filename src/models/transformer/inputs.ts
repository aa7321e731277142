// Checks on what a caller feeds a Transformer-family model — token ids inside the vocabulary, lengths inside
// the position table, masks of the right shape — with errors naming the input, the value and the limit.
import { ShapeError, TesseraError } from '../../errors.js';
import { arange } from '../../tensor/creation.js';
import { where } from '../../tensor/ops/elementwise.js';
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { findOutOfRange } from '../../tensor/int-check.js';

/**
 * What transformers adds at hidden keys: torch.finfo(torch.float32).min, not -inf. Rows with some visible key
 * come out the same either way; a row with every key hidden (a padding position) then attends uniformly, as there.
 */
export const MASK_MIN = -3.4028234663852886e38;

/** Fails unless `ids` is an integer (B, T) tensor with every id in [0, vocabSize). */
export function checkTokenIds(ids: Tensor, vocabSize: number, what: string, model: string): void {
  if (ids.dtype !== 'int64' && ids.dtype !== 'int32') throw new TesseraError(`${what}: token ids must be int64 or int32, got ${ids.dtype}`);
  if (ids.ndim !== 2) throw new ShapeError(`${what}: expected token ids of shape (batch, length), got ${shapeStr(ids.shape)}`);
  if (ids.dim(1) === 0) throw new ShapeError(`${what}: the sequence is empty (shape ${shapeStr(ids.shape)})`);
  const bad = findOutOfRange(ids, 0, vocabSize);
  if (bad) {
    const i = bad.index;
    throw new TesseraError(`${what}: token id ${bad.value} (row ${Math.floor(i / ids.dim(1))}, position ${i % ids.dim(1)}) is outside the vocabulary of ${model} (vocab_size ${vocabSize})`);
  }
}

/** Fails unless every position id is in [0, limit) (`key` names the limit, e.g. 'n_positions'). */
export function checkPositionIds(positions: Tensor, limit: number, key: string, model: string): void {
  if (positions.dtype !== 'int64' && positions.dtype !== 'int32') throw new TesseraError(`position_ids must be int64 or int32, got ${positions.dtype}`);
  const bad = findOutOfRange(positions, 0, limit);
  if (bad) throw new TesseraError(`position_ids: position ${bad.value} is outside ${key} ${limit} of ${model}`);
}

/** Fails when a sequence of `length` positions does not fit a position table of `limit` (named `key`). */
export function checkLength(length: number, limit: number, what: string, key: string, model: string): void {
  if (length > limit) throw new TesseraError(`${what}: sequence length ${length} is longer than ${key} ${limit} of ${model}`);
}

function checkMask(mask: Tensor, batch: number, keys: number, what: string): void {
  if (mask.ndim !== 2 || mask.dim(0) !== batch || mask.dim(1) !== keys) {
    throw new ShapeError(`${what}: attention mask of shape ${shapeStr(mask.shape)} does not match (batch ${batch}, length ${keys})`);
  }
}

/**
 * An additive key mask (B, 1, 1, Tk) from an attention mask (B, Tk) — 1 (or true) where a token is real,
 * 0 where it is padding — or null when none is given. Fails on a wrong shape.
 */
export function additivePaddingMask(mask: Tensor | null | undefined, batch: number, keys: number, what: string): Tensor | null {
  if (!mask) return null;
  checkMask(mask, batch, keys, what);
  return where(mask.eq(0), MASK_MIN, 0).reshape([batch, 1, 1, keys]);
}

/**
 * The causal mask and an attention mask (B, Tpast + T) as one additive mask (B, 1, T, Tpast + T), MASK_MIN where
 * a key is later than the query or padding (transformers' combined 4-D mask), or null when no attention mask is
 * given (plain causal attention then needs none).
 */
export function causalPaddingMask(mask: Tensor | null | undefined, batch: number, length: number, past: number, what: string): Tensor | null {
  if (!mask) return null;
  const keys = past + length;
  checkMask(mask, batch, keys, what);
  const device = mask.device;
  const query = arange(past, keys, 1, { device }).reshape([1, 1, length, 1]);
  const key = arange(0, keys, 1, { device }).reshape([1, 1, 1, keys]);
  const hidden = key.gt(query).logicalOr(mask.eq(0).reshape([batch, 1, 1, keys])); // (B, 1, T, Tk)
  return where(hidden, MASK_MIN, 0);
}
