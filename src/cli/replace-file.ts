import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `chunks` to the file `path`, one write at a time (each awaited: the file takes the
 * pace), so that the file is either the whole of them or as it was: they go to a temporary
 * file beside it, renamed over it once all are written; on any failure the temporary file is
 * removed. A path that names a symbolic link replaces the file it points to; a path that names
 * something other than a file (`/dev/null`, a pipe) is written directly, since it cannot be
 * replaced, and so is a file whose directory takes no new file (no permission, read-only). The
 * replacement reaches the disk before it is renamed, so that a crash of the system leaves the
 * old file or the whole new one. A failing file operation rejects with `cannot(error)`; what
 * `chunks` throws is thrown as it is. Once `signal` aborts, no more chunk is written and the call
 * rejects with the signal's reason, the temporary file removed; if the process exits first (a
 * forced exit after Ctrl+C), the temporary file is removed on the way out.
 */
export async function replaceFile(
  path: string,
  chunks: Iterable<string>,
  cannot: (error: unknown) => Error,
  signal?: AbortSignal,
): Promise<void> {
  const io = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw cannot(error);
    }
  };
  const target = await realpath(path).catch(() => path);
  const existing = await stat(target).catch(() => undefined);
  if (existing !== undefined && !existing.isFile()) {
    return writeInPlace(target, chunks, io, signal);
  }
  // Beside the target, so that the rename stays on one file system; named so that two runs
  // at once never share one.
  const temporary = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  let file: FileHandle;
  try {
    file = await open(temporary, 'wx');
  } catch (error) {
    // A directory that takes no new file may still hold a file that may be written.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return writeInPlace(target, chunks, io, signal);
    }
    throw cannot(error);
  }
  const removeOnExit = (): void => {
    try {
      unlinkSync(temporary);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', removeOnExit);
  try {
    try {
      // The replacement keeps the permissions of the file it replaces, where it may.
      if (existing !== undefined) await file.chmod(existing.mode & 0o7777).catch(() => undefined);
      await writeChunks(file, chunks, io, signal);
      await io(() => file.sync());
    } finally {
      await file.close().catch(() => undefined);
    }
    await io(() => rename(temporary, target));
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  } finally {
    process.off('exit', removeOnExit);
  }
}

/** Writes `chunks` over the file at `target` itself (truncated first). */
async function writeInPlace(
  target: string,
  chunks: Iterable<string>,
  io: <T>(call: () => Promise<T>) => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const file = await io(() => open(target, 'w'));
  try {
    await writeChunks(file, chunks, io, signal);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** Writes every chunk whole: a write that takes only part of one is followed by the rest. */
async function writeChunks(
  file: FileHandle,
  chunks: Iterable<string>,
  io: <T>(call: () => Promise<T>) => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const chunk of chunks) {
    signal?.throwIfAborted();
    const bytes = Buffer.from(chunk);
    for (let at = 0; at < bytes.length;) {
      const { bytesWritten } = await io(async () => {
        const written = await file.write(bytes, at);
        if (written.bytesWritten === 0) throw new Error('no byte written');
        return written;
      });
      at += bytesWritten;
    }
  }
}
