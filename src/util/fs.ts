import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** `<path>.tmp-<pid>-<random>`: the name every temporary file gets, so that a sweep for leftovers of a killed run finds them all. */
export function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

function isMissingFolder(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Write to a temporary sibling, then rename: readers see the old file or the new one, never half of one.
 * The folder is created only when the first write finds it missing (a mkdir per file costs more than the write).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryName(path);
  try {
    await writeFile(temporary, data);
  } catch (error) {
    if (!isMissingFolder(error)) throw error;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, data);
  }
  await rename(temporary, path);
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 1)}\n`);
}

/** A path that is not a regular file of bearable size: a FIFO, a device, a folder, or a file over the limit. */
export class UnreadableFileError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}

function kindOf(info: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

function checkRegularFile(path: string, info: Stats, maxBytes: number): void {
  if (!info.isFile()) throw new UnreadableFileError(path, `is ${kindOf(info)}, not a regular file; only regular files are read`);
  if (info.size > maxBytes) {
    throw new UnreadableFileError(path, `is ${info.size} bytes, over the ${maxBytes}-byte limit for such files; split or shorten it`);
  }
}

/** readRegularFile's checks on a descriptor opened synchronously, for a file read piece by piece; the caller closes it. */
export function openRegularFileSync(path: string, maxBytes: number): { fd: number; size: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    checkRegularFile(path, info, maxBytes);
    return { fd, size: info.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Reads a whole regular file of at most `maxBytes`. A FIFO, device, socket or folder (also behind a
 * symlink) is refused before a byte is read, so `/dev/zero` cannot fill memory nor a FIFO hang the run:
 * the file is opened non-blocking (opening a FIFO would otherwise wait for a writer) and checked on the
 * open handle, so it cannot be swapped between the check and the read. Open errors (ENOENT, EACCES...)
 * are thrown as they are, for the caller to word.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    checkRegularFile(path, info, maxBytes);
    // At most the size seen on the handle: a file growing while it is read cannot outgrow the limit.
    const contents = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < contents.length) {
      const { bytesRead } = await handle.read(contents, filled, contents.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return contents.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
