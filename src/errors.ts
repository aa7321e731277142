// Typed errors that a user can cause (bad shapes, files, options). The CLI prints their message as one line.

/** An error caused by input a user controls: a shape, a file, an option, an id. Its message names the thing. */
export class TesseraError extends Error {
  override name = 'TesseraError';
}

/** A shape mismatch in an op: names the op and every shape involved. */
export class ShapeError extends TesseraError {
  override name = 'ShapeError';
}

/** Two tensors on different devices met in one op. */
export class DeviceMismatchError extends TesseraError {
  override name = 'DeviceMismatchError';
}

/** A malformed or inconsistent file (safetensors, config.json, tokenizer.json, vectors...). */
export class FormatError extends TesseraError {
  override name = 'FormatError';
}
