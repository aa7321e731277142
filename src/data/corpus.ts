// Reading a text corpus from disk with one-line errors (missing, a directory, empty, not UTF-8), and the
// train/validation split of an encoded corpus (the first part trains, the tail validates, as nanoGPT).
import { readFileSync, statSync } from 'node:fs';
import { FormatError, TesseraError } from '../errors.js';

/** Reads a UTF-8 text file; fails with one line naming the file when it is missing, not a file, empty or not UTF-8. */
export function readTextCorpus(path: string): string {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new TesseraError(`${path}: not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new TesseraError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? String(err)})`);
  }
  if (size === 0) throw new FormatError(`${path}: the text file is empty`);
  const bytes = readFileSync(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(`${path}: not UTF-8 text`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The two parts of an encoded corpus. */
export interface TrainValSplit<A extends ArrayLike<number>> {
  train: A;
  val: A;
}

/**
 * Splits ids into the first (1 - valFraction) for training and the rest for validation (no shuffling: the
 * validation text is unseen text, not a sample of the training lines).
 */
export function splitTrainVal<A extends Int32Array | Uint16Array>(ids: A, valFraction = 0.1): TrainValSplit<A> {
  if (!(valFraction >= 0 && valFraction < 1)) throw new TesseraError(`the validation fraction must be in [0, 1), got ${valFraction}`);
  const n = Math.floor(ids.length * (1 - valFraction));
  return { train: ids.subarray(0, n) as A, val: ids.subarray(n) as A };
}
