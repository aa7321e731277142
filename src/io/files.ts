// Turning file-system errors met while reading into one-line FormatErrors that name the file.
import { FormatError } from '../errors.js';

/** A FormatError for a failed open/read of `path`; `what` says what the file should have been ("config file"). */
export function readError(path: string, err: unknown, what: string): FormatError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  let message: string;
  switch (code) {
    case 'ENOENT': message = `${what} not found: ${path}`; break;
    case 'EISDIR': message = `${path} is a folder, not a ${what}`; break;
    case 'EACCES': case 'EPERM': message = `cannot read ${path}: permission denied (${code})`; break;
    case 'ENOTDIR': message = `${what} not found: ${path} (a part of the path is not a folder)`; break;
    default: message = `cannot read ${path}: ${(err as Error | null)?.message ?? String(err)}`;
  }
  return new FormatError(message, { cause: err });
}
