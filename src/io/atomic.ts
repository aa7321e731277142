// Atomic file replacement: write a temp file in the target's folder, fsync it, rename it over the target.
// A reader (or a crash) sees either the whole old file or the whole new one, never a torn write.
import { closeSync, fchmodSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TesseraError } from '../errors.js';

/** What {@link writeFileAtomic} writes: one string or byte array, or a sequence of them written in order. */
export type AtomicContent = string | Uint8Array | Iterable<string | Uint8Array>;

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Permission bits of a new file (before the umask). An existing file keeps its own. Default 0o666. */
  mode?: number;
}

const MAX_WRITE = 1 << 30; // bytes per write(2) call; the kernel may take fewer, the loop goes on

/**
 * Replaces `path` with `content` atomically: the bytes go to a temp file next to the target, are flushed to
 * disk (fsync), and the temp file is renamed over the target, then the folder entry is flushed. If anything
 * fails (a full disk, a throwing content generator) the temp file is removed, the target is left as it was,
 * and a TesseraError names the target. Chunks are written as they come, so a generator can stream a file
 * larger than memory. A symbolic link at `path` is followed: the file it points to is replaced.
 */
export function writeFileAtomic(path: string, content: AtomicContent, options: AtomicWriteOptions = {}): void {
  let target = resolve(path);
  let mode = options.mode ?? 0o666;
  let keepMode = false;
  try {
    target = realpathSync(target);
    const st = statSync(target);
    if (st.isDirectory()) throw new TesseraError(`cannot write ${path}: it is a folder`);
    mode = st.mode & 0o7777;
    keepMode = true;
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    // The target does not exist yet (or is a dangling link): a new file.
  }
  const dir = dirname(target);
  try {
    if (!statSync(dir).isDirectory()) throw new TesseraError(`cannot write ${path}: ${dir} is not a folder`);
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    throw new TesseraError(`cannot write ${path}: folder ${dir} does not exist`);
  }

  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', mode);
    if (keepMode) fchmodSync(fd, mode); // the umask applied to openSync's mode; an existing file keeps its own
    const chunks = typeof content === 'string' || content instanceof Uint8Array ? [content] : content;
    for (const chunk of chunks) writeAll(fd, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, target);
  } catch (err) {
    if (fd !== null) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    throw describeError(path, err);
  }
  syncFolder(dir);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, MAX_WRITE));
  }
}

/** Flushes the folder entry so the rename itself survives a power loss. Not every platform can fsync a folder. */
function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some file systems refuse to open or fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== null) try { closeSync(fd); } catch { /* ignore */ }
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'folder does not exist',
  EISDIR: 'it is a folder',
};

function describeError(path: string, err: unknown): Error {
  if (err instanceof TesseraError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const reason = code !== undefined && REASONS[code] !== undefined ? `${REASONS[code]} (${code})` : (err as Error)?.message ?? String(err);
  return new TesseraError(`cannot write ${path}: ${reason}`, { cause: err });
}
